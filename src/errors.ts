/**
 * The small set of errors reel throws on purpose. Each carries a stable `code`; only the CLI layer
 * (src/main.ts) turns them into messages and exit codes. Anything else that escapes is a bug and is
 * reported as an internal error.
 */

/** A position in a source file; `file` is absolute, `line` and `col` are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export abstract class ReelError extends Error {
  abstract readonly code: string;
  /** Process exit code the CLI uses for this error. */
  abstract readonly exitCode: number;
}

/** Wrong flags or arguments: exit 2. */
export class UsageError extends ReelError {
  readonly code = 'usage';
  readonly exitCode = 2;
}

/** The lockfile is unreadable, from a newer reel, or held by another process: exit 1. */
export class LockError extends ReelError {
  readonly code = 'lock';
  readonly exitCode = 1;
}

/** Missing or unusable configuration such as HEYGEN_API_KEY: exit 1. */
export class ConfigError extends ReelError {
  readonly code = 'config';
  readonly exitCode = 1;
}

/** HeyGen (or the network) answered with something reel cannot recover from: exit 1. */
export class ApiError extends ReelError {
  readonly code = 'api';
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly status?: number,
    readonly apiCode?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The user interrupted the run (Ctrl-C): exit 130. */
export class CancelledError extends ReelError {
  readonly code = 'cancelled';
  readonly exitCode = 130;
}

/** A broken invariant inside reel itself. */
export class InternalError extends ReelError {
  readonly code = 'internal';
  readonly exitCode = 70;
}

/** A write or delete that would land outside the project (a symlink, a hand-edited lock): exit 1. */
export class UnsafePathError extends ReelError {
  readonly code = 'unsafe_path';
  readonly exitCode = 1;
}
