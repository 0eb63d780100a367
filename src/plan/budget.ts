import { formatCost } from './cost.js';
import { type Plan, sourceOf } from './plan.js';
import { type Shard, shardOf } from '../util/shard.js';

/** `--max-videos` / `--max-seconds` / `--max-cost`: limits on what one build may render. */
export interface Budget {
  maxVideos?: number;
  maxSeconds?: number;
  /** In the plan's price unit (dollars, or credits with `pricing: { unit: credits }`). */
  maxCost?: number;
}

/**
 * Why `p` is over `budget` ("3 videos would render, more than --max-videos 2"), or undefined.
 * Counts what HeyGen bills (`billed`): new renders, approvals and revisions sent into agent
 * sessions; a render shared with another entry counts once.
 */
export function overBudget(p: Plan, budget: Budget): string | undefined {
  const { renders, estimateSeconds: seconds, estimateCost: cost, costUnit } = p.summary;
  if (budget.maxVideos !== undefined && renders > budget.maxVideos) {
    return `${renders} video${renders === 1 ? '' : 's'} would render, more than --max-videos ${budget.maxVideos}`;
  }
  if (budget.maxSeconds !== undefined && seconds > budget.maxSeconds) {
    return `about ${Math.round(seconds)} s of video would render, more than --max-seconds ${budget.maxSeconds}`;
  }
  if (budget.maxCost !== undefined && cost > budget.maxCost) {
    return `the estimated cost, ${formatCost(cost, costUnit)}, is more than --max-cost ${budget.maxCost}${costUnit === 'credits' ? ' credits' : ''}`;
  }
  return undefined;
}

/** One shard's part of a whole build: what it renders, as the budget it is handed. */
export interface ShardShare {
  shard: number;
  of: number;
  /** The shard's own renders: its `--max-videos`. */
  max_videos: number;
  /** Its estimated seconds, rounded up: its `--max-seconds`. */
  max_seconds: number;
}

/**
 * Split a whole build's plan into the budgets of its `count` shards. Each shard is handed exactly
 * what the plan says it renders, so together they can never render more than the plan that was
 * checked against the real (global) budget. Pure.
 */
export function shares(p: Plan, count: number): ShardShare[] {
  const out: ShardShare[] = Array.from({ length: count }, (_, i) => ({ shard: i + 1, of: count, max_videos: 0, max_seconds: 0 }));
  const seconds = new Array<number>(count).fill(0);
  for (const c of p.changes) {
    if (!c.billed) continue;
    // The shard `--shard K/N` puts it in: a locale goes with its source (plan.ts).
    const k = shardOf(sourceOf(c) ?? c.id, count) - 1;
    (out[k] as ShardShare).max_videos += 1;
    seconds[k] = (seconds[k] as number) + c.estimateSeconds;
  }
  for (let k = 0; k < count; k += 1) (out[k] as ShardShare).max_seconds = Math.ceil(seconds[k] as number);
  return out;
}

/**
 * The jobs in flight a shard may have when `total` is what the whole account allows (HeyGen
 * counts concurrent jobs per key, not per process): an even split, at least 1.
 */
export function concurrencyShare(total: number, shard: Shard | undefined): number {
  if (!shard) return total;
  return Math.max(1, Math.floor(total / shard.count));
}
