// `reel doctor` against the emulator: the built CLI over HTTP. Every POST it sends must be refused,
// and nothing may be created; with the emulator's behaviours flipped it reports the difference.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli.js';

const KEY = 'doctor-key';
const open: Emulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function doctor(options: EmulatorOptions = {}, args: string[] = ['--json'], key = KEY) {
  const emu = await startEmulator({ renderSeconds: 0.2, ...options });
  open.push(emu);
  const cwd = await mkdtemp(join(tmpdir(), 'reel-doctor-'));
  dirs.push(cwd);
  const run = () => runCli(['doctor', ...args], cwd, { HEYGEN_API_URL: emu.url, HEYGEN_API_KEY: key });
  return { emu, run };
}

const rowsOf = (stdout: string): Record<string, { holds: boolean; answered: string; reel: string }> =>
  Object.fromEntries((JSON.parse(stdout).rows as Array<{ id: string; holds: boolean; answered: string; reel: string }>).map((r) => [r.id, r]));

describe('reel doctor', () => {
  it('holds everywhere against the default emulator, and every POST it sends is refused: no render, no session', async () => {
    const { emu, run } = await doctor();
    const result = await run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = rowsOf(result.stdout);
    expect(Object.keys(rows)).toEqual(['account', 'video-404', 'bulk-status', 'title-filter', 'video-order', 'session-order', 'error-replay', 'direct-upload', 'catalog', 'latency']);
    expect(Object.values(rows).every((r) => r.holds)).toBe(true);
    expect(rows['error-replay']?.answered).toMatch(/refused twice .*replayed under the key/);

    const posts = emu.requests().filter((r) => r.method !== 'GET');
    expect(posts.length).toBeGreaterThan(0);
    for (const post of posts) expect(post.status, `${post.method} ${post.path}`).toBeGreaterThanOrEqual(400);
    const videos = (await (await fetch(`${emu.url}/v3/videos`, { headers: { 'x-api-key': KEY } })).json()) as any;
    const sessions = (await (await fetch(`${emu.url}/v3/video-agents`, { headers: { 'x-api-key': KEY } })).json()) as any;
    expect(videos.data).toEqual([]);
    expect(sessions.data).toEqual([]);
    // The key never appears in what the doctor prints.
    expect(result.stdout).not.toContain(KEY);
  });

  it('finds a real reel-tagged video by its tag and checks the order of a real listing', async () => {
    const { emu, run } = await doctor();
    for (const title of ['Older [reel:0123456789-g1]', 'Newer']) {
      await fetch(`${emu.url}/v3/videos`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'avatar', avatar_id: 'Daisy-inskirt-20220818', script: 'Hello there.', title }),
      });
    }
    const result = await run();
    expect(result.code).toBe(0);
    const rows = rowsOf(result.stdout);
    expect(rows['title-filter']?.answered).toMatch(/found the video titled "Older \[reel:0123456789-g1\]"/);
    expect(rows['video-order']?.answered).toMatch(/2 items newest first/);
  });

  it('reports a failing bulk status endpoint as a differing row and exits 1', async () => {
    const { run } = await doctor({ behaviours: { statusesFailing: true } });
    const result = await run();
    expect(result.code).toBe(1);
    const rows = rowsOf(result.stdout);
    expect(rows['bulk-status']).toMatchObject({ holds: false });
    expect(rows['bulk-status']?.answered).toMatch(/500 internal_error/);
    expect(rows['bulk-status']?.reel).toMatch(/falls back to GET \/v3\/videos\/\{id\}/);
    expect(Object.values(rows).filter((r) => !r.holds)).toHaveLength(1);
  });

  it('says whether an error was replayed under one key either way', async () => {
    const { run } = await doctor({ behaviours: { replayErrors: false } });
    const result = await run();
    expect(result.code).toBe(0);
    expect(rowsOf(result.stdout)['error-replay']?.answered).toMatch(/not marked as a replay/);
  });

  it('stops after the account row when the key is refused, in the human table too', async () => {
    const { run } = await doctor({ apiKey: 'the-right-key' }, []);
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/DIFFERS\s+account\s+HEYGEN_API_KEY is accepted/);
    expect(result.stdout).toMatch(/HeyGen: 401 unauthorized/);
    expect(result.stdout).toMatch(/1 of 1 differ: account/);
  });

  it('needs a key', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'reel-doctor-'));
    dirs.push(cwd);
    const result = await runCli(['doctor'], cwd);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/HEYGEN_API_KEY is not set/);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
