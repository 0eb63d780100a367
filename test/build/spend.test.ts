import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { directManifest, project, readLockJson } from '../helpers/project.js';

// The build side of issue 12: every paid action guarded before it is sent, through the CLI
// against the emulator.

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const undo of cleanup.reverse()) await undo();
});

async function setup(files: Record<string, string>, options: { renderSeconds?: number; walletUsd?: number } = {}): Promise<{ dir: string; emu: Emulator }> {
  const emu = await startEmulator({ port: 0, renderSeconds: options.renderSeconds ?? 0.1, apiKey: KEY, ...(options.walletUsd !== undefined ? { walletUsd: options.walletUsd } : {}) });
  const dir = await project(files);
  cleanup.push(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, emu };
}

const creates = (emu: Emulator): number => emu.requests().filter((r) => r.method === 'POST' && (r.path === '/v3/videos' || r.path === '/v3/video-agents')).length;
const agentMessages = (emu: Emulator): number => emu.requests().filter((r) => r.method === 'POST' && /^\/v3\/video-agents\/[^/]+$/.test(r.path)).length;

const agent = (approved: boolean): string =>
  ['version: 1', 'videos:', '  teaser:', '    mode: agent', '    prompt: A 120-second walkthrough of Acme 2.0.', '    review: true', ...(approved ? ['    approved: true'] : []), ''].join('\n');

describe('budgets count what HeyGen bills', () => {
  it('an approval is a render: --max-videos 0 and --max-seconds refuse it before anything is sent (hole 1)', async () => {
    const { dir, emu } = await setup({ 'videos/a.yaml': agent(false) });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emu))).code).toBe(0);
    await writeFile(join(dir, 'videos/a.yaml'), agent(true));
    const sent = agentMessages(emu);
    for (const budget of [
      ['--max-videos', '0'],
      ['--max-seconds', '1'],
      ['--max-cost', '1'],
    ]) {
      const r = await runCli(['build', '--yes', ...budget], dir, cliEnv(emu));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/refusing to start: .*; nothing was sent/);
    }
    expect(agentMessages(emu)).toBe(sent);
    expect((await readLockJson(dir)).videos.teaser?.status).toBe('awaiting_review');
    // 120 s of Video Agent at $0.0333/s is about $4.
    const r = await runCli(['build', '--yes', '--max-cost', '3.99'], dir, cliEnv(emu));
    expect(r.stderr).toMatch(/the estimated cost, \$4\.00, is more than --max-cost 3\.99/);
    const ok = await runCli(['build', '--yes', '--max-cost', '4.5', '--max-videos', '1'], dir, cliEnv(emu));
    expect(ok.code).toBe(0);
    expect((await readLockJson(dir)).videos.teaser?.status).toBe('completed');
  });

  it('--max-cost refuses before anything is sent; identical requests count once', async () => {
    const body = '    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Hello there, and welcome to the team.\n';
    const { dir, emu } = await setup({ 'videos/a.yaml': `version: 1\nvideos:\n  alpha:\n${body}  beta:\n${body}` });
    const refused = await runCli(['build', '--yes', '--max-cost', '0.01'], dir, cliEnv(emu));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/estimated cost, \$0\.\d\d, is more than --max-cost 0\.01; nothing was sent/);
    expect(emu.requests()).toHaveLength(0);
    // One render for both: one video counts against --max-videos 1.
    const summary = join(dir, 'step-summary.md');
    await writeFile(summary, '');
    const built = await runCli(['build', '--yes', '--max-videos', '1'], dir, cliEnv(emu, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }));
    expect(built.code).toBe(0);
    // The build summary and the GitHub job summary name the cost next to the counts.
    expect(built.stdout).toMatch(/Build finished: 2 completed in .*; cost \$0\.\d\d rendered \(estimated ~\$0\.\d\d\)\./);
    expect(await readFile(summary, 'utf8')).toMatch(/cost \$0\.\d\d rendered \(estimated ~\$0\.\d\d\)/);
    const lock = await readLockJson(dir);
    expect(lock.videos.alpha?.video_id).toBe(lock.videos.beta?.video_id);
    expect((lock.videos.beta as { shared_with?: string }).shared_with).toBe('alpha');
    expect((lock.videos.alpha as { cost?: { amount: number; unit: string; product: string } }).cost).toMatchObject({ unit: 'usd', product: 'avatar_iv' });
  });
});

describe('shared renders and --prune (hole 5)', () => {
  it('prune keeps a HeyGen video another entry still uses; share_renders: false renders each on its own', async () => {
    const body = '    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Hello there, and welcome to the team.\n';
    const { dir, emu } = await setup({ 'videos/a.yaml': `version: 1\nvideos:\n  alpha:\n${body}  beta:\n${body}` });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emu))).code).toBe(0);
    await writeFile(join(dir, 'videos/a.yaml'), `version: 1\nvideos:\n  beta:\n${body}`);
    const pruned = await runCli(['build', '--yes', '--prune'], dir, cliEnv(emu));
    expect(pruned.code).toBe(0);
    expect(emu.requests().filter((r) => r.method === 'DELETE')).toHaveLength(0);
    const status = await runCli(['status'], dir, cliEnv(emu));
    expect(status.stdout + status.stderr).not.toMatch(/deleted on HeyGen/);

    const apart = await setup({ 'reel.config.yaml': 'share_renders: false\n', 'videos/a.yaml': `version: 1\nvideos:\n  alpha:\n${body}  beta:\n${body}` });
    expect((await runCli(['build', '--yes'], apart.dir, cliEnv(apart.emu))).code).toBe(0);
    const lock = await readLockJson(apart.dir);
    expect(lock.videos.alpha?.video_id).not.toBe(lock.videos.beta?.video_id);
    expect(creates(apart.emu)).toBe(2);
  });
});

