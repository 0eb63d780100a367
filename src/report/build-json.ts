import { roundCost } from '../plan/cost.js';
import type { Writable } from 'node:stream';
import { awaitingReview, type BuildEvent } from '../build/events.js';
import type { BuildReporter, BuildTotals } from '../build/reporter.js';
import { isRedownload } from './build-table.js';

/**
 * NDJSON on stdout: one JSON object per line, each with `type` and `time`; the last has
 * `type: "done"`. Nothing else is written to stdout in this mode.
 */
export class JsonBuildReporter implements BuildReporter {
  constructor(private readonly out: Writable) {}

  event(event: BuildEvent): void {
    if (event.type === 'result') {
      // The wire format is snake_case like HeyGen's and the other events.
      const { videoId, sessionId, ...job } = event.job;
      this.line({ type: 'result', ...job, ...(videoId ? { video_id: videoId } : {}), ...(sessionId ? { session_id: sessionId } : {}) });
      return;
    }
    this.line({ ...event });
  }

  note(message: string): void {
    this.line({ type: 'note', message });
  }

  done(totals: BuildTotals): void {
    const counts: Record<string, number> = {};
    let redownloaded = 0;
    for (const r of totals.results) {
      // Files fetched again for an unchanged video are no render: counted apart.
      if (isRedownload(r)) redownloaded += 1;
      else counts[r.result] = (counts[r.result] ?? 0) + 1;
    }
    const waiting = awaitingReview(totals.results).map((r) => r.id);
    this.line({
      type: 'done',
      cancelled: totals.cancelled,
      ms: totals.ms,
      requests: totals.requests,
      unchanged: totals.unchanged,
      redownloaded,
      counts,
      awaiting_review: waiting,
      ...(totals.cost ? { cost: { estimated: roundCost(totals.cost.estimated), rendered: roundCost(totals.cost.rendered), unit: totals.cost.unit, ...(totals.cost.free ? { free: true } : {}) } } : {}),
    });
  }

  close(): void {}

  private line(value: Record<string, unknown>): void {
    this.out.write(`${JSON.stringify({ ...value, time: new Date().toISOString() })}\n`);
  }
}
