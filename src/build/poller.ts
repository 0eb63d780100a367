import { ApiError, CancelledError } from '../errors.js';
import { type HeyGenClient, MAX_STATUS_IDS } from '../heygen/client.js';
import { sleep } from '../heygen/gate.js';
import type { StatusRow } from '../heygen/types.js';
import { minOf } from '../util/array.js';

/**
 * When to look at a job again. The first check comes `firstMs` after submission (or, once some
 * render of this run has finished, after the fastest render seen so far); after that the interval
 * grows from `minMs` by `factor` up to `maxMs`.
 */
export interface PollSchedule {
  firstMs: number;
  minMs: number;
  maxMs: number;
  factor: number;
}

/** Against HeyGen, where renders take minutes: a few requests per job, never a tight loop. */
export const HEYGEN_SCHEDULE: PollSchedule = { firstMs: 5000, minMs: 2000, maxMs: 15_000, factor: 1.5 };
/** Against a local emulator, where renders take a second or two. */
export const LOCAL_SCHEDULE: PollSchedule = { firstMs: 250, minMs: 40, maxMs: 300, factor: 1.5 };

export type Terminal =
  | { status: 'completed' }
  | { status: 'failed'; code?: string; message?: string }
  | { status: 'not_found' };

interface Watcher {
  id: string;
  startedAt: number;
  nextAt: number;
  checks: number;
  /** First check placed from a render seen this run: check closely around it. */
  predicted: boolean;
  observe: boolean;
  lastStatus?: string;
  resolve: (terminal: Terminal) => void;
  reject: (error: unknown) => void;
}

/** Share of the fastest render seen so far at which a new job is first checked. */
const EARLY = 0.97;
/** Checks at the shortest interval before backing off: renders of one run end close together. */
const FLAT_CHECKS = 6;

/** Statuses that mean "still going" in any of HeyGen's vocabularies (API.md §2.6). */
const TERMINAL = new Set(['completed', 'failed', 'not_found']);

/**
 * One loop polls every in-flight video through `GET /v3/videos/statuses` (≤ 100 ids a request),
 * however many jobs wait on it, so the request count grows with time, not with jobs.
 */
export class StatusPoller {
  private readonly watchers = new Map<string, Watcher>();
  private fastestMs: number | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  /** Requests made so far (for the summary and the benchmark). */
  polls = 0;

  constructor(
    private readonly client: HeyGenClient,
    private readonly schedule: PollSchedule,
    private readonly signal: AbortSignal,
    private readonly onStatus?: (videoId: string, status: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves when the video is terminal. `startedAt` is when it was submitted (resumed jobs pass the
   * lock's time); `observe` lets its render time tune the schedule (only fresh submissions do).
   */
  wait(videoId: string, startedAt: number, observe: boolean): Promise<Terminal> {
    const existing = this.watchers.get(videoId);
    if (existing) {
      return new Promise((resolve, reject) => {
        const prev = { resolve: existing.resolve, reject: existing.reject };
        existing.resolve = (t) => { prev.resolve(t); resolve(t); };
        existing.reject = (e) => { prev.reject(e); reject(e); };
      });
    }
    return new Promise((resolve, reject) => {
      // Once a render of this run has finished, look again a little before the fastest one took:
      // renders of one run take similar times, and polling just after they end frees the slot.
      const first = this.fastestMs === undefined ? this.schedule.firstMs : Math.max(this.schedule.minMs, this.fastestMs * EARLY);
      this.watchers.set(videoId, { id: videoId, startedAt, nextAt: startedAt + first, checks: 0, predicted: this.fastestMs !== undefined, observe, resolve, reject });
      this.wake?.();
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.watchers.size > 0) {
        if (this.signal.aborted) throw new CancelledError('cancelled');
        const due = minOf([...this.watchers.values()].map((w) => w.nextAt));
        const delay = due - this.now();
        if (delay > 0) {
          await this.sleepOrWake(delay);
          continue;
        }
        await this.pollOnce();
      }
    } catch (error) {
      for (const w of this.watchers.values()) w.reject(error);
      this.watchers.clear();
    } finally {
      this.running = false;
    }
  }

  private async sleepOrWake(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await new Promise<void>((resolve, reject) => {
      onAbort = (): void => reject(new CancelledError('cancelled'));
      this.wake = () => resolve();
      timer = setTimeout(resolve, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
    }).finally(() => {
      clearTimeout(timer);
      if (onAbort) this.signal.removeEventListener('abort', onAbort);
      this.wake = undefined;
    });
  }

  private async pollOnce(): Promise<void> {
    const watchers = [...this.watchers.values()];
    const ids = watchers.map((w) => w.id);
    const rows = new Map<string, StatusRow>();
    for (let i = 0; i < ids.length; i += MAX_STATUS_IDS) {
      const chunk = ids.slice(i, i + MAX_STATUS_IDS);
      this.polls += 1;
      const outcome = await this.client.videoStatuses(chunk);
      if (outcome.kind === 'ok') {
        for (const row of outcome.value) if (row.video_id) rows.set(row.video_id, row);
      } else if (outcome.kind === 'error' && (outcome.status === 401 || outcome.status === 403)) {
        throw new ApiError(`HeyGen refused the status poll: ${outcome.code}: ${outcome.message}`, outcome.status, outcome.code);
      }
      // Anything else (a transient failure after the client's retries) is retried on the next tick.
    }
    const now = this.now();
    for (const w of watchers) {
      const row = rows.get(w.id);
      if (row && TERMINAL.has(row.status)) {
        this.watchers.delete(w.id);
        if (row.status === 'completed' && w.observe) {
          const took = now - w.startedAt;
          this.fastestMs = this.fastestMs === undefined ? took : Math.min(this.fastestMs, took);
        }
        w.resolve(toTerminal(row));
        continue;
      }
      if (row && row.status !== w.lastStatus) {
        w.lastStatus = row.status;
        this.onStatus?.(w.id, row.status);
      }
      // Jobs due soon ride along with this request instead of triggering their own a moment later.
      const interval = this.interval(w);
      if (w.nextAt - now <= interval / 2) {
        w.checks += 1;
        w.nextAt = now + this.interval(w);
      }
    }
  }

  private interval(w: Watcher): number {
    const { minMs, maxMs, factor, firstMs } = this.schedule;
    // Near a predicted end: short, even steps, then back off. Without a prediction: back off from
    // the first interval, so a long render costs a handful of requests.
    if (w.predicted) return Math.min(maxMs, minMs * factor ** Math.max(0, w.checks - FLAT_CHECKS));
    return Math.min(maxMs, Math.max(minMs, firstMs) * factor ** w.checks);
  }
}

function toTerminal(row: StatusRow): Terminal {
  if (row.status === 'completed') return { status: 'completed' };
  if (row.status === 'not_found') return { status: 'not_found' };
  const out: Terminal = { status: 'failed' };
  if (row.error?.code) out.code = row.error.code;
  if (row.error?.message) out.message = row.error.message;
  return out;
}

/** Waits `ms` unless cancelled; rethrows cancellation as CancelledError. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, signal).catch((error: unknown) => {
    throw new CancelledError('cancelled', { cause: error });
  });
}
