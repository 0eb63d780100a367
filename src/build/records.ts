import type { LockEntry, LockStore } from '../lock/index.js';
import type { Change } from '../plan/index.js';
import type { JobResult, JobResultKind } from './events.js';

/** The lock's timestamps: ISO 8601, UTC. */
export function iso(): string {
  return new Date().toISOString();
}

export function isoFromUnix(seconds: number | null | undefined): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : iso();
}

/**
 * A render that failed for good: the lock records why (so the next build skips it until
 * `--retry-failed`) and keeps no output of an earlier render.
 */
export function recordFailure(store: LockStore, change: Change, lock: LockEntry, code: string, message: string, started: number): JobResult {
  const failed: LockEntry = { ...lock, status: 'failed', failure: { code, message }, updated_at: iso() };
  delete failed.output;
  delete failed.subtitles;
  delete failed.thumbnail;
  store.set(change.id, failed);
  return jobResult(change, started, 'failed', { code, message, videoId: lock.video_id, sessionId: lock.session_id });
}

/**
 * A job whose render may exist but is not confirmed (a lost create answer, a deadline): nothing is
 * recorded as failed, the lock keeps its intent or submission, and the next build reconciles or
 * resumes it instead of creating again. `lock` adds the ids known so far.
 */
export function unknownResult(change: Change, started: number, code: string, message: string, lock?: LockEntry): JobResult {
  return jobResult(change, started, 'unknown', { code, ...(lock ? { videoId: lock.video_id, sessionId: lock.session_id } : {}), message });
}

/** How the job of `change` ended, timed from `started`, with what the summary says of it. */
export function jobResult(change: Change, started: number, result: JobResultKind, details: Omit<JobResult, 'id' | 'action' | 'result' | 'ms'> = {}): JobResult {
  return { id: change.id, action: change.action, result, ms: Date.now() - started, ...details };
}
