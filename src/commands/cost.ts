import { loadProjectCached } from '../cache/manifests.js';
import { spendOf } from '../cost/spend.js';
import { UsageError } from '../errors.js';
import { readLock } from '../lock/file.js';
import { resolvePricing } from '../plan/cost.js';
import { formatCostHuman, formatCostJson, formatCostMarkdown } from '../report/cost.js';
import type { CommandContext } from './context.js';
import { whenAll } from '../util/promise.js';

export interface CostOptions {
  json?: boolean;
  markdown?: boolean;
}

/**
 * `reel cost`: what the renders in reel.lock cost, by manifest file, month and mode. Reads the lock
 * and the manifests (for each entry's file and product); never talks to HeyGen, never writes.
 */
export async function run(options: CostOptions, ctx: CommandContext): Promise<number> {
  if (options.json && options.markdown) throw new UsageError('--json and --markdown cannot be used together; pick one.');
  const [project, lock] = await whenAll([loadProjectCached(ctx.cwd, { signal: ctx.signal, cache: ctx.env.REEL_CACHE !== '0' }), readLock(ctx.cwd)]);
  // Manifest problems only cost the grouping by file: spend is read from the lock.
  const spend = spendOf(lock, project.entries, resolvePricing(project.config.pricing));
  if (options.json) ctx.stdout.write(formatCostJson(spend, ctx.cwd));
  else if (options.markdown) ctx.stdout.write(formatCostMarkdown(spend, ctx.cwd));
  else ctx.stdout.write(formatCostHuman(spend, ctx.cwd));
  return 0;
}
