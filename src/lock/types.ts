import type { Mode } from '../manifest/types.js';

/** The lockfile format this reel reads and writes; a newer one is refused, never overwritten. */
export const LOCKFILE_VERSION = 1;

export type LockStatus = 'submitted' | 'completed' | 'failed' | 'awaiting_review';

export const LOCK_STATUSES: readonly LockStatus[] = ['submitted', 'completed', 'failed', 'awaiting_review'];

/** A file reel downloaded; `path` is relative to the project root, with forward slashes. */
export interface LockedFile {
  path: string;
  size: number;
  sha256: string;
}

/** What reel knows about one video. Never holds an API key or a (presigned, expiring) URL. */
export interface LockEntry {
  fingerprint: string;
  mode: Mode;
  status: LockStatus;
  /** Bumped only by an intentional re-render (an update, or `--retry-failed`); part of the Idempotency-Key. */
  generation: number;
  /** `fieldDigests(entry)` at submission: lets a later plan name the fields that changed. */
  fields: Record<string, string>;
  /**
   * The prose of the request at submission (`textFields(entry)`: script, prompt, motion_prompt,
   * title), so that `reel show`, `explain` and the studio can diff words, not digests. The text is
   * the manifest's own (already in git); never a URL reel was given, never a key.
   */
  text?: Record<string, string>;
  video_id?: string;
  session_id?: string;
  idempotency_key?: string;
  /** Content hashes of agent messages already sent into the session. */
  messages_sent?: string[];
  /** ISO timestamps. */
  submitted_at?: string;
  completed_at?: string;
  updated_at: string;
  /** Seconds of rendered video, as HeyGen reports it. */
  duration?: number;
  /** What the render cost: `duration` × the rate of its product in reel.config.yaml's `pricing:` at completion. */
  cost?: { amount: number; unit: 'usd' | 'credits'; product: string };
  output?: LockedFile;
  subtitles?: LockedFile;
  thumbnail?: LockedFile;
  failure?: { code: string; message: string };
  /** The id whose render this entry received (identical request and Idempotency-Key): one video, billed once. */
  shared_with?: string;
  /** Which API the ids belong to (`heygen`, or `emulator` for a build against the emulator). */
  api?: string;
  /**
   * A chat (`review: true`) session rendered this video without reel's approval message: HeyGen's
   * agent does not always stop for review. Recorded so that nobody mistakes it for approved.
   */
  unreviewed?: boolean;
  /**
   * `reel eject --replace` took the entry out of the manifest in favour of this direct entry: the
   * record, its files and its HeyGen video are kept: a plan lists it as retained, never as a removal.
   * Should an entry of this id come back, it is planned against the record as usual.
   */
  ejected_to?: string;
}

export interface LockedAsset {
  asset_id: string;
  uploaded_at: string;
  /** Which API the asset id belongs to (as LockEntry.api). */
  api?: string;
}

export interface Lockfile {
  lockfileVersion: 1;
  videos: Record<string, LockEntry>;
  /** Uploaded local files, keyed by the sha256 of their bytes. */
  assets: Record<string, LockedAsset>;
}

export function emptyLock(): Lockfile {
  return { lockfileVersion: LOCKFILE_VERSION, videos: {}, assets: {} };
}
