/**
 * What a person confirms before the studio builds: what the plan bills (which ids, their seconds
 * and cost, in which price unit) and what it removes. The page shows it; the server checks, by its
 * digest, that the plan about to be applied is still the one confirmed — once when the page asks,
 * and again on the plan `applyBuild` makes under its own guards. Pure.
 */
import type { PriceUnit } from '../plan/cost.js';
import { type Plan, removalGuard } from '../plan/plan.js';
import { sha256 } from '../util/hash.js';

/** An entry the build removes: reel.lock forgets it and deletes these local files. */
export interface Removal {
  id: string;
  /** Project paths of the outputs the lock records (video, captions, thumbnail). */
  files: string[];
  /** The video on HeyGen (the studio never prunes: it stays there). */
  videoId?: string;
}

export interface Confirmation {
  renders: number;
  seconds: number;
  cost: number;
  costUnit: PriceUnit;
  removals: Removal[];
  /**
   * Why `reel build` would refuse these removals without `--allow-removals` (the removal guard's
   * words); absent when they need no explicit allow.
   */
  removalGuard?: string;
  /** Changes whenever anything above does, or any billed entry's seconds or cost. */
  digest: string;
}

/** Costs to a millionth: the same prices summed in another order must not look like a new plan. */
const COST_PRECISION = 1e6;

export function confirmationOf(plan: Plan): Confirmation {
  const { renders, estimateSeconds: seconds, estimateCost: cost, costUnit } = plan.summary;
  const billed = plan.changes
    .filter((c) => c.billed)
    .map((c) => [c.id, c.action, c.estimateSeconds, Math.round(c.estimateCost * COST_PRECISION)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const removals: Removal[] = plan.changes
    .filter((c) => c.action === 'remove')
    .map((c) => {
      const locked = c.locked;
      const files = [locked?.output, locked?.subtitles, locked?.thumbnail].flatMap((f) => (f ? [f.path] : []));
      return { id: c.id, files, ...(locked?.video_id ? { videoId: locked.video_id } : {}) };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const guard = removalGuard(plan);
  // The totals follow from the billed list (renders, seconds and cost are its count and sums).
  const digest = sha256(JSON.stringify({ costUnit, billed, removals: removals.map((r) => r.id), guard: guard !== undefined }));
  return { renders, seconds, cost, costUnit, removals, ...(guard ? { removalGuard: guard } : {}), digest };
}
