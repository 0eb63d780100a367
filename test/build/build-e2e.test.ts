import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { directManifest, exampleProject, project, readLockJson, ROOT } from '../helpers/project.js';
import { allVideos, countByTag, creates } from '../helpers/emulator.js';

let emulator: Emulator;
const dirs: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY });
});
afterAll(async () => {
  await emulator.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
beforeEach(() => emulator.reset());

async function track(dir: string | Promise<string>): Promise<string> {
  const d = await dir;
  dirs.push(d);
  return d;
}

describe('reel build against the emulator over HTTP', () => {
  it('builds the example library end to end, then a re-run sends nothing', async () => {
    const dir = await track(exampleProject());
    const first = await runCli(['build', '--yes'], dir, cliEnv(emulator));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Build finished: 11 completed, 1 awaiting review/);

    const lock = await readLockJson(dir);
    const direct = ['welcome', 'first-steps', 'support', 'hello-ada', 'hello-grace', 'hello-linus', 'launch', 'launch.es-es'];
    const translated = ['launch.de-de', 'launch.fr-fr'];
    for (const id of [...direct, ...translated, 'product-tour']) {
      const entry = lock.videos[id];
      expect(entry?.status, id).toBe('completed');
      const bytes = await readFile(join(dir, entry?.output?.path ?? 'missing'));
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      expect(bytes.byteLength).toBe(entry?.output?.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry?.output?.sha256);
    }
    expect(lock.videos['launch-teaser']?.status).toBe('awaiting_review');
    // captions: true → the SRT sidecar; the local background was uploaded once and recorded.
    expect((await readFile(join(dir, 'out/welcome.srt'), 'utf8')).startsWith('1\n')).toBe(true);
    // The reviewed German SRT went up once too, and each translate locale was created once.
    expect(Object.keys(lock.assets)).toHaveLength(2);
    expect(creates(emulator)).toBe(direct.length);
    expect(creates(emulator, '/v3/assets')).toBe(2);
    expect(creates(emulator, '/v3/video-translations')).toBe(translated.length);
    expect((await readFile(join(dir, 'out/launch.de-de.srt'), 'utf8')).startsWith('1\n')).toBe(true);
    expect([...countByTag(await allVideos(emulator)).values()].every((n) => n === 1)).toBe(true);

    const before = emulator.requests().length;
    const second = await runCli(['build'], dir, cliEnv(emulator));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^Nothing to render: 11 videos up to date\./);
    expect(emulator.requests().length).toBe(before);

    // Fresh clone: lock present, out/ missing → files come back without a single render.
    await rm(join(dir, 'out'), { recursive: true });
    const third = await runCli(['build'], dir, cliEnv(emulator));
    expect(third.code).toBe(0);
    expect(creates(emulator)).toBe(direct.length);
    expect(creates(emulator, '/v3/video-translations')).toBe(translated.length);
    expect((await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.mp4'))).toHaveLength(11);

    for (const run of [first, second, third]) expect(run.stdout + run.stderr).not.toContain(KEY);
    expect(await readFile(join(dir, 'reel.lock'), 'utf8')).not.toContain(KEY);
    // Never a presigned file URL (they expire); the API base URL in `api` is fine.
    expect(await readFile(join(dir, 'reel.lock'), 'utf8')).not.toMatch(/expires=|sig=|\/files\//i);
  });

  it('refuses to start over budget and sends nothing', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(3) }));
    const videos = await runCli(['build', '--max-videos', '2'], dir, cliEnv(emulator));
    expect(videos.code).toBe(1);
    expect(videos.stderr).toMatch(/refusing to start: 3 videos would render, more than --max-videos 2; nothing was sent/);
    const seconds = await runCli(['build', '--max-seconds', '1'], dir, cliEnv(emulator));
    expect(seconds.code).toBe(1);
    expect(seconds.stderr).toMatch(/more than --max-seconds 1/);
    expect(emulator.requests()).toHaveLength(0);
  });

  it('prints manifest errors with positions and sends nothing', async () => {
    const dir = await track(project({ 'videos/a.yaml': 'version: 1\nvideos:\n  bad:\n    scirpt: hello\n' }));
    const run = await runCli(['build', '--yes'], dir, cliEnv(emulator));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/videos\/a\.yaml:4:5/);
    expect(run.stderr).toMatch(/nothing was sent/);
    expect(emulator.requests()).toHaveLength(0);
  });

  it('explains a missing key without a stack trace', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(1) }));
    const run = await runCli(['build'], dir, cliEnv(undefined));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reel: HEYGEN_API_KEY is not set/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('checks the key once before anything is written', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(2) }));
    const run = await runCli(['build'], dir, { ...cliEnv(emulator), HEYGEN_API_KEY: 'wrong-key-123' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reel: HeyGen rejected HEYGEN_API_KEY \(from environment\): unauthorized: .*nothing was sent\.\n$/);
    expect(run.stderr).not.toContain('wrong-key-123');
    expect(emulator.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v3/users/me']);
    await expect(readFile(join(dir, 'reel.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('records a failed render, continues with the others, and retries it only with --retry-failed', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(3, (i) => (i === 2 ? ' [emulator:fail]' : '')) }));
    const first = await runCli(['build', '--json'], dir, cliEnv(emulator));
    expect(first.code).toBe(1);
    const events = first.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.at(-1)).toMatchObject({ type: 'done', counts: { completed: 2, failed: 1 } });
    expect(events.find((e) => e.type === 'result' && e.id === 'v002')).toMatchObject({ result: 'failed' });
    const lock = await readLockJson(dir);
    expect(lock.videos.v002?.status).toBe('failed');
    expect(lock.videos.v002?.failure?.code).toBeTruthy();
    expect(lock.videos.v001?.status).toBe('completed');

    const before = emulator.requests().length;
    const again = await runCli(['build'], dir, cliEnv(emulator));
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/1 failed earlier \(v002\): run with --retry-failed/);
    expect(emulator.requests().length).toBe(before);

    const retry = await runCli(['build', '--retry-failed'], dir, cliEnv(emulator));
    expect(retry.code).toBe(1);
    expect(creates(emulator)).toBe(4);
    expect((await readLockJson(dir)).videos.v002?.generation).toBe(2);
  });

  it('deletes outputs and lock entries of removed videos, and the remote video with --prune', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(2) }));
    expect((await runCli(['build'], dir, cliEnv(emulator))).code).toBe(0);
    const videoId = (await readLockJson(dir)).videos.v002?.video_id;
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(1));
    const run = await runCli(['build', '--prune'], dir, cliEnv(emulator));
    expect(run.code).toBe(0);
    const lock = await readLockJson(dir);
    expect(Object.keys(lock.videos)).toEqual(['v001']);
    expect(await readdir(join(dir, 'out'))).not.toContain('v002.mp4');
    expect(
      emulator
        .requests()
        .filter((r) => r.method === 'DELETE')
        .map((r) => r.path),
    ).toEqual([`/v3/videos/${videoId}`]);
  });
});

