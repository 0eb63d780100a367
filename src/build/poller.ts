import pLimit from 'p-limit';
import { ApiError, CancelledError } from '../errors.js';
import { type HeyGenClient, MAX_STATUS_IDS, type Outcome } from '../heygen/client.js';
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
  /** Confirmed gone: `GET /v3/videos/{id}` answered 404 for a video older than YOUNG_MS. */
  | { status: 'not_found' }
  /** The deadline passed before HeyGen said it was done: nothing is known to have failed. */
  | { status: 'unconfirmed'; lastStatus?: string };

/**
 * A video younger than this is still starting whatever a status read says: HeyGen's status read
 * model is a separate store that may not know a fresh id yet (API.md §2.6).
 */
export const YOUNG_MS = 5 * 60 * 1000;
/** Bulk status requests that fail in a row before polling falls back to one GET per video. */
export const BULK_FAILURES_BEFORE_FALLBACK = 3;
/**
 * Per-video reads (the fallback, not_found confirmations) in flight at once: 100 renders read one
 * after another would take a tick of many seconds. They share the client's 429 gate, so a rate
 * limit pauses them all.
 */
export const FALLBACK_READ_CONCURRENCY = 8;
/** Once fallen back, the bulk endpoint is tried again every this many ticks. */
const BULK_RETRY_TICKS = 10;

interface Watcher {
  id: string;
  startedAt: number;
  nextAt: number;
  checks: number;
  /** First check placed from a render seen this run: check closely around it. */
  predicted: boolean;
  observe: boolean;
  /** Epoch ms after which the wait ends `unconfirmed`; Infinity for none. */
  deadlineAt: number;
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
 * How the poller reads one kind of job: the bulk status call (≤ MAX_STATUS_IDS ids) and the
 * per-job GET (not_found confirmation and fallback). Videos by default; translations bring their
 * own (build/translation.ts), with statuses already in the video vocabulary.
 */
export interface JobReads {
  statuses(ids: string[]): Promise<Outcome<StatusRow[]>>;
  /** A row for one job; an `error` outcome is returned as such (404 → not_found is decided here). */
  read(id: string): Promise<Outcome<StatusRow>>;
  /** For messages: `video`, `video translation`. */
  noun: string;
}

/** `GET /v3/videos/statuses` and `GET /v3/videos/{id}`. */
export function videoReads(client: HeyGenClient): JobReads {
  return {
    noun: 'video',
    statuses: (ids) => client.videoStatuses(ids),
    read: async (id) => {
      const got = await client.getVideo(id);
      if (got.kind !== 'ok') return got;
      const row: StatusRow = { video_id: id, status: got.value.status };
      if (got.value.status === 'failed') row.error = { code: got.value.failure_code ?? undefined, message: got.value.failure_message ?? undefined };
      return { ...got, value: row };
    },
  };
}

/**
 * One loop polls every in-flight video through `GET /v3/videos/statuses` (≤ 100 ids a request),
 * however many jobs wait on it, so the request count grows with time, not with jobs.
 */
export class StatusPoller {
  private readonly watchers = new Map<string, Watcher>();
  private fastestMs: number | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  /** Bulk status requests that failed in a row; at BULK_FAILURES_BEFORE_FALLBACK, per-video GETs. */
  private bulkFailures = 0;
  private ticksSinceFallback = 0;
  /** Requests made so far (for the summary and the benchmark). */
  polls = 0;
  /** Per-video GETs made (not_found confirmations and the fallback). */
  videoReads = 0;

  private readonly reads: JobReads;

  constructor(
    client: HeyGenClient,
    private readonly schedule: PollSchedule,
    private readonly signal: AbortSignal,
    private readonly onStatus?: (videoId: string, status: string) => void,
    private readonly now: () => number = Date.now,
    reads?: JobReads,
  ) {
    this.reads = reads ?? videoReads(client);
  }

