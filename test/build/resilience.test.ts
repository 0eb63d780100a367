import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Behaviours, ManualClock, type Emulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { directManifest, type LockJson, readLockJson } from '../helpers/project.js';
import { allVideos, apiGet, countByTag, creates, emulatorPerTest, whileTicking } from '../helpers/emulator.js';

const { setup } = emulatorPerTest();

/** Every fingerprint tag names exactly one video, and there are `n` of them. */
async function expectExactlyOnce(emu: Emulator, n: number): Promise<void> {
  const counts = countByTag(await allVideos(emu));
  expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
  expect(counts.size).toBe(n);
}

const agentManifest = [
  'version: 1',
  'videos:',
  '  tour:',
  '    mode: agent',
  '    prompt: A 20-second tour of the Acme dashboard for new users.',
  '    avatar: Daisy-inskirt-20220818',
  '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
  '',
].join('\n');

/**
 * The live-API behaviours (src/emulator/behaviours.ts, docs/emulator.md) these suites run under:
 * the defaults, and each switch on alone. A test runs only under the switches that change its path,
 * so CI does not pay for runs that cannot differ (the file takes about 3× its single-setting time):
 * - lagging bulk statuses (an hour of emulator time: `GET /v3/videos/statuses` never knows the ids
 *   in the test) wherever reel polls a render it may have lost track of: every test;
 * - failing bulk statuses (each failed read is retried with backoff, so the slowest switch): where
 *   reel resumes polling renders it did not see finish (kill while rendering, Ctrl-C);
 * - agent video_id only once rendering: the tests with an agent create (direct ones never read it);
 * - session listing lag: where a lost or killed agent create makes reel adopt by listing;
 * - error replay off: no test here meets a 4xx (random faults are 5xx, resets and slow answers),
 *   so it would only repeat the defaults; chat auto-proceed: no chat entry here (review-flow has).
 */
type Case = readonly [string, Partial<Behaviours>];
const AS_OBSERVED: Case = ['HeyGen as observed (the defaults)', {}];
const STATUSES_LAG: Case = ['bulk statuses lag behind', { statusLagSeconds: 3600 }];
const STATUSES_FAILING: Case = ['bulk statuses keep failing', { statusesFailing: true }];
const NO_AGENT_VIDEO_AT_CREATE: Case = ['agent video_id only once rendering', { agentVideoAtCreate: false }];
const SESSION_LIST_LAG: Case = ['session listing lags', { sessionListLagSeconds: 0.4 }];
const AGENT_CREATE_CASES = [AS_OBSERVED, STATUSES_LAG, NO_AGENT_VIDEO_AT_CREATE, SESSION_LIST_LAG];

