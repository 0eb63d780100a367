import type { BuildEvent, JobResult } from './events.js';

/** What a finished build did, for the final table, the NDJSON `done` line and the job summary. */
export interface BuildTotals {
  results: JobResult[];
  /** Entries that needed nothing. */
  unchanged: number;
  ms: number;
  /** HTTP requests to the HeyGen API (file downloads not counted). */
  requests: number;
  cancelled: boolean;
  /**
   * Cost of the build, in `unit`: `estimated` is the plan's, `rendered` what the renders completed by
   * this build cost by their real duration (a video shared by several entries counted once).
   */
  cost?: { estimated: number; rendered: number; unit: 'usd' | 'credits' /** Built against an emulator: the figures are HeyGen's prices, nothing was paid. */; free?: boolean };
}

/**
 * Lifecycle hooks of a build. The CLI implements them as the TTY view, the plain-line log and the
 * NDJSON stream (src/report/build-*.ts); `reel watch --build` as lines in its own view. The build
 * itself (apply.ts, the executor) only calls them and never writes to a stream.
 */
export interface BuildReporter {
  /** Something happened to a job (see BuildEvent). */
  event(event: BuildEvent): void;
  /** A line from the build itself, e.g. that it took over a stale write lock or was interrupted. */
  note(message: string): void;
  /**
   * A problem outside any job that changes nothing about the results, e.g. the shard's lock
   * fragment could not be written. Absent: the reporter has no place for it.
   */
  problem?(message: string): void;
  /** The build ran: called once, with what it did, before the build returns. */
  done(totals: BuildTotals): void;
  /** Stop timers and restore the terminal; safe to call twice. */
  close(): void;
}
