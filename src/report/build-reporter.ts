import type { BuildEvent } from '../build/events.js';
import type { BuildTotals } from './build-table.js';

/**
 * Lifecycle hooks of a build, implemented by the TTY view, the plain-line log and the NDJSON
 * stream. The command picks one; the executor only emits events.
 */
export interface BuildReporter {
  event(event: BuildEvent): void;
  /** A line from the command itself (e.g. why the build refuses to start). */
  note(message: string): void;
  done(totals: BuildTotals): void;
  /** Stop timers and restore the terminal; safe to call twice. */
  close(): void;
}
