import { sameApi } from '../util/api.js';
import { type Change, DEFAULT_PRICING, estimateSeconds, type Plan, priceOf, productOf, summarize } from './index.js';

/**
 * Which lock entries a build against `api` can trust. Entries made against another API (the
 * emulator, say) mean nothing to this one: their videos are rendered again here instead of being
 * polled or trusted. `reel plan` can apply the same to show what a build would really do.
 */
export function forApi(p: Plan, api: string): Plan {
  const pricing = p.pricing ?? DEFAULT_PRICING;
  const changes = p.changes.map((c): Change => {
    const other = c.locked && c.entry && !sameApi(c.locked.api, api);
    if (!other || c.render || c.action === 'remove') return c;
    if (c.action === 'failed' || c.action === 'unchanged' || c.action === 'metadata' || c.action === 'resume') {
      const seconds = estimateOf(c);
      const estimateCost = c.entry ? priceOf(productOf(c.entry), seconds, pricing) : 0;
      return { ...c, action: 'create', render: true, billed: true, estimateCost, changed: ['api'], generation: (c.locked?.generation ?? 0) + 1, estimateSeconds: seconds };
    }
    return c;
  });
  return { ...p, changes, summary: summarize(changes, pricing.unit) };
}

/** Seconds a change renders: the plan's estimate, or the entry's when the plan said it renders nothing. */
export function estimateOf(change: Change): number {
  return change.estimateSeconds > 0 || !change.entry ? change.estimateSeconds : estimateSeconds(change.entry);
}