describe('local assets', () => {
  it('uploads a file once and reuses its asset id from the lock for later renders', async () => {
    const png = await readFile(join(ROOT, 'assets/studio-bg.png'));
    const manifest = (script: string): string =>
      [
        'version: 1',
        'defaults:',
        '  avatar: Daisy-inskirt-20220818',
        '  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
        'videos:',
        '  one:',
        `    script: ${script}`,
        '    background: { image: ../assets/bg.png }',
        '  two:',
        '    script: The second video shares the background.',
        '    background: { image: ../assets/bg.png }',
        '',
      ].join('\n');
    const dir = await track(project({ 'videos/a.yaml': manifest('The first video.'), 'assets/.keep': '' }));
    await writeFile(join(dir, 'assets/bg.png'), png);
    expect((await runCli(['build'], dir, cliEnv(emulator))).code).toBe(0);
    expect(creates(emulator, '/v3/assets')).toBe(1);
    const assetId = Object.values((await readLockJson(dir)).assets)[0]?.asset_id;
    expect(assetId).toBeTruthy();
    await writeFile(join(dir, 'videos/a.yaml'), manifest('The first video, revised.'));
    expect((await runCli(['build'], dir, cliEnv(emulator))).code).toBe(0);
    expect(creates(emulator, '/v3/assets')).toBe(1);
    expect(creates(emulator)).toBe(3);
  });
});