describe('removal guard (hole 2)', () => {
  it('refuses a build that removes many locked videos, in CI too, unless --allow-removals', async () => {
    const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(8) });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emu))).code).toBe(0);
    await writeFile(join(dir, 'videos/a.yaml'), directManifest(2));
    const before = await readFile(join(dir, 'reel.lock'), 'utf8');
    const r = await runCli(['build', '--yes', '--prune'], dir, cliEnv(emu, { CI: 'true' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to start: 6 of the 8 videos in reel\.lock would be removed \(75 %\).*--allow-removals/);
    expect(await readFile(join(dir, 'reel.lock'), 'utf8')).toBe(before);
    await stat(join(dir, 'out/v008.mp4'));
    const allowed = await runCli(['build', '--yes', '--allow-removals'], dir, cliEnv(emu, { CI: 'true' }));
    expect(allowed.code).toBe(0);
    expect(Object.keys((await readLockJson(dir)).videos).sort()).toEqual(['v001', 'v002']);
  });
});

describe('wallet check', () => {
  it('refuses when the planned cost is above the balance GET /v3/users/me reports', async () => {
    const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(3) }, { walletUsd: 0.1 });
    const r = await runCli(['build', '--yes'], dir, cliEnv(emu));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/estimated cost, \$0\.\d\d, is more than the \$0\.10 left on the HeyGen account \(emulator-/);
    expect(emu.requests().map((q) => `${q.method} ${q.path}`)).toEqual(['GET /v3/users/me']);
    expect(creates(emu)).toBe(0);
  });
});

describe('stale plan under the write lock (hole 4)', () => {
  it('refuses in CI when the plan applied renders more than the plan checked', async () => {
    const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(3) });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emu))).code).toBe(0);
    await writeFile(
      join(dir, 'videos/a.yaml'),
      directManifest(3, (i: number) => (i === 1 ? ' Edited.' : '')),
    );
    // Another build holds the write lock; while this one waits, that build "forgets" two entries.
    const held = JSON.stringify({ pid: process.pid, hostname: hostname(), started_at: new Date().toISOString(), token: 'other' });
    await writeFile(join(dir, 'reel.lock.pid'), held);
    const asked = (): number => emu.requests().filter((q) => q.path === '/v3/users/me').length;
    const before = asked();
    const waiting = spawnCli(['build', '--yes', '--max-videos', '2'], dir, cliEnv(emu, { CI: 'true' }));
    // It has planned and checked its budget once it asks for the account (just before the lock).
    await waitFor(() => asked() > before);
    const lock = JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8')) as { videos: Record<string, unknown> };
    delete lock.videos.v002;
    // Atomically, as reel writes it: the waiting build may read it at any moment.
    await writeFile(join(dir, 'reel.lock.tmp'), `${JSON.stringify(lock, null, 2)}\n`);
    await rename(join(dir, 'reel.lock.tmp'), join(dir, 'reel.lock'));
    await rm(join(dir, 'reel.lock.pid'));
    const r = await waiting.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/reel\.lock changed while waiting for it, and the plan now renders 2 videos, \$0\.\d\d, where 1 \(\$0\.\d\d\) were confirmed \(v002\)/);
    expect(creates(emu)).toBe(3);
  });
});

describe('Ctrl-C (hole 6)', () => {
  it('says which renders HeyGen already has (billed, collected by the next build) and which were not started', async () => {
    const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(9) }, { renderSeconds: 2 });
    const run = spawnCli(['build', '--yes', '--concurrency', '3'], dir, cliEnv(emu));
    await waitFor(() => /submitted, video/.test(run.stdout()));
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    const m = /interrupted: (\d+) submitted \(HeyGen renders and bills them\): the next `reel build` collects them; (\d+) not started\./.exec(stopped.stdout + stopped.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1]) + Number(m![2])).toBe(9);
    expect(stopped.stdout).not.toMatch(/\d+ cancelled.*\n.*submitted/);
  });
});

describe('altered outputs (hole 7)', () => {
  it('downloads a same-size file with other bytes again, and renders nothing', async () => {
    const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(2) });
    expect((await runCli(['build', '--yes'], dir, cliEnv(emu))).code).toBe(0);
    const file = join(dir, 'out/v001.mp4');
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    await writeFile(file, bad);
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    const made = creates(emu);
    const r = await runCli(['build', '--yes'], dir, cliEnv(emu));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/v001\s+download\s+completed/);
    expect(Buffer.compare(await readFile(file), good)).toBe(0);
    expect(creates(emu)).toBe(made);
    // Untouched files are not even hashed again: a second build has nothing to do.
    expect((await runCli(['build', '--yes'], dir, cliEnv(emu))).stdout).toMatch(/^Nothing to render/);
  });
});
