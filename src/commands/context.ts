import type { Readable, Writable } from 'node:stream';

/**
 * What a command needs from the outside world. The CLI passes the real process streams; tests pass
 * buffers and a temporary directory, so every command is callable without a subprocess.
 */
export interface CommandContext {
  /** Working directory: the project root unless a command is told otherwise. */
  cwd: string;
  /** Where a prompt reads its answer; a prompt is shown only when this and stdout are terminals. */
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C; every long operation and every fetch takes it. */
  signal: AbortSignal;
}
