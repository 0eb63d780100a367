import { didYouMean } from '../manifest/suggest.js';
import { explain } from '../plan/explain.js';
import { configPlanOptions } from '../plan/plan.js';
import { explainToJson, formatExplainHuman } from '../report/plan-explain.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';
import { loadForPlan } from './plan.js';

type ExplainCommandOptions = CommandOptions<'explain'>;

/** `reel explain ID`: why an entry is in the plan — changed fields, digests and where each is written. */
export async function run(options: ExplainCommandOptions, ctx: CommandContext): Promise<number> {
  const loaded = await loadForPlan(ctx, options.json ? 'json' : 'human');
  if ('exitCode' in loaded) return loaded.exitCode;
  const { entries, lock, config } = loaded;

  const x = explain(options.id, entries, lock, configPlanOptions(config));
  if (!x) {
    const known = [...new Set([...entries.map((e) => e.id), ...Object.keys(lock.videos)])];
    const near = didYouMean(options.id, known);
    ctx.stderr.write(`reel: no video "${options.id}" in the manifests or reel.lock.${near ? ` Did you mean "${near}"?` : ''} ` + '`reel plan --verbose` lists every id.\n');
    return 1;
  }
  if (options.json) ctx.stdout.write(`${JSON.stringify(explainToJson(x, ctx.cwd), null, 2)}\n`);
  else ctx.stdout.write(formatExplainHuman(x, { cwd: ctx.cwd, all: true }));
  return 0;
}