describe('lock bookkeeping without renders', () => {
  it('takes out/ and concurrency from reel.config.yaml, and an explicit flag over both, even one equal to the built-in default', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(2), 'reel.config.yaml': 'out: renders\nconcurrency: 1\n' }));
    const fromConfig = await runCli(['build', '--yes'], dir, cliEnv(emulator));
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stdout).toMatch(/concurrency 1\)/);
    expect((await readdir(join(dir, 'renders'))).filter((f) => f.endsWith('.mp4')).sort()).toEqual(['v001.mp4', 'v002.mp4']);

    await writeFile(
      join(dir, 'videos/a.yaml'),
      directManifest(2, () => ' Again.'),
    );
    const fromFlags = await runCli(['build', '--yes', '--out', 'out', '--concurrency', '10'], dir, cliEnv(emulator));
    expect(fromFlags.code).toBe(0);
    expect(fromFlags.stdout).toMatch(/concurrency 10\)/);
    expect((await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.mp4')).sort()).toEqual(['v001.mp4', 'v002.mp4']);
  });

  it('a title change or a removal rewrites the lock without a key or a request', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(2) }));
    expect((await runCli(['build'], dir, cliEnv(emulator))).code).toBe(0);
    const before = emulator.requests().length;
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(1).replace('title: Video 1', 'title: Renamed'));
    const noKey = { ...cliEnv(emulator), HEYGEN_API_KEY: '' };
    const run = await runCli(['build'], dir, noKey);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/v001\s+metadata\s+updated/);
    expect(run.stdout).toMatch(/v002\s+remove\s+removed/);
    expect(emulator.requests().length).toBe(before);
    const again = await runCli(['build'], dir, noKey);
    expect(again.stdout).toMatch(/^Nothing to render: 1 video up to date\./);
  });
});

describe('reel build --emulator', () => {
  it('needs no key, leaves MP4 files and a lock, and a second run says nothing to do', async () => {
    const dir = await track(exampleProject());
    const first = await runCli(['build', '--emulator'], dir, cliEnv(undefined));
    expect(first.code).toBe(0);
    expect((await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.mp4')).length).toBe(11);
    // Priced at HeyGen's rates, but nothing was paid: the summary says so instead of "cost $…".
    expect(first.stdout).toMatch(/; free on the emulator \(on HeyGen: \$\d+\.\d\d rendered, estimated ~\$\d+\.\d\d\)\.$/m);
    const lock = await readLockJson(dir);
    expect(Object.values(lock.videos).every((v) => (v as { api?: string }).api === 'emulator')).toBe(true);
    const second = await runCli(['build', '--emulator'], dir, cliEnv(undefined));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^Nothing to render: 11 videos up to date\./);
  });
});

describe('reel build --emulator next to real renders', () => {
  it('refuses to replace videos HeyGen rendered, and sends nothing', async () => {
    const dir = await track(project({ 'videos/a.yaml': directManifest(1) }));
    const lock = {
      assets: {},
      lockfileVersion: 1,
      videos: {
        v001: {
          fields: {},
          fingerprint: '0'.repeat(64),
          generation: 1,
          mode: 'direct',
          status: 'completed',
          updated_at: '2026-01-01T00:00:00.000Z',
          video_id: 'real-video',
        },
      },
    };
    await writeFile(join(dir, 'reel.lock'), `${JSON.stringify(lock, null, 2)}\n`);
    const run = await runCli(['build', '--emulator'], dir, cliEnv(undefined));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/reel\.lock holds 1 video rendered by heygen \(v001\); --emulator would replace them/);
    expect(JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8'))).toEqual(lock);
  });
});
