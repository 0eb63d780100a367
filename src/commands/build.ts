import { createInterface } from 'node:readline/promises';
import { type ApplyBuildResult, applyBuild, buildOutcome } from '../build/apply.js';
import type { BuildReporter } from '../build/reporter.js';
import { UsageError } from '../errors.js';
import type { Plan } from '../plan/index.js';
import { JsonBuildReporter } from '../report/build-json.js';
import { PlainBuildReporter } from '../report/build-plain.js';
import { TtyBuildReporter } from '../report/build-tty.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { formatPlanHuman } from '../report/plan-human.js';
import { formatPlanJson } from '../report/plan-json.js';
import type { CommandOptions } from '../cli-options.js';
import { parseShard } from '../util/shard.js';
import { inGithubActions, isCI, useColor } from '../util/terminal.js';
import type { CommandContext } from './context.js';

type BuildOptions = CommandOptions<'build'>;

/**
 * `reel build`: flags become options for `applyBuild` (src/build/apply.ts), which plans, guards and
 * renders; this command asks at a terminal, picks the reporter and turns the result into words and
 * an exit code.
 */
export async function run(options: BuildOptions, ctx: CommandContext): Promise<number> {
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new UsageError('--concurrency must be a whole number of at least 1.');
  }
  if (options.maxVideos !== undefined && options.maxVideos < 0) throw new UsageError('--max-videos must not be negative.');
  if (options.maxSeconds !== undefined && options.maxSeconds < 0) throw new UsageError('--max-seconds must not be negative.');
  if (options.maxCost !== undefined && options.maxCost < 0) throw new UsageError('--max-cost must not be negative.');
  if (options.deadline !== undefined && !(options.deadline > 0)) throw new UsageError('--deadline must be a number of minutes greater than 0.');
  const shard = options.shard ? parseShard(options.shard) : undefined;

  const reporter: BuildReporter = Object.assign(pickReporter(options, ctx), {
    problem: (message: string) => ctx.stderr.write(`reel: ${message}\n`),
  });
  let result: ApplyBuildResult;
  try {
    result = await applyBuild({
      cwd: ctx.cwd,
      env: ctx.env,
      signal: ctx.signal,
      reporter,
      confirm: shouldConfirm(options, ctx) ? (plan) => confirm(plan, ctx) : undefined,
      // Asked again only where the first question was: on a terminal. CI refuses a grown plan.
      confirmChanged: shouldConfirm(options, ctx) ? (plan, what) => confirm(plan, ctx, `reel.lock changed while waiting for it: the plan now ${what}.`) : undefined,
      maxCost: options.maxCost,
      allowRemovals: options.allowRemovals,
      dryRun: options.dryRun,
      targets: options.target,
      shard,
      maxVideos: options.maxVideos,
      maxSeconds: options.maxSeconds,
      concurrency: options.concurrency,
      out: options.out,
      download: options.download,
      retryFailed: options.retryFailed,
      prune: options.prune,
      deadlineMinutes: options.deadline,
      recreateUnconfirmed: options.recreateUnconfirmed,
      emulator: options.emulator,
    });
  } finally {
    reporter.close();
  }
  await explain(result, options, ctx);
  const outcome = buildOutcome(result);
  return outcome === 'ok' ? 0 : outcome === 'interrupted' ? 130 : 1;
}

/** What the reporter did not already say: the plan, why nothing was sent, annotations. */
async function explain(result: ApplyBuildResult, options: BuildOptions, ctx: CommandContext): Promise<void> {
  const github = inGithubActions(ctx.env);
  // Annotations are workflow commands on stdout, except in --json mode where stdout is NDJSON only.
  const githubOut = { env: ctx.env, out: options.json ? ctx.stderr : ctx.stdout, cwd: ctx.cwd };
  switch (result.kind) {
    case 'invalid':
      ctx.stderr.write(formatDiagnostics(result.diagnostics, ctx.cwd));
      if (github) (await import('../report/github.js')).annotateDiagnostics(githubOut, result.diagnostics);
      ctx.stderr.write(`reel: ${result.errors} error${result.errors === 1 ? '' : 's'} in the manifests; nothing was sent.\n`);
      return;
    case 'planned':
      ctx.stdout.write(options.json ? formatPlanJson(result.plan, result.root) : formatPlanHuman(result.plan, { cwd: ctx.cwd, color: color(ctx) }));
      return;
    case 'up-to-date': {
      const { unchanged, failedEarlier, awaitingReview } = result;
      if (options.json) {
        ctx.stdout.write(`${JSON.stringify({ type: 'done', nothing_to_do: true, unchanged, failed: failedEarlier, awaiting_review: awaitingReview, time: new Date().toISOString() })}\n`);
        return;
      }
      const message = `Nothing to render: ${unchanged} video${unchanged === 1 ? '' : 's'} up to date.`;
      const review = awaitingReview.length > 0 ? ` ${awaitingReview.length} awaiting review (${awaitingReview.join(', ')}): see \`reel review <id>\`.` : '';
      const failed = failedEarlier.length > 0 ? ` ${failedEarlier.length} failed earlier (${failedEarlier.join(', ')}): run with --retry-failed to render again.` : '';
      ctx.stdout.write(`${message}${review}${failed}\n`);
      return;
    }
    case 'over-budget':
      ctx.stderr.write(`reel: refusing to start: ${result.reason}; nothing was sent.\n`);
      return;
    case 'declined':
      ctx.stdout.write('Build cancelled; nothing was sent.\n');
      return;
    case 'applied':
      if (github) {
        const shard = options.shard ? parseShard(options.shard) : undefined;
        await (await import('../report/github.js')).reportBuildToGithub(githubOut, { ...result.totals, sources: result.sources, shard });
      }
      return;
    case 'interrupted':
      return;
  }
}

/** Ask only a person at a terminal: never in CI, never with --yes or --json, never without a TTY. */
function shouldConfirm(options: BuildOptions, ctx: CommandContext): boolean {
  if (options.yes || options.json || options.emulator) return false;
  if (isCI(ctx.env)) return false;
  return ctx.stdin.isTTY === true && ctx.stdout.isTTY === true;
}

async function confirm(plan: Plan, ctx: CommandContext, why?: string): Promise<boolean> {
  if (why) ctx.stdout.write(`${why}\n`);
  ctx.stdout.write(formatPlanHuman(plan, { cwd: ctx.cwd, color: color(ctx) }));
  const rl = createInterface({ input: ctx.stdin, output: ctx.stdout });
  try {
    const answer = await rl.question('Proceed? [y/N] ', { signal: ctx.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

function color(ctx: CommandContext): boolean {
  return useColor(ctx.stdout, ctx.env);
}

function pickReporter(options: BuildOptions, ctx: CommandContext): BuildReporter {
  if (options.json) return new JsonBuildReporter(ctx.stdout);
  if (ctx.stdout.isTTY && !isCI(ctx.env)) return new TtyBuildReporter(ctx.stdout, color(ctx));
  return new PlainBuildReporter(ctx.stdout);
}
