import type { LockEntry, LockedFile, Lockfile } from '../lock/types.js';

/** What HeyGen says about a video id: a status from `GET /v3/videos/statuses`, or `not_found`. */
export type RemoteState = { status: 'completed' | 'failed' | 'in_progress' | 'not_found'; error?: string };

/** What the disk says about a file the lock recorded. */
export type LocalState = 'ok' | 'missing' | 'altered';

export type DriftKind =
  /** Lock, HeyGen and out/ agree. */
  | 'ok'
  /** Submitted or awaiting review, and HeyGen still working on it (or waiting for a person). */
  | 'in_flight'
  /** Submitted in the lock but finished on HeyGen: `reel build` collects it. */
  | 'finished_remotely'
  /** The lock names a video HeyGen no longer has. */
  | 'deleted_remotely'
  /** The lock says completed, HeyGen says failed. */
  | 'failed_remotely'
  /** A completed video whose file (or sidecar) is not on disk. */
  | 'missing_local'
  /** A file on disk whose size or sha256 differs from the lock. */
  | 'altered_local'
  /** The render failed earlier (`reel build --retry-failed` renders it again). */
  | 'failed';

export interface VideoDrift {
  id: string;
  status: LockEntry['status'];
  video_id?: string;
  /** Every problem of this video, worst first; `['ok']` or `['in_flight']` when there is none. */
  kinds: DriftKind[];
  /** Files with a problem, relative to the project root. */
  files: Array<{ path: string; state: Exclude<LocalState, 'ok'>; what: 'video' | 'subtitles' | 'thumbnail' }>;
  /** HeyGen's answer, when it was asked. */
  remote?: RemoteState['status'];
  /** Why HeyGen was not asked (another API, no key). */
  unchecked?: string;
  message?: string;
}

export interface DriftReport {
  videos: VideoDrift[];
  counts: Record<DriftKind, number>;
  /** Whether anything needs attention (everything but `ok` and `in_flight`). */
  drift: boolean;
}

export interface DriftInputs {
  lock: Lockfile;
  /** HeyGen's answer by video id; ids missing from the map were not checked. */
  remote: ReadonlyMap<string, RemoteState>;
  /** HeyGen's answer for agent sessions that have no video id yet, by session id. */
  sessions?: ReadonlyMap<string, RemoteState>;
  /** State of each recorded file by its lock path. */
  local: ReadonlyMap<string, LocalState>;
  /** Why remote state is missing for an entry, if it is (e.g. another API). */
  unchecked: (entry: LockEntry) => string | undefined;
}

const ORDER: readonly DriftKind[] = ['deleted_remotely', 'failed_remotely', 'altered_local', 'missing_local', 'finished_remotely', 'failed', 'in_flight', 'ok'];

/**
 * Compare what the lock says with what HeyGen and the disk say. Pure: the caller gathers remote
 * statuses and file states (see collect.ts), so every rule here is testable from plain data.
 */
export function compareDrift(inputs: DriftInputs): DriftReport {
  const videos: VideoDrift[] = [];
  for (const id of Object.keys(inputs.lock.videos).sort()) {
    const entry = inputs.lock.videos[id] as LockEntry;
    const kinds = new Set<DriftKind>();
    const drift: VideoDrift = { id, status: entry.status, kinds: [], files: [] };
    if (entry.video_id) drift.video_id = entry.video_id;
    const why = inputs.unchecked(entry);
    const remote = why ? undefined : entry.video_id ? inputs.remote.get(entry.video_id) : entry.session_id ? inputs.sessions?.get(entry.session_id) : undefined;
    if (why) drift.unchecked = why;
    else if (entry.video_id && !remote) drift.unchecked = 'HeyGen did not report this video';
    if (remote) drift.remote = remote.status;

    if (remote?.status === 'not_found') kinds.add('deleted_remotely');
    if (entry.status === 'failed') kinds.add('failed');
    if (entry.status === 'submitted' || entry.status === 'awaiting_review') {
      if (remote?.status === 'completed' || remote?.status === 'failed') kinds.add('finished_remotely');
      else if (remote?.status !== 'not_found') kinds.add('in_flight');
    }
    if (entry.status === 'completed') {
      if (remote?.status === 'failed') kinds.add('failed_remotely');
      const files: Array<[LockedFile | undefined, 'video' | 'subtitles' | 'thumbnail']> = [
        [entry.output, 'video'],
        [entry.subtitles, 'subtitles'],
        [entry.thumbnail, 'thumbnail'],
      ];
      for (const [file, what] of files) {
        if (!file) continue;
        const state = inputs.local.get(file.path) ?? 'missing';
        if (state === 'ok') continue;
        kinds.add(state === 'missing' ? 'missing_local' : 'altered_local');
        drift.files.push({ path: file.path, state, what });
      }
    }
    if (kinds.size === 0) kinds.add('ok');
    drift.kinds = ORDER.filter((k) => kinds.has(k));
    drift.message = advice(drift, remote);
    if (!drift.message) delete drift.message;
    videos.push(drift);
  }
  const counts = Object.fromEntries(ORDER.map((k) => [k, 0])) as Record<DriftKind, number>;
  for (const v of videos) counts[v.kinds[0] as DriftKind] += 1;
  return { videos, counts, drift: videos.some((v) => v.kinds.some((k) => k !== 'ok' && k !== 'in_flight')) };
}

/** What to do about the worst problem, in one sentence. */
function advice(v: VideoDrift, remote: RemoteState | undefined): string | undefined {
  switch (v.kinds[0]) {
    case 'deleted_remotely':
      return v.files.length > 0 || v.status !== 'completed'
        ? 'HeyGen no longer has this video; remove its entry from reel.lock and run `reel build` to render it again (this costs a render)'
        : 'HeyGen no longer has this video; the local file is intact, so nothing is lost unless you need HeyGen to host it';
    case 'failed_remotely':
      return `HeyGen reports the video failed${remote?.error ? ` (${remote.error})` : ''} although the lock says completed`;
    case 'altered_local':
      return 'a file differs from the one downloaded; delete it and run `reel build` to download it again (no render)';
    case 'missing_local':
      return 'run `reel build` to download it again from the existing video (no render)';
    case 'finished_remotely':
      return 'finished on HeyGen; run `reel build` to record and download it';
    case 'failed':
      return 'failed earlier; `reel build --retry-failed` renders it again';
    default:
      return undefined;
  }
}
