#!/usr/bin/env node
/**
 * The `reel` process: the only place that touches process-wide state (argv, the real streams and
 * environment, signals, the exit code). Everything else is `main` (src/main.ts), a function of its
 * arguments and context that tests call in-process.
 */
import type { CommandContext } from './commands/context.js';
import { main } from './main.js';

const controller = new AbortController();
let interrupts = 0;
const onSigint = (): void => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('\nreel: stopping (press Ctrl-C again to quit at once)\n');
  controller.abort();
};
process.on('SIGINT', onSigint);
process.on('SIGTERM', onSigint);

const ctx: CommandContext = {
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
};

main(process.argv.slice(2), ctx)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`reel: internal error: ${String(error)}\n`);
      process.exitCode = 70;
    },
  )
  .finally(() => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  });
