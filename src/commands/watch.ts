import { UsageError } from '../errors.js';
import { PlainWatchReporter } from '../report/watch-plain.js';
import { TtyWatchReporter } from '../report/watch-tty.js';
import { realDeps } from '../watch/deps.js';
import type { WatchReporter } from '../watch/reporter.js';
import { runWatchSession } from '../watch/session.js';
import type { CommandContext } from './context.js';

export interface WatchOptions {
  build?: boolean;
  target?: string[];
}

/**
 * `reel watch [--build] [--target …]`: re-plan on every save until Ctrl-C, which is the normal way
 * to stop it (exit 0). Without `--build` nothing here can reach the network.
 */
export async function run(options: WatchOptions, ctx: CommandContext): Promise<number> {
  if (options.build) {
    throw new UsageError('`reel watch --build` is not available yet; run `reel watch` and `reel build` side by side.');
  }
  const deps = await realDeps();
  const reporter: WatchReporter = ctx.stdout.isTTY
    ? new TtyWatchReporter(ctx.stdout, ctx.cwd, !ctx.env.NO_COLOR)
    : new PlainWatchReporter(ctx.stdout, ctx.cwd);
  await runWatchSession({
    root: ctx.cwd,
    deps,
    reporter,
    ...(options.target ? { targets: options.target } : {}),
    signal: ctx.signal,
  });
  return 0;
}
