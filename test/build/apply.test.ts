import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBuild, buildOutcome } from '../../src/build/apply.js';
import type { BuildEvent } from '../../src/build/events.js';
import type { BuildReporter, BuildTotals } from '../../src/build/reporter.js';
import type { Plan } from '../../src/plan/index.js';
import { cliEnv, testEnv } from '../helpers/cli.js';
import { emulatorPerTest } from '../helpers/emulator.js';
import { directManifest } from '../helpers/project.js';

/** Everything the build told its reporter, in order. */
class RecordingReporter implements BuildReporter {
  readonly events: BuildEvent[] = [];
  readonly notes: string[] = [];
  readonly totals: BuildTotals[] = [];
  closed = 0;
  event(event: BuildEvent): void {
    this.events.push(event);
  }
  note(message: string): void {
    this.notes.push(message);
  }
  done(totals: BuildTotals): void {
    this.totals.push(totals);
  }
  close(): void {
    this.closed += 1;
  }
}

describe('applyBuild, in-process against the emulator', () => {
  const emulator = emulatorPerTest();
  const env = (): NodeJS.ProcessEnv => testEnv(cliEnv(emulator.current(), { REEL_POLL_MS: '50,50,200' }));

  it('renders each entry once, reports typed events and returns the applied plan', async () => {
    const { dir, emu } = await emulator.setup({ 'videos/a.yaml': directManifest(2) });
    const reporter = new RecordingReporter();
    const asked: Plan[] = [];
    const result = await applyBuild({
      cwd: dir,
      env: env(),
      signal: new AbortController().signal,
      reporter,
      confirm: async (plan) => {
        asked.push(plan);
        // Asked before anything was sent.
        expect(emu.requests()).toHaveLength(0);
        return true;
      },
    });

    expect(asked.map((p) => p.changes.map((c) => [c.id, c.action]))).toEqual([
      [
        ['v001', 'create'],
        ['v002', 'create'],
      ],
    ]);
    if (result.kind !== 'applied') throw new Error(`expected applied, got ${result.kind}`);
    expect(buildOutcome(result)).toBe('ok');
    expect(result.plan.changes.map((c) => c.id).sort()).toEqual(['v001', 'v002']);
    expect(result.counts).toEqual({ completed: 2 });
    expect(result.results.map((r) => [r.id, r.action, r.result]).sort()).toEqual([
      ['v001', 'create', 'completed'],
      ['v002', 'create', 'completed'],
    ]);

    // One create per entry, and the reporter saw each step of each job.
    const creates = emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/videos');
    expect(creates).toHaveLength(2);
    expect(reporter.events[0]).toMatchObject({ type: 'start', jobs: 2, renders: 2 });
    for (const id of ['v001', 'v002']) {
      const mine = reporter.events.filter((e) => 'id' in e && e.id === id).map((e) => e.type);
      expect(mine).toEqual(expect.arrayContaining(['submit', 'submitted', 'rendered', 'downloaded']));
      expect(reporter.events).toContainEqual({ type: 'result', job: expect.objectContaining({ id, result: 'completed', file: `out/${id}.mp4` }) });
    }
    expect(reporter.totals).toHaveLength(1);
    expect(reporter.totals[0]).toMatchObject({ unchanged: 0, cancelled: false });
    expect(reporter.totals[0]?.requests).toBeGreaterThanOrEqual(2);
    // The caller owns the reporter: the build never closes it.
    expect(reporter.closed).toBe(0);

    // Outputs exist and the lock records them.
    for (const id of ['v001', 'v002']) expect(existsSync(join(dir, 'out', `${id}.mp4`))).toBe(true);
    const lock = JSON.parse(readFileSync(join(dir, 'reel.lock'), 'utf8')) as { videos: Record<string, { status: string; output?: { path: string } }> };
    expect(lock.videos.v001).toMatchObject({ status: 'completed', output: { path: 'out/v001.mp4' } });
    expect(lock.videos.v002).toMatchObject({ status: 'completed', output: { path: 'out/v002.mp4' } });

    // Built again, nothing is sent.
    const before = emu.requests().length;
    const again = await applyBuild({ cwd: dir, env: env(), signal: new AbortController().signal, reporter: new RecordingReporter() });
    expect(again).toMatchObject({ kind: 'up-to-date', unchanged: 2, failedEarlier: [] });
    expect(emu.requests()).toHaveLength(before);
  });

  it('sends nothing and writes no lock when the confirm callback refuses', async () => {
    const { dir, emu } = await emulator.setup({ 'videos/a.yaml': directManifest(2) });
    const reporter = new RecordingReporter();
    let asked = 0;
    const result = await applyBuild({
      cwd: dir,
      env: env(),
      signal: new AbortController().signal,
      reporter,
      confirm: async () => {
        asked += 1;
        return false;
      },
    });
    expect(asked).toBe(1);
    expect(result.kind).toBe('declined');
    expect(buildOutcome(result)).toBe('failed');
    expect(emu.requests()).toHaveLength(0);
    expect(reporter.events).toEqual([]);
    expect(reporter.totals).toEqual([]);
    expect(existsSync(join(dir, 'reel.lock'))).toBe(false);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
