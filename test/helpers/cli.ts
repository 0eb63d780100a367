/**
 * The test harness: the one way tests run reel. (Projects: ./project.ts; emulators: ./emulator.ts.)
 *
 *   runCli(args, cwd?, env?, { input, timeoutMs }?)   → Promise<{ code, signal, stdout, stderr }>
 *       `reel <args>` in this process: src/main.ts, the function the binary runs, with the same
 *       argument parsing, messages and exit codes, writing to buffers; no TTY. No process start-up,
 *       so a suite of hundreds of runs stays fast. `timeoutMs` aborts it (as Ctrl-C would).
 *   runProcess(args, cwd?, env?, { input, timeoutMs, nodeOptions }?) → the same result from the built binary
 *       (dist/cli.js) in a real process: for what only a process has (its exit, signals, Node's
 *       warnings on stderr, the built files).
 *   spawnCli(args, cwd?, env?)                         → CliProcess (child, done, stdout(), mark(),
 *       waitFor(pattern, from?), stop()) for long runs in a real process: `watch`, a build killed
 *       mid-flight.
 *   callCommand(run, options, cwd, env?)               → Promise<{ code, stdout, stderr }>
 *       one command's exported `run(options, ctx)`, its flags already parsed.
 *
 * Environment: reel (in a child or in-process) sees only ALLOWED variables from this process (PATH,
 * HOME, temp dirs, locale), then NO_COLOR=1 and a quick poll schedule (REEL_POLL_MS=TEST_POLL_MS),
 * then `env` as given by the test. A developer's HEYGEN_*,
 * GITHUB_*, CI, NO_COLOR/FORCE_COLOR or REEL_* never reach the code under test: a test that needs
 * one passes it. `emulatorEnv(emulator)` gives the two HEYGEN_* variables for an emulator;
 * `undefined` in `env` removes a variable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CommandContext } from '../../src/commands/context.js';
import { main } from '../../src/main.js';
import { ROOT } from './project.js';

export const CLI = join(ROOT, 'dist/cli.js');

/** A key distinctive enough to grep for in every output. */
export const KEY = 'sk-reel-test-DO-NOT-LEAK-7f3a9c';

/** Variables a test process passes on: what node and the OS need, nothing that configures reel. */
export const ALLOWED = ['PATH', 'HOME', 'USERPROFILE', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'SYSTEMROOT', 'SYSTEMDRIVE', 'COMSPEC', 'PATHEXT', 'WINDIR'];

export type Env = Record<string, string | undefined>;

/**
 * The poll schedule (first, min, max ms) reel uses in tests unless a test gives its own: the
 * emulators here render in a tenth of a second, so reel's local schedule (first poll at 250 ms)
 * would make every build wait mostly on itself. The 250 ms ceiling keeps reel's patience with a
 * session listing that lags (twice the first and twice the longest wait: 560 ms) above the 0.4 s
 * lag the exactly-once suites give the emulator.
 */
export const TEST_POLL_MS = '30,20,250';

/** The environment the code under test sees: ALLOWED variables, NO_COLOR=1, REEL_POLL_MS=TEST_POLL_MS, then `env`. */
export function testEnv(env: Env = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of ALLOWED) if (process.env[name] !== undefined) out[name] = process.env[name];
  out.NO_COLOR = '1';
  out.REEL_POLL_MS = TEST_POLL_MS;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** HEYGEN_API_URL and HEYGEN_API_KEY for an emulator started with `key`. */
export function emulatorEnv(emulator: { url: string }, key = KEY): Env {
  return { HEYGEN_API_URL: emulator.url, HEYGEN_API_KEY: key };
}

/** `emulatorEnv(emulator)` (when given) plus `extra`: the variables a build test passes. */
export function cliEnv(emulator: { url: string } | undefined, extra: Env = {}): Env {
  return { ...(emulator ? emulatorEnv(emulator) : {}), ...extra };
}

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is complete. */
  done: Promise<CliResult>;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** A position in stdout; `waitFor` looks only at what came after it. */
  mark(): number;
  /** Resolves with stdout after `from` once it matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<string>;
  /** SIGINT (unless it has exited), then the exit code. */
  stop(): Promise<number | null>;
}

export interface ProcessOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  /** SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
  /** Options for node itself, before the script: `--stack-size=200`. */
  nodeOptions?: string[];
}

/** Start `node dist/cli.js …` in `cwd` (default: the temp dir) with testEnv(env). */
export function spawnCli(args: string[], cwd: string = tmpdir(), env: Env = {}, options: ProcessOptions = {}): CliProcess {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), CLI, ...args], { cwd, env: testEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  child.stdin!.end(options.input ?? '');
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    done,
    stdout: () => out,
    stderr: () => err,
    mark: () => out.length,
    waitFor(pattern, from = 0, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const text = out.slice(from);
          if (!pattern.test(text)) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(text);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}\n--- stdout after mark:\n${out.slice(from)}\n--- stderr:\n${err}`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return (await done).code;
    },
  };
}

/** Run the built `reel` binary to completion: a real process, testEnv(env), `input` on stdin. */
export function runProcess(args: string[], cwd?: string, env: Env = {}, options: ProcessOptions = {}): Promise<CliResult> {
  return spawnCli(args, cwd, env, options).done;
}

/**
 * Run `reel <args>` in this process (src/main.ts) to completion, with testEnv(env), `input` on
 * stdin and buffered output. After `timeoutMs` its signal is aborted, as Ctrl-C would.
 */
export async function runCli(args: string[], cwd: string = tmpdir(), env: Env = {}, options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const stdout = new Buffered();
  const stderr = new Buffered();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 60_000);
  try {
    const code = await main(args, { cwd, stdin: stdinOf(options.input), stdout, stderr, env: testEnv(env), signal: controller.signal });
    return { code, signal: null, stdout: stdout.text, stderr: stderr.text };
  } finally {
    clearTimeout(timer);
  }
}

function stdinOf(input = ''): Readable & { isTTY?: boolean } {
  return Readable.from([input]);
}

class Buffered extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    callback();
  }
}

/**
 * Call a command's `run(options, ctx)` in this process with buffered stdout/stderr and
 * testEnv(env). Options are the parsed flags (camelCase), as the CLI would pass them.
 */
export async function callCommand<Options>(
  run: (options: Options, ctx: CommandContext) => Promise<number>,
  options: Options,
  cwd: string,
  env: Env = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Buffered();
  const stderr = new Buffered();
  const code = await run(options, { cwd, stdin: stdinOf(), stdout, stderr, env: testEnv(env), signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
