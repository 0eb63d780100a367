import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { directManifest, project, readLockJson } from '../helpers/project.js';
import { emulatorPerFile } from '../helpers/emulator.js';

const shared = emulatorPerFile(0.2);
const dirs = shared.dirs;

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => cliEnv(shared.emulator(), { REEL_POLL_MS: '30,30,100', ...extra });

interface StatusJson {
  drift: boolean;
  remote_checked: boolean;
  videos: Array<{ id: string; kinds: string[]; files: Array<{ path: string; state: string }> }>;
}

describe('reel status', () => {
  it('is in sync after a build, then finds remote deletions and missing or altered files; build repairs files without rendering', async () => {
    const cwd = await project({ 'videos/a.yaml': directManifest(4) });
    dirs.push(cwd);
    expect((await runCli(['build', '--yes'], cwd, env())).code).toBe(0);

    const statusesBefore = shared
      .emulator()
      .requests()
      .filter((r) => r.path === '/v3/videos/statuses').length;
    const clean = await runCli(['status'], cwd, env());
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/4 videos in reel\.lock: 4 ok\.\nIn sync\.\n$/);
    // One bulk status request for all four videos.
    expect(
      shared
        .emulator()
        .requests()
        .filter((r) => r.path === '/v3/videos/statuses').length,
    ).toBe(statusesBefore + 1);

    const lock = await readLockJson(cwd);
    await rm(join(cwd, 'out/v001.mp4'));
    // Same size, different bytes: only the sha256 can tell.
    const size = lock.videos.v002?.output?.size ?? 0;
    const handle = await open(join(cwd, 'out/v002.mp4'), 'r+');
    await handle.write(Buffer.from('XXXX'), 0, 4, size - 4);
    await handle.close();
    const del = await fetch(`${shared.emulator().url}/v3/videos/${lock.videos.v003?.video_id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
    expect(del.status).toBe(200);

    const drift = await runCli(['status'], cwd, env());
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/^v001 {2}file missing: run `reel build` to download it again/m);
    expect(drift.stdout).toMatch(/^v002 {2}file altered: /m);
    expect(drift.stdout).toMatch(/^v003 {2}deleted on HeyGen: /m);
    expect(drift.stdout).toMatch(/Drift found\.\n$/);

    const json = JSON.parse((await runCli(['status', '--json'], cwd, env())).stdout) as StatusJson;
    expect(json.drift).toBe(true);
    expect(json.remote_checked).toBe(true);
    expect(Object.fromEntries(json.videos.map((v) => [v.id, v.kinds]))).toEqual({
      v001: ['missing_local'],
      v002: ['altered_local'],
      v003: ['deleted_remotely'],
      v004: ['ok'],
    });

    // build downloads the missing file again from the existing video: no render.
    const posts = (): number =>
      shared
        .emulator()
        .requests()
        .filter((r) => r.method === 'POST').length;
    const before = posts();
    const rebuilt = await runCli(['build', '--yes'], cwd, env());
    expect(rebuilt.code).toBe(0);
    expect(posts()).toBe(before);
    const after = JSON.parse((await runCli(['status', '--json'], cwd, env())).stdout) as StatusJson;
    expect(after.videos.find((v) => v.id === 'v001')?.kinds).toEqual(['ok']);
  });

  it('reports renders still in flight without calling them drift, and works without a key on local files only', async () => {
    const slow = await startEmulator({ port: 0, renderSeconds: 30, apiKey: KEY });
    try {
      const cwd = await project({ 'videos/a.yaml': directManifest(2) });
      dirs.push(cwd);
      const slowEnv = { ...cliEnv(undefined), HEYGEN_API_URL: slow.url, HEYGEN_API_KEY: KEY, REEL_POLL_MS: '30,30,100' };
      // Interrupt the build once both are submitted: the lock holds them as `submitted`.
      const { spawnCli, waitFor } = await import('../helpers/cli.js');
      const run = spawnCli(['build', '--yes'], cwd, slowEnv);
      await waitFor(async () => {
        try {
          const l = await readLockJson(cwd);
          return Object.values(l.videos).filter((v) => v.video_id).length === 2;
        } catch {
          return false;
        }
      });
      run.child.kill('SIGINT');
      expect((await run.done).code).toBe(130);

      const inFlight = await runCli(['status', '--json'], cwd, slowEnv);
      expect(inFlight.code).toBe(0);
      const body = JSON.parse(inFlight.stdout) as StatusJson;
      expect(body.videos.map((v) => v.kinds)).toEqual([['in_flight'], ['in_flight']]);

      const offline = await runCli(['status'], cwd, { ...cliEnv(undefined), HEYGEN_API_URL: slow.url });
      expect(offline.stdout).toMatch(/HeyGen was not asked \(HEYGEN_API_KEY is not set\)/);
    } finally {
      await slow.close();
    }
  });

  it('an empty project has nothing to compare', async () => {
    const cwd = await project({ 'videos/a.yaml': directManifest(1) });
    dirs.push(cwd);
    const r = await runCli(['status'], cwd, env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reel\.lock records no videos yet/);
    expect(shared.emulator().requests()).toHaveLength(0);
  });
});
