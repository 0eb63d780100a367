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
  /** For `translate` locales: the video translation id. */
  video_id?: string;
  session_id?: string;
  idempotency_key?: string;
  /** Content hashes of agent messages already sent into the session. */
  messages_sent?: string[];
  /**
   * Set while a message reel sent awaits the agent's answer: a digest of the session's newest
   * message just before the send. Until the session moves past it, no further message is sent, in
   * this build or a later one (an interrupted build must not skip a revision that was lost).
   */
  awaiting_answer?: string;
  /** ISO timestamps. */
  submitted_at?: string;
  /**
   * The instant of `submitted_at` by HeyGen's clock (learned from the `Date` header of its
   * answers), ISO. A lost create is searched for from it, and the Idempotency-Key's 24 h are counted
   * from it, whatever this machine's clock says (or the clock of the machine that wrote the lock).
   * Absent when HeyGen's answers gave no time, and in locks written before it existed: reel then
   * searches without a time bound and never trusts the key's replay window.
   */
  submitted_at_heygen?: string;
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
  /** Locales: the source entry's id (the plan groups locales under it). */
  source?: string;
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
  return { lockfileVersion: LOCKFILE_VERSION, videos: idMap(), assets: idMap() };
}

/**
 * A record keyed by ids or hashes, without a prototype: `constructor`, `toString` or `__proto__`
 * are ids like any other, never Object.prototype's members. Copies `from` when given.
 */
export function idMap<T>(from?: Readonly<Record<string, T>>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (from) for (const key of Object.keys(from)) out[key] = from[key] as T;
  return out;
}
