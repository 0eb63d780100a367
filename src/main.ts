/**
 * `reel <args>` as a function: parse the arguments, run the command against `ctx`, and turn what
 * escapes into a message and an exit code. It touches nothing process-wide: src/cli.ts gives it the
 * real process (streams, environment, Ctrl-C), tests give it buffers. Commands are declared in
 * cli-options.ts and loaded lazily through COMMAND_MODULES, so `reel --version` loads almost
 * nothing.
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { COMMANDS, type CommandName, type CommandOptions, type CommandSpec, type OptionSpec } from './cli-options.js';
import type { CommandContext } from './commands/context.js';
import { ReelError } from './errors.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Loader<N extends CommandName> = () => Promise<{ run(options: CommandOptions<N>, ctx: CommandContext): Promise<number> }>;

/**
 * Where each command of the table lives. Static import() calls: still lazy, but the type checker
 * sees that every command has a module whose `run` takes that command's options, and madge and knip
 * see the edges.
 */
const COMMAND_MODULES: { [N in CommandName]: Loader<N> } = {
  init: () => import('./commands/init.js'),
  validate: () => import('./commands/validate.js'),
  schema: () => import('./commands/schema.js'),
  plan: () => import('./commands/plan.js'),
  explain: () => import('./commands/explain.js'),
  show: () => import('./commands/show.js'),
  build: () => import('./commands/build.js'),
  watch: () => import('./commands/watch.js'),
  studio: () => import('./commands/studio.js'),
  status: () => import('./commands/status.js'),
  cost: () => import('./commands/cost.js'),
  doctor: () => import('./commands/doctor.js'),
  lock: () => import('./commands/lock.js'),
  review: () => import('./commands/review.js'),
  l10n: () => import('./commands/l10n.js'),
  eject: () => import('./commands/eject.js'),
  emulator: () => import('./commands/emulator.js'),
  avatars: () => import('./commands/catalog.js'),
  voices: () => import('./commands/catalog.js'),
  styles: () => import('./commands/catalog.js'),
};

function parser(spec: OptionSpec): ((value: string, previous: unknown) => unknown) | undefined {
  switch (spec.parse) {
    case 'int':
      return (value) => {
        if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number.');
        return Number.parseInt(value, 10);
      };
    case 'number':
      return (value) => {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
        return n;
      };
    case 'list':
      return (value, previous) => [...((previous as string[] | undefined) ?? []), value];
    default:
      return undefined;
  }
}

function argName(arg: string): string {
  return arg.replace(/[<>[\].]/g, '');
}

function register(program: Command, spec: CommandSpec, ctx: CommandContext, result: { code: number }): void {
  const command = program.command(spec.name).description(spec.description);
  for (const arg of spec.args ?? []) command.argument(arg);
  for (const opt of spec.options) {
    const option = new Option(opt.flags, opt.description);
    const parse = parser(opt);
    if (parse) option.argParser(parse);
    if (opt.default !== undefined) option.default(opt.default);
    command.addOption(option);
  }
  command.action(async (...params: unknown[]) => {
    const values: Record<string, unknown> = { ...(command.opts() as Record<string, unknown>), command: spec.name };
    (spec.args ?? []).forEach((arg, i) => {
      values[argName(arg)] = params[i];
    });
    const load = COMMAND_MODULES[spec.name as CommandName] as Loader<CommandName>;
    result.code = await (await load()).run(values as CommandOptions<CommandName>, ctx);
  });
}

/** Listeners the Ctrl-C signal may have at once. */
const MAX_SIGNAL_LISTENERS = 1000;

/** Run `reel` with `argv` (the arguments after `reel`) against `ctx`; resolves with the exit code. */
export async function main(argv: readonly string[], ctx: CommandContext): Promise<number> {
  // Every request, download and wait listens to this signal while it runs and lets go when done
  // (util/signal.ts), so the count follows the work in flight — up to --concurrency 100 requests
  // plus downloads and polls — not the size of the build. Node warns from 11.
  setMaxListeners(MAX_SIGNAL_LISTENERS, ctx.signal);
  const result = { code: 0 };
  const program = new Command('reel').description('Videos as code, rendered by HeyGen.').version(version, '-V, --version').showHelpAfterError('(run with --help for usage)').exitOverride();
  program.configureOutput({
    writeOut: (s) => ctx.stdout.write(s),
    writeErr: (s) => ctx.stderr.write(s),
  });
  for (const spec of COMMANDS) register(program, spec, ctx, result);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return 0;
      }
      return 2;
    }
    if (error instanceof ReelError) {
      ctx.stderr.write(`reel: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.stderr.write(`reel: internal error: ${message}\n`);
    if (ctx.env.REEL_DEBUG && error instanceof Error) ctx.stderr.write(`${error.stack}\n`);
    else ctx.stderr.write('This is a bug in reel. Run again with REEL_DEBUG=1 for details and report it.\n');
    return 70;
  }
}