async function sessions(emu: Emulator): Promise<Array<{ session_id: string }>> {
  return (await apiGet<{ data: Array<{ session_id: string }> }>(`${emu.url}/v3/video-agents?limit=100`)).data;
}

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('exactly once', () => {
  describe.each([AS_OBSERVED, STATUSES_LAG])('never paying twice for a direct create when %s', (_name, behaviours) => {
    it('survives a create whose answer is lost after the video was made (reset-after)', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(3) }, { behaviours });
      emu.inject({ method: 'POST', path: '/v3/videos', kind: 'reset-after', times: 2 });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      await expectExactlyOnce(emu, 3);
      // The lost answers were replayed under the same Idempotency-Key, not created again.
      const posts = emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/videos');
      expect(posts.length).toBe(5);
      expect(new Set(posts.map((p) => p.idempotency_key)).size).toBe(3);
    });
  });

  describe.each(AGENT_CREATE_CASES)('never paying twice for an agent create when %s', (_name, behaviours) => {
    it('adopts an agent session whose create answer was lost instead of creating another', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest }, { behaviours });
      emu.inject({ method: 'POST', path: '/v3/video-agents', kind: 'reset-after' });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/found among recent agent sessions/);
      expect(await sessions(emu)).toHaveLength(1);
      expect((await readLockJson(dir)).videos.tour?.status).toBe('completed');
    });
  });

  describe.each([AS_OBSERVED, STATUSES_LAG, SESSION_LIST_LAG])('never paying twice under random faults when %s', (_name, behaviours) => {
    // REEL_FAULT_SEED=<n> explores other fault sequences locally.
    it('converges under random faults (--fault-rate 0.2) with one video per fingerprint and generation', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(8), 'videos/b.yaml': agentManifest }, { faultRate: 0.2, seed: Number(process.env.REEL_FAULT_SEED ?? 7), behaviours });
      let last = await runCli(['build'], dir, cliEnv(emu));
      for (let i = 0; i < 6 && last.code !== 0; i += 1) last = await runCli(['build', '--retry-failed'], dir, cliEnv(emu));
      expect(last.stderr).toBe('');
      expect(last.code).toBe(0);
      expect(last.stdout).not.toContain(KEY);
      expect(await readFile(join(dir, 'reel.lock'), 'utf8')).not.toContain(KEY);
      const lock = await readLockJson(dir);
      expect(Object.values(lock.videos).map((v) => v.status)).toEqual(Array(9).fill('completed'));
      const counts = countByTag(await allVideos(emu));
      expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
      // Every direct entry's current generation is among them.
      expect(counts.size).toBeGreaterThanOrEqual(8);
      expect(await sessions(emu)).toHaveLength(
        1 +
          Object.values(lock.videos)
            .filter((v) => v.session_id)
            .map((v) => v.generation - 1)
            .reduce((a, b) => a + b, 0),
      );
    });
  });

  describe('kill -9', () => {
    // The emulator's clock stands still until the build is stopped, so no render can finish first:
    // the stop lands mid-flight by construction, and the test checks that it did. Time runs again
    // for the resume.
    const started = (emu: Emulator): number => creates(emu) + creates(emu, '/v3/video-agents');
    // 2: the two held creates are out; 4: every render slot (--concurrency 4) is taken.
    // In flight, the agent create may be the lost answer (adoption); while rendering, the resume polls.
    const KILLS = [
      ...AGENT_CREATE_CASES.map(([name, b]) => ['while creates are in flight', 2, name, b] as const),
      ...[AS_OBSERVED, STATUSES_LAG, STATUSES_FAILING, NO_AGENT_VIDEO_AT_CREATE].map(([name, b]) => ['while rendering', 4, name, b] as const),
    ];
    for (const [label, afterPosts, name, behaviours] of KILLS) {
      it(`a build killed ${label} resumes with exactly one video per entry when ${name}`, async () => {
        const clock = new ManualClock();
        const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(6), 'videos/b.yaml': agentManifest }, { renderSeconds: 0.6, clock, behaviours });
        // Hold some create answers so the kill lands between a POST leaving and its answer arriving.
        emu.inject({ method: 'POST', path: '/v3/videos', kind: 'slow', delayMs: 1500, times: 2 });
        const first = spawnCli(['build', '--concurrency', '4'], dir, cliEnv(emu));
        await waitFor(() => started(emu) >= afterPosts);
        expect(first.child.exitCode).toBeNull();
        first.child.kill('SIGKILL');
        const killed = await first.done;
        expect(killed.signal).toBe('SIGKILL');
        // The lock is readable at any instant, and nothing in it had finished.
        const atKill = JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8').catch(() => '{}')) as Partial<LockJson>;
        expect(Object.values(atKill.videos ?? {}).filter((v) => v.status === 'completed')).toEqual([]);
        expect(emu.requests().some((r) => r.method === 'GET' && r.path.startsWith('/files/'))).toBe(false);

        const second = await whileTicking(clock, () => runCli(['build'], dir, cliEnv(emu)));
        expect(second.stderr).toMatch(/^(reel: took over.*\n)?$/);
        expect(second.code).toBe(0);
        const lock = await readLockJson(dir);
        expect(Object.values(lock.videos).map((v) => v.status)).toEqual(Array(7).fill('completed'));
        await expectExactlyOnce(emu, 6);
        expect(await sessions(emu)).toHaveLength(1);
      });
    }
  });

  describe.each([AS_OBSERVED, STATUSES_LAG, STATUSES_FAILING])('Ctrl-C when %s', (_name, behaviours) => {
    it('Ctrl-C stops new submissions, keeps the lock and exits 130; the next run resumes', async () => {
      const clock = new ManualClock();
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(9) }, { renderSeconds: 0.8, clock, behaviours });
      const first = spawnCli(['build', '--concurrency', '3'], dir, cliEnv(emu));
      await waitFor(() => /submitted, video/.test(first.stdout()));
      expect(first.child.exitCode).toBeNull();
      first.child.kill('SIGINT');
      const stopped = await first.done;
      expect(stopped.code).toBe(130);
      expect(stopped.stderr).toMatch(/stopping/);
      const postsAtStop = creates(emu);
      expect(postsAtStop).toBeLessThan(9);
      const lock = await readLockJson(dir);
      expect(Object.values(lock.videos).some((v) => v.status === 'submitted' && v.video_id)).toBe(true);
      expect(Object.values(lock.videos).filter((v) => v.status === 'completed')).toEqual([]);

      const second = await whileTicking(clock, () => runCli(['build'], dir, cliEnv(emu)));
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/resume/);
      await expectExactlyOnce(emu, 9);
    });
  });
});
