// What the studio's Build button confirms: a digest of what the plan bills (ids, seconds, cost,
// unit) and removes, checked again on the plan the build applies.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ApplyBuildOptions, applyBuild } from '../../src/build/apply.js';
import { resolvePricing } from '../../src/plan/cost.js';
import { plan } from '../../src/plan/plan.js';
import { studioBuild } from '../../src/studio/build.js';
import { confirmationOf } from '../../src/studio/confirm.js';
import { direct, lockOf, locked } from '../plan/builders.js';
import { directManifest, project, removedAfterAll } from '../helpers/project.js';

describe('confirmationOf', () => {
  const a = direct('a', { script: 'Welcome to the team, this is your first day.' });
  const b = direct('b', { script: 'Welcome to the team, this is your last day..' });

  it('changes with the price of what is billed, even when renders and seconds do not', () => {
    const before = plan([a], lockOf());
    const after = plan([a], lockOf(), { pricing: resolvePricing({ avatar_iv: 0.2 }) });
    expect([after.summary.renders, after.summary.estimateSeconds]).toEqual([before.summary.renders, before.summary.estimateSeconds]);
    expect(after.summary.estimateCost).not.toBe(before.summary.estimateCost);
    expect(confirmationOf(after).digest).not.toBe(confirmationOf(before).digest);
    expect(confirmationOf(plan([a], lockOf(), { pricing: resolvePricing({ unit: 'credits' }) })).digest).not.toBe(confirmationOf(before).digest);
    // The same plan made again confirms the same.
    expect(confirmationOf(plan([a], lockOf())).digest).toBe(confirmationOf(before).digest);
  });

  it('changes with which entry is billed, even when the totals are the same', () => {
    const billsA = plan([a, b], lockOf(['b', locked(b)]));
    const billsB = plan([a, b], lockOf(['a', locked(a)]));
    const totals = (p: typeof billsA) => [p.summary.renders, p.summary.estimateSeconds, p.summary.estimateCost];
    expect(totals(billsA)).toEqual(totals(billsB));
    expect(confirmationOf(billsA).digest).not.toBe(confirmationOf(billsB).digest);
  });

  it('lists removals with the files they delete, and the removal guard when it applies', () => {
    const files = (id: string) => ({
      output: { path: `out/${id}.mp4`, sha256: 'x', size: 1 },
      thumbnail: { path: `out/${id}.jpg`, sha256: 'x', size: 1 },
    });
    const kept = Array.from({ length: 9 }, (_, i) => direct(`k${i}`));
    const lock = lockOf(...kept.map((e) => [e.id, locked(e)] as [string, ReturnType<typeof locked>]), ['gone', locked(direct('gone'), files('gone'))]);
    const one = confirmationOf(plan(kept, lock));
    expect(one.removals).toEqual([{ id: 'gone', files: ['out/gone.mp4', 'out/gone.jpg'], videoId: 'v-gone' }]);
    expect(one).not.toHaveProperty('removalGuard');

    const many = confirmationOf(plan(kept.slice(0, 2), lock));
    expect(many.removals.map((r) => r.id)).toEqual(['gone', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']);
    expect(many.removalGuard).toBe('8 of the 10 videos in reel.lock would be removed (80 %), with their local files');
    expect(many.digest).not.toBe(one.digest);
  });
});

describe('studioBuild', () => {
  const dirs = removedAfterAll();
  const silent = { event: () => {}, note: () => {}, problem: () => {}, done: () => {}, close: () => {} };

  async function confirmedDigest(dir: string): Promise<string> {
    const result = await applyBuild({ cwd: dir, env: {}, signal: new AbortController().signal, reporter: silent, dryRun: true });
    if (result.kind !== 'planned') throw new Error(result.kind);
    return confirmationOf(result.plan).digest;
  }

  it('sends nothing when the plan the build makes costs other than the one confirmed (a pricing change)', async () => {
    const dir = project({ 'videos/a.yaml': directManifest(2) });
    dirs.push(dir);
    const digest = await confirmedDigest(dir);
    await writeFile(join(dir, 'reel.config.yaml'), 'pricing:\n  avatar_iv: 0.5\n');
    const events: Record<string, unknown>[] = [];
    const build = studioBuild({ cwd: dir, env: {}, signal: new AbortController().signal, allowed: true });
    await build.start((e) => events.push(e), { digest, allowRemovals: false });
    expect(events.at(-1)).toEqual({ kind: 'done', ok: false, summary: 'the plan changed since you confirmed it: nothing was sent; check the plan and build again' });
  });

  it('confirms the plan it was shown, and passes --allow-removals only when the person allowed them', async () => {
    const dir = project({ 'videos/a.yaml': directManifest(2) });
    dirs.push(dir);
    const digest = await confirmedDigest(dir);
    const seen: Array<{ confirmed: boolean; allowRemovals: boolean | undefined }> = [];
    const run = async (options: ApplyBuildOptions) => {
      const result = await applyBuild({ ...options, dryRun: true });
      if (result.kind !== 'planned') throw new Error(result.kind);
      seen.push({ confirmed: (await options.confirm?.(result.plan)) === true, allowRemovals: options.allowRemovals });
      return result;
    };
    const build = studioBuild({ cwd: dir, env: {}, signal: new AbortController().signal, allowed: true }, run);
    await build.start(() => {}, { digest, allowRemovals: false });
    await build.start(() => {}, { digest, allowRemovals: true });
    expect(seen).toEqual([
      { confirmed: true, allowRemovals: undefined },
      { confirmed: true, allowRemovals: true },
    ]);
  });
});
