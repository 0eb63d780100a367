import { findManifests, noManifestsDiagnostic } from '../manifest/index.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { PlainWatchReporter } from '../report/watch-plain.js';
import { TtyWatchReporter } from '../report/watch-tty.js';
import { createInterface } from 'node:readline/promises';
import { ApiError, UsageError } from '../errors.js';
import { connect } from '../heygen/client.js';
import type { ProjectConfig } from '../manifest/config.js';
import { formatCost, resolvePricing } from '../plan/cost.js';
import { readApiEnv, requireApiKey } from '../util/env.js';
import { BUILD_QUIET_MS, BuildController, WATCH_DEFAULT_MAX_VIDEOS, type WatchBudget } from '../watch/build.js';
import { realDeps } from '../watch/deps.js';
import type { WatchReporter } from '../watch/reporter.js';
import { runWatchSession } from '../watch/session.js';
import { isCI, useColor } from '../util/terminal.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type WatchOptions = CommandOptions<'watch'>;

/**
 * `watch --build: spends on https://api.heygen.com as ada (wallet: $41.20 left); session budget: 10 videos`.
 * A wrong key or an unreachable API ends watch before anything is watched.
 */
async function banner(ctx: CommandContext, budget: WatchBudget, config: ProjectConfig): Promise<string> {
  const settings = requireApiKey(await readApiEnv(ctx.cwd, ctx.env));
  const me = await connect(settings, ctx.signal).me();
  if (me.kind !== 'ok') {
    const detail = me.kind === 'error' ? `${me.code}: ${me.message}` : me.message;
    throw new ApiError(`watch --build cannot use the HeyGen API at ${settings.baseUrl} (${detail}); nothing was sent.`);
  }
  const unit = resolvePricing(config.pricing).unit;
  const wallet = me.value.wallet;
  const balance = typeof wallet?.remaining_balance === 'number' ? `; wallet: ${formatCost(wallet.remaining_balance, wallet.currency === 'credits' ? 'credits' : 'usd')} left` : '';
  const limits = [
    budget.maxVideos !== undefined ? `${budget.maxVideos} videos` : '',
    budget.maxSeconds !== undefined ? `${budget.maxSeconds} s of video` : '',
    budget.maxCost !== undefined ? formatCost(budget.maxCost, unit) : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `reel watch --build spends on ${settings.baseUrl} as ${me.value.username}${balance}. Session budget: ${limits || 'none'}; saves render after ${quietMs(ctx.env) / 1000} s of quiet.`;
}

async function ask(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: ctx.signal })).trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** `REEL_WATCH_QUIET_MS` overrides the quiet period before `--build` renders (tests, slow editors). */
function quietMs(env: NodeJS.ProcessEnv): number {
  const n = Number(env.REEL_WATCH_QUIET_MS);
  return env.REEL_WATCH_QUIET_MS && Number.isFinite(n) && n >= 0 ? n : BUILD_QUIET_MS;
}

/**
 * `reel watch [--build] [--target …]`: re-plan on every save until Ctrl-C, which is the normal way
 * to stop it (exit 0). Without `--build` nothing here can reach the network; with it, what is saved
 * is rendered by `reel build` itself (same guards, exactly-once rules and lock).
 */
export async function run(options: WatchOptions, ctx: CommandContext): Promise<number> {
  const deps = await realDeps();
  // Like validate, plan and build: a glob that matches nothing would show every locked video as removed.
  const { config, configFile, diagnostics } = await deps.loadConfig(ctx.cwd);
  if (!diagnostics.some((d) => d.severity === 'error') && (await findManifests(ctx.cwd, config)).length === 0) {
    ctx.stderr.write(formatDiagnostics([noManifestsDiagnostic(ctx.cwd, config, configFile)], ctx.cwd));
    return 2;
  }
  const reporter: WatchReporter = ctx.stdout.isTTY ? new TtyWatchReporter(ctx.stdout, ctx.cwd, useColor(ctx.stdout, ctx.env)) : new PlainWatchReporter(ctx.stdout, ctx.cwd);
  let listener: BuildController | undefined;
  if (options.build) {
    for (const [flag, value] of [
      ['--max-videos', options.maxVideos],
      ['--max-seconds', options.maxSeconds],
      ['--max-cost', options.maxCost],
    ] as const) {
      if (value !== undefined && value < 0) throw new UsageError(`${flag} must not be negative.`);
    }
    const budget: WatchBudget = {
      maxVideos: options.maxVideos ?? WATCH_DEFAULT_MAX_VIDEOS,
      ...(options.maxSeconds !== undefined ? { maxSeconds: options.maxSeconds } : {}),
      ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : {}),
    };
    // Spending starts here: name the API and the account it is billed to, and the limits.
    ctx.stderr.write(`${await banner(ctx, budget, config)}\n`);
    const tty = ctx.stdin.isTTY === true && ctx.stdout.isTTY === true && !isCI(ctx.env);
    listener = new BuildController(ctx, reporter, undefined, quietMs(ctx.env), budget, tty ? (_plan, question) => ask(ctx, question) : undefined);
  } else if (options.maxVideos !== undefined || options.maxSeconds !== undefined || options.maxCost !== undefined) {
    throw new UsageError('--max-videos, --max-seconds and --max-cost limit what `reel watch --build` renders; add --build.');
  }
  await runWatchSession({
    root: ctx.cwd,
    deps,
    reporter,
    ...(options.target ? { targets: options.target } : {}),
    ...(listener ? { listener } : {}),
    signal: ctx.signal,
  });
  return 0;
}
