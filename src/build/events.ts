import type { Mode } from '../manifest/types.js';

/**
 * What the executor reports while it runs. Reporters (src/report/build-*.ts) turn these into a live
 * TTY view, plain lines or NDJSON; the executor itself never writes to a stream.
 */

export type JobResultKind =
  | 'completed'
  | 'failed'
  | 'cancelled'
  /** Stopped (Ctrl-C) after HeyGen accepted it: it renders and is billed anyway; the next build collects it. */
  | 'submitted'
  /** The create may or may not have happened; the lock holds the intent and the next build reconciles. */
  | 'unknown'
  | 'awaiting_review'
  | 'removed'
  | 'updated'
  | 'skipped';

/** The jobs that ended paused for a person's review, by id. */
export function awaitingReview(results: readonly JobResult[]): JobResult[] {
  return results.filter((r) => r.result === 'awaiting_review').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface JobResult {
  id: string;
  /** The plan's action (`create`, `update`, `resume`, `remove`, `metadata`, `failed`) or `download`. */
  action: string;
  result: JobResultKind;
  /** Wall time of the job in milliseconds. */
  ms: number;
  /** Output file relative to the project root. */
  file?: string;
  videoId?: string;
  sessionId?: string;
  /** Why it failed, was skipped or is unknown. */
  code?: string;
  message?: string;
  /** For `awaiting_review`: the agent's latest turn (its storyboard), oldest first. */
  storyboard?: string[];
}

export type BuildEvent =
  | { type: 'start'; jobs: number; renders: number; resumes: number; removals: number; concurrency: number }
  | { type: 'upload'; id: string; file: string; asset_id: string; reused: boolean }
  | { type: 'submit'; id: string; mode: Mode }
  | {
      type: 'submitted';
      id: string;
      video_id?: string;
      session_id?: string;
      /** How an existing render was found instead of created: `title` tag search or `session` match. */
      adopted?: 'title' | 'session';
    }
  | { type: 'resume'; id: string; video_id?: string; session_id?: string }
  | { type: 'status'; id: string; status: string }
  | { type: 'rendered'; id: string; video_id: string; duration?: number }
  | { type: 'downloaded'; id: string; file: string; size: number; sha256: string }
  | { type: 'warning'; id?: string; message: string }
  | { type: 'result'; job: JobResult };

export type Emit = (event: BuildEvent) => void;
