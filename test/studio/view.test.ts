// The studio's view model: every entry and the totals carry the plan's cost, shared renders name their owner.
import { describe, expect, it } from 'vitest';
import { resolvePricing } from '../../src/plan/cost.js';
import { plan } from '../../src/plan/plan.js';
import { entryView, overviewEntry, totalsOf } from '../../src/studio/view.js';
import { direct, lockOf, locked } from '../plan/builders.js';

const catalog = { avatars: new Map(), voices: new Map() };
const outputs = { video: false, thumbnail: false, captions: false };

describe('studio view cost', () => {
  const script = 'Hello there, and welcome to the team. This short video shows you around the place.';
  const done = direct('done', { script: 'Already rendered.' });
  const entries = [direct('alpha', { script }), direct('beta', { script }), direct('gamma', { engine: { type: 'avatar_iii' } }), done];

  it('gives each billed entry its cost, shared and unchanged ones none, and totals the plan', () => {
    const p = plan(entries, lockOf(['done', locked(done)]), { shareRenders: true });
    const byId = new Map(p.changes.map((c) => [c.id, overviewEntry('/p', c)]));
    const alpha = byId.get('alpha')!;
    expect(alpha).toMatchObject({ billed: true, seconds: expect.any(Number) });
    expect(alpha.cost).toBeCloseTo(alpha.seconds * 0.0667, 6);
    expect(byId.get('gamma')!.cost).toBeCloseTo(byId.get('gamma')!.seconds * 0.0167, 6);
    expect(byId.get('beta')).toMatchObject({ billed: false, cost: 0, sharedWith: 'alpha' });
    expect(byId.get('done')).toMatchObject({ action: 'unchanged', billed: false, cost: 0 });
    expect(byId.get('done')).not.toHaveProperty('sharedWith');

    const totals = totalsOf(p);
    expect(totals).toMatchObject({ renders: 2, costUnit: 'usd' });
    expect(totals.cost).toBeCloseTo(alpha.cost + byId.get('gamma')!.cost, 9);

    const beta = entryView('/p', p.changes.find((c) => c.id === 'beta')!, { catalog, outputs, costUnit: 'usd' });
    expect(beta).toMatchObject({ billed: false, cost: 0, sharedWith: 'alpha', costUnit: 'usd' });
    const view = entryView('/p', p.changes.find((c) => c.id === 'alpha')!, { catalog, outputs, costUnit: 'usd' });
    expect(view).toMatchObject({ billed: true, cost: alpha.cost, costUnit: 'usd' });
  });

  it('carries the unit of the config’s pricing', () => {
    const pricing = resolvePricing({ unit: 'credits' });
    const p = plan(entries, lockOf(), { pricing });
    const totals = totalsOf(p);
    expect(totals.costUnit).toBe('credits');
    const gamma = overviewEntry('/p', p.changes.find((c) => c.id === 'gamma')!);
    expect(gamma.cost).toBeCloseTo(gamma.seconds * 0.0033, 6);
  });
});
