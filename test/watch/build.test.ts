import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, startEmulator } from '../../src/emulator/index.js';
import { loadProject } from '../../src/manifest/index.js';
import { fingerprint } from '../../src/plan/index.js';
import { MAIN, smallProject } from './fixtures.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { project, writeProjectFile } from '../helpers/project.js';
import { creates, ownedByTest, whileTicking } from '../helpers/emulator.js';

async function fingerprintOf(dir: string, id: string): Promise<string> {
  const { entries } = await loadProject(dir);
  return fingerprint(entries.find((e) => e.id === id)!);
}

// Each test has its own emulator, project and watch process, and mostly waits: they run side by side.
describe.concurrent('reel watch --build (against the emulator)', () => {
  it('renders what is saved, once, and does not wait for a render a newer save made stale', async ({ onTestFinished }) => {
    const run = ownedByTest(onTestFinished);
    const emulator = (run.emulator = await startEmulator({ port: 0, renderSeconds: 1.5, apiKey: 'sk-watch-test' }));
    const root = (run.root = project(smallProject()));
    const w = (run.running = spawnCli(['watch', '--build'], root, {
      HEYGEN_API_URL: emulator.url,
      HEYGEN_API_KEY: 'sk-watch-test',
      REEL_WATCH_QUIET_MS: '200',
      REEL_POLL_MS: '100,100,300',
    }));
    const first = await w.waitFor(/plan: .*\n/);
    expect(first).toMatch(/plan: 4 to create/);
    // What was pending before watch started is not rendered behind the user's back.
    await w.waitFor(/4 entries already needed rendering/);
    // Only the account check of the banner: nothing paid.
    expect(emulator.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v3/users/me']);

    // One save → one build of that entry only.
    let mark = w.mark();
    let main = MAIN.replace('welcome to Acme.', 'welcome to Acme, glad you are here.');
    writeProjectFile(root, 'videos/main.yaml', main);
    let out = await w.waitFor(/build: done: .*\n/, mark, 20_000);
    expect(out).toMatch(/build: rendering welcome\n/);
    expect(out).toMatch(/build: welcome completed/);
    expect(creates(emulator)).toBe(1);
    expect(existsSync(join(root, 'out', 'welcome.mp4'))).toBe(true);
    // The build wrote the lock; the view follows.
    await w.waitFor(/= welcome unchanged/, mark);

    // Save support, and save it again while its first render is in flight.
    mark = w.mark();
    main = main.replace('Press the question mark', 'Press the help button');
    writeProjectFile(root, 'videos/main.yaml', main);
    await w.waitFor(/build: support submitted/, mark, 20_000);
    const final = main.replace('Press the help button', 'Click the help button');
    writeProjectFile(root, 'videos/main.yaml', final);
    out = await w.waitFor(/not waiting for stale renders of support[\s\S]*build: done: .*\n/, mark, 20_000);
    expect(out).toMatch(/build: support completed/);
    // Two creates for support: the stale one (abandoned, not waited for) and the final one.
    expect(creates(emulator)).toBe(3);
    const lock = JSON.parse(readFileSync(join(root, 'reel.lock'), 'utf8')) as { videos: Record<string, { fingerprint: string; status: string }> };
    expect(lock.videos.support?.status).toBe('completed');
    expect(lock.videos.support?.fingerprint).toBe(await fingerprintOf(root, 'support'));
    expect(lock.videos.welcome?.status).toBe('completed');
    // Nothing else was rendered.
    expect(Object.keys(lock.videos).sort()).toEqual(['support', 'welcome']);

    if (process.env.SHOW) console.log(w.stdout());
    expect(await w.stop()).toBe(0);
    expect(creates(emulator)).toBe(3);
  });

  it('Ctrl-C during a render leaves it in the lock, and reel build resumes it without a second create', async ({ onTestFinished }) => {
    const run = ownedByTest(onTestFinished);
    // The emulator's clock stands still while watch runs, so the render is surely still going at Ctrl-C.
    const clock = new ManualClock();
    const emulator = (run.emulator = await startEmulator({ port: 0, renderSeconds: 2, apiKey: 'sk-watch-test', clock }));
    const root = (run.root = project(smallProject()));
    const env = { HEYGEN_API_URL: emulator.url, HEYGEN_API_KEY: 'sk-watch-test', REEL_WATCH_QUIET_MS: '100', REEL_POLL_MS: '100,100,300' };
    const w = (run.running = spawnCli(['watch', '--build'], root, env));
    await w.waitFor(/plan: .*\n/);
    const mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('welcome to Acme.', 'welcome, and goodbye.'));
    await w.waitFor(/build: welcome submitted/, mark, 20_000);
    expect(await w.stop()).toBe(0);
    run.running = undefined;
    const lock = JSON.parse(readFileSync(join(root, 'reel.lock'), 'utf8')) as { videos: Record<string, { status: string }> };
    expect(lock.videos.welcome?.status).toBe('submitted');
    expect(creates(emulator)).toBe(1);

    const resumed = await whileTicking(clock, () => runCli(['build', '--yes', '--target', 'welcome'], root!, env));
    expect(resumed.code).toBe(0);
    expect(creates(emulator)).toBe(1);
    expect(existsSync(join(root, 'out', 'welcome.mp4'))).toBe(true);
  });

  it('plans as reel plan does: a lock record under a draft, or kept by eject --replace, is no removal, and a build removes neither', async ({ onTestFinished }) => {
    const run = ownedByTest(onTestFinished);
    const emulator = (run.emulator = await startEmulator({ port: 0, renderSeconds: 1, apiKey: 'sk-watch-test' }));
    const bytes = { teaser: 'paid for', constructor: 'paid for too' };
    const record = (letter: string, id: keyof typeof bytes, extra: Record<string, string> = {}): Record<string, unknown> => ({
      fingerprint: letter.repeat(64),
      mode: 'direct',
      status: 'completed',
      generation: 1,
      fields: {},
      video_id: `v-${letter}`,
      updated_at: '2026-01-01T00:00:00.000Z',
      output: { path: `out/${id}.mp4`, size: bytes[id].length, sha256: createHash('sha256').update(bytes[id]).digest('hex') },
      ...extra,
    });
    const teaser = '  teaser:\n    draft: true\n    title: Teaser\n';
    const root = (run.root = project({
      ...smallProject(),
      'videos/main.yaml': MAIN + teaser,
      'reel.lock': `${JSON.stringify({ lockfileVersion: 1, assets: {}, videos: { teaser: record('a', 'teaser'), constructor: record('b', 'constructor', { ejected_to: 'welcome' }) } }, null, 2)}\n`,
      'out/teaser.mp4': bytes.teaser,
      'out/constructor.mp4': bytes.constructor,
    }));
    const plan = await runCli(['plan'], root);
    expect(plan.stdout).toMatch(/\? teaser +draft: needs/);
    expect(plan.stdout).not.toMatch(/^- /m);

    const env = { HEYGEN_API_URL: emulator.url, HEYGEN_API_KEY: 'sk-watch-test', REEL_WATCH_QUIET_MS: '100', REEL_POLL_MS: '100,100,300' };
    const w = (run.running = spawnCli(['watch', '--build'], root, env));
    const first = await w.waitFor(/plan: .*\n/);
    expect(first).toMatch(/teaser +warning: `teaser` is a draft/);
    expect(first).not.toMatch(/ - \S+ remove|to remove/);

    // A save builds welcome; the records and files under the draft and the kept record stay.
    const mark = w.mark();
    writeProjectFile(root, 'videos/main.yaml', MAIN.replace('welcome to Acme.', 'welcome, draft or not.') + teaser);
    const out = await w.waitFor(/build: done: .*\n/, mark, 20_000);
    expect(out).toMatch(/build: welcome completed/);
    expect(out).not.toMatch(/ - \S+ remove|to remove|removed/);
    expect(await w.stop()).toBe(0);
    run.running = undefined;
    const lock = JSON.parse(readFileSync(join(root, 'reel.lock'), 'utf8')) as { videos: Record<string, { video_id?: string }> };
    expect(lock.videos.teaser?.video_id).toBe('v-a');
    expect(Object.hasOwn(lock.videos, 'constructor')).toBe(true);
    expect(readFileSync(join(root, 'out', 'teaser.mp4'), 'utf8')).toBe('paid for');
    expect(readFileSync(join(root, 'out', 'constructor.mp4'), 'utf8')).toBe('paid for too');
  });
});
