import { findManifests, noManifestsDiagnostic } from '../manifest/index.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { PlainWatchReporter } from '../report/watch-plain.js';
import { TtyWatchReporter } from '../report/watch-tty.js';
import { BUILD_QUIET_MS, BuildController } from '../watch/build.js';
import { realDeps } from '../watch/deps.js';
import type { WatchReporter } from '../watch/reporter.js';
import { runWatchSession } from '../watch/session.js';
import type { CommandContext } from './context.js';

export interface WatchOptions {
  build?: boolean;
  target?: string[];
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
  const reporter: WatchReporter = ctx.stdout.isTTY
    ? new TtyWatchReporter(ctx.stdout, ctx.cwd, !ctx.env.NO_COLOR)
    : new PlainWatchReporter(ctx.stdout, ctx.cwd);
  const listener = options.build ? new BuildController(ctx, reporter, undefined, quietMs(ctx.env)) : undefined;
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
