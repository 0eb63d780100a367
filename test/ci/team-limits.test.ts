import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import type { ShardShare } from '../../src/plan/budget.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { creates, emulatorPerTest } from '../helpers/emulator.js';
import { directManifest } from '../helpers/project.js';

const emu = emulatorPerTest();
const tooMany = (e: Emulator): number => e.requests().filter((r) => r.status === 429).length;

/** A checkout per CI job: the same commit copied into its own folder. */
async function checkout(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reel-shard-'));
  await cp(from, dir, { recursive: true });
  return dir;
}

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('shards share HeyGen’s limit and the budget', () => {
    it('the plan job refuses a build over the global budget, else hands each shard its share; 3 shards at once see no 429s', async () => {
      const { dir, emu: e } = await emu.setup({ 'videos/a.yaml': directManifest(30) }, { concurrencyLimit: 10, renderSeconds: 0.5 });
      const out = join(dir, 'github-output');
      const env = cliEnv(e, { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: out });
      await writeFile(out, '');

      // 30 renders over 3 shards: the whole build is what counts, not 30/3 per shard.
      const over = await runCli(['plan', '--shares', '3', '--max-videos', '20'], dir, env);
      expect(over.code).toBe(1);
      expect(over.stderr).toContain('over budget: 30 videos would render, more than --max-videos 20');
      expect(over.stderr).toContain('::error::over budget');
      expect(await readFile(out, 'utf8')).toBe('');

      const plan = await runCli(['plan', '--shares', '3', '--max-videos', '30'], dir, env);
      expect(plan.code, plan.stderr).toBe(0);
      const line = (await readFile(out, 'utf8')).trim();
      expect(line.startsWith('matrix=')).toBe(true);
      const shares = (JSON.parse(line.slice('matrix='.length)) as { include: ShardShare[] }).include;
      expect(shares.map((s) => `${s.shard}/${s.of}`)).toEqual(['1/3', '2/3', '3/3']);
      expect(shares.reduce((sum, s) => sum + s.max_videos, 0)).toBe(30);

      // The matrix jobs, at once (in this process, as separate runs), each from its own checkout, each with its share as its budget.
      const jobs = await Promise.all(shares.map(async () => checkout(dir)));
      const runs = await Promise.all(
        shares.map((s, i) => runCli(['build', '--yes', '--shard', `${s.shard}/${s.of}`, '--max-videos', String(s.max_videos), '--max-seconds', String(s.max_seconds)], jobs[i] as string, env)),
      );
      for (const r of runs) {
        expect(r.code, r.stderr + r.stdout).toBe(0);
        expect(r.stdout).toMatch(/shard \d\/3: 3 jobs in flight, its share of concurrency 10/);
      }
      expect(creates(e)).toBe(30);
      expect(tooMany(e)).toBe(0);
      await Promise.all(jobs.map((j) => rm(j, { recursive: true, force: true })));

      // Without the share (each shard taking the whole limit) the same build meets a 429 storm.
      e.reset();
      const greedy = await Promise.all(shares.map(async () => checkout(dir)));
      const greedyRuns = await Promise.all(shares.map((s, i) => runCli(['build', '--yes', '--shard', `${s.shard}/${s.of}`, '--concurrency', '10'], greedy[i] as string, env)));
      for (const r of greedyRuns) expect(r.code, r.stderr).toBe(0);
      expect(tooMany(e)).toBeGreaterThan(0);
      await Promise.all(greedy.map((j) => rm(j, { recursive: true, force: true })));
    }, 120_000);
  });

  describe('no churn', () => {
    it('files downloaded again leave reel.lock byte for byte, and the summary counts them apart', async () => {
      const { dir, emu: e } = await emu.setup({ 'videos/a.yaml': directManifest(3) });
      const env = cliEnv(e, { REEL_POLL_MS: '30,30,100' });
      const first = await runCli(['build', '--yes'], dir, env);
      expect(first.code, first.stderr).toBe(0);
      const before = await readFile(join(dir, 'reel.lock'));
      await rm(join(dir, 'out'), { recursive: true, force: true });

      const again = await runCli(['build', '--yes'], dir, env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/Build finished: 3 re-downloaded in /);
      expect(await readFile(join(dir, 'out/v001.mp4'))).toBeTruthy();
      expect((await readFile(join(dir, 'reel.lock'))).equals(before)).toBe(true);
      expect(creates(e)).toBe(3);

      const json = await runCli(['build', '--yes', '--json'], dir, env);
      expect(json.code).toBe(0);
      await rm(join(dir, 'out'), { recursive: true, force: true });
      const ndjson = await runCli(['build', '--yes', '--json'], dir, env);
      const done = JSON.parse(ndjson.stdout.trim().split('\n').pop() as string) as { redownloaded: number; counts: Record<string, number> };
      expect(done.redownloaded).toBe(3);
      expect(done.counts.completed).toBeUndefined();
    });
  });
});