  /**
   * Resolves when the video is terminal. `startedAt` is when it was submitted (resumed jobs pass the
   * lock's time); `observe` lets its render time tune the schedule (only fresh submissions do).
   * Past `deadlineAt` (epoch ms) the wait ends `unconfirmed` instead of going on forever.
   */
  wait(videoId: string, startedAt: number, observe: boolean, deadlineAt = Number.POSITIVE_INFINITY): Promise<Terminal> {
    const existing = this.watchers.get(videoId);
    if (existing) {
      return new Promise((resolve, reject) => {
        const prev = { resolve: existing.resolve, reject: existing.reject };
        existing.resolve = (t) => {
          prev.resolve(t);
          resolve(t);
        };
        existing.reject = (e) => {
          prev.reject(e);
          reject(e);
        };
      });
    }
    return new Promise((resolve, reject) => {
      // Once a render of this run has finished, look again a little before the fastest one took:
      // renders of one run take similar times, and polling just after they end frees the slot.
      const first = this.fastestMs === undefined ? this.schedule.firstMs : Math.max(this.schedule.minMs, this.fastestMs * EARLY);
      this.watchers.set(videoId, { id: videoId, startedAt, nextAt: startedAt + first, checks: 0, predicted: this.fastestMs !== undefined, observe, deadlineAt, resolve, reject });
      this.wake?.();
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.watchers.size > 0) {
        if (this.signal.aborted) throw new CancelledError('cancelled');
        this.expire();
        if (this.watchers.size === 0) break;
        const due = minOf([...this.watchers.values()].map((w) => Math.min(w.nextAt, w.deadlineAt)));
        const delay = due - this.now();
        if (delay > 0) {
          await this.sleepOrWake(delay);
          continue;
        }
        if ([...this.watchers.values()].some((w) => w.nextAt <= this.now())) await this.pollOnce();
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

  /** Ends the waits whose deadline has passed. */
  private expire(): void {
    const now = this.now();
    for (const w of [...this.watchers.values()]) {
      if (now < w.deadlineAt) continue;
      this.watchers.delete(w.id);
      w.resolve(w.lastStatus === undefined ? { status: 'unconfirmed' } : { status: 'unconfirmed', lastStatus: w.lastStatus });
    }
  }

  private async pollOnce(): Promise<void> {
    const watchers = [...this.watchers.values()];
    const ids = watchers.map((w) => w.id);
    const rows = new Map<string, StatusRow>();
    const fallback = this.bulkFailures >= BULK_FAILURES_BEFORE_FALLBACK && this.ticksSinceFallback++ % BULK_RETRY_TICKS !== BULK_RETRY_TICKS - 1;
    if (fallback) {
      // The bulk endpoint keeps failing: one GET per video, the endpoint every CLI relies on.
      for (const [id, row] of await this.readMany(ids)) if (row) rows.set(id, row);
    } else {
      for (let i = 0; i < ids.length; i += MAX_STATUS_IDS) {
        const chunk = ids.slice(i, i + MAX_STATUS_IDS);
        this.polls += 1;
        const outcome = await this.reads.statuses(chunk);
        if (outcome.kind === 'ok') {
          this.bulkFailures = 0;
          this.ticksSinceFallback = 0;
          for (const row of outcome.value) if (row.video_id) rows.set(row.video_id, row);
        } else if (outcome.kind === 'error' && (outcome.status === 401 || outcome.status === 403)) {
          throw new ApiError(`HeyGen refused the status poll: ${outcome.code}: ${outcome.message}`, outcome.status, outcome.code);
        } else {
          // A failure after the client's retries: counted, and retried on the next tick.
          this.bulkFailures += 1;
        }
      }
    }
    // The bulk read model may not know a fresh id: only GET /v3/videos/{id} can say it is gone.
    const unknown = fallback ? [] : [...rows].filter(([, row]) => row.status === 'not_found').map(([id]) => id);
    for (const [id, row] of await this.readMany(unknown)) rows.set(id, row ?? { video_id: id, status: 'unknown' });
    const now = this.now();
    for (const w of watchers) {
      let row = rows.get(w.id);
      if (row?.status === 'not_found' && now - w.startedAt < YOUNG_MS) row = { video_id: w.id, status: 'starting' };
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

  /** readOne for each id, FALLBACK_READ_CONCURRENCY at a time; the first 401/403 is thrown. */
  private async readMany(ids: readonly string[]): Promise<Array<[string, StatusRow | undefined]>> {
    const limit = pLimit(FALLBACK_READ_CONCURRENCY);
    return Promise.all(ids.map((id) => limit(async () => [id, await this.readOne(id)] as [string, StatusRow | undefined])));
  }

  /**
   * `GET /v3/videos/{id}` as a status row: its status, `not_found` on 404, undefined when it could
   * not be read (tried again on the next tick).
   */
  private async readOne(id: string): Promise<StatusRow | undefined> {
    this.videoReads += 1;
    const got = await this.reads.read(id);
    if (got.kind === 'ok') return got.value;
    if (got.kind === 'error' && got.status === 404) return { video_id: id, status: 'not_found' };
    if (got.kind === 'error' && (got.status === 401 || got.status === 403)) {
      throw new ApiError(`HeyGen refused to read ${this.reads.noun} ${id}: ${got.code}: ${got.message}`, got.status, got.code);
    }
    return undefined;
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
