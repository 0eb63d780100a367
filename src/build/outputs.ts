import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relativePath, resolve } from '../util/path.js';
import { ApiError, CancelledError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { Video } from '../heygen/types.js';
import type { LockEntry, LockedFile, LockStore } from '../lock/index.js';
import type { ResolvedEntry } from '../manifest/types.js';
import type { Change } from '../plan/index.js';
import { downloadTo, TransferError, UrlExpiredError } from './download.js';
import type { Emit, JobResult } from './events.js';
import { pause } from './poller.js';
import { iso } from './records.js';
import { recordedApi, sameApi } from '../util/api.js';
import { confinedDelete, confinedWrite } from '../util/confine.js';
import { canonicalJson } from '../util/canonical.js';

/**
 * What a build leaves on disk: the rendered video and its sidecars (subtitles, thumbnail)
 * downloaded and recorded in the lock, and — for removed entries — those files deleted again.
 */

/** Fresh URLs fetched for one file before giving up. */
const URL_REFRESHES = 3;
/** Attempts at one URL when the transfer breaks. */
const TRANSFER_ATTEMPTS = 4;

/** What downloads and removals need from the build they run in. */
export interface OutputContext {
  /** Project root: lock paths and output paths are relative to it. */
  root: string;
  /** Absolute output directory for `<id>.mp4` when an entry sets no `output.file`. */
  outDir: string;
  client: HeyGenClient;
  store: LockStore;
  signal: AbortSignal;
  emit: Emit;
  /** Which API this build talks to (see util/api). */
  api: string;
  /** `--prune`: delete removed entries' videos on the API too. */
  prune: boolean;
}

/** Download a completed video and its sidecars, and record the files in the lock. */
export async function downloadOutputs(
  o: OutputContext,
  entry: ResolvedEntry,
  lock: LockEntry,
  known: Video | undefined,
  action: string,
  started: number,
  /** Reads the job again for fresh URLs (default `GET /v3/videos/{id}`; translations read theirs). */
  refetch: () => Promise<Video> = () => fetchVideo(o.client, lock.video_id as string),
): Promise<JobResult> {
  const videoId = lock.video_id as string;
  const dest = outputPath(entry, o.root, o.outDir);
  let video = known;
  let output: LockedFile | undefined;
  for (let refresh = 0; !output; refresh += 1) {
    if (!video) video = await refetch();
    const wantsCaptions = typeof (entry.request.caption as { style?: unknown } | undefined)?.style === 'string';
    const url = (wantsCaptions ? video.captioned_video_url : undefined) ?? video.video_url;
    if (!url) throw new ApiError(`HeyGen reports video ${videoId} completed but gives no download URL (asset_not_available)`);
    try {
      output = await transfer(o, url, dest);
    } catch (error) {
      if (!(error instanceof UrlExpiredError) || refresh + 1 >= URL_REFRESHES) throw error;
      video = undefined;
    }
  }
  o.emit({ type: 'downloaded', id: entry.id, file: output.path, size: output.size, sha256: output.sha256 });
  const next: LockEntry = { ...lock, output, updated_at: iso() };
  const base = dest.replace(/\.(mp4|webm|mp3)$/, '');
  // Sidecars are best effort: a missing SRT or thumbnail is reported, never a failed build.
  const sidecars: Array<['subtitles' | 'thumbnail', string | null | undefined, string]> = [
    ['subtitles', video?.subtitle_url, `${base}.srt`],
    ['thumbnail', video?.thumbnail_url, `${base}.jpg`],
  ];
  for (const [field, url, path] of sidecars) {
    if (!url) continue;
    try {
      next[field] = await transfer(o, url, path);
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      o.emit({ type: 'warning', id: entry.id, message: `${field} not downloaded: ${(error as Error).message}` });
    }
  }
  // Files downloaded again with the bytes the lock records (a fresh runner, a cleaned out/) change
  // nothing: the entry keeps its bytes, so reel.lock does not churn.
  const stored = Object.hasOwn(o.store.data.videos, entry.id) ? o.store.data.videos[entry.id] : undefined;
  if (!stored || !sameButTime(stored, next)) o.store.set(entry.id, next);
  return { id: entry.id, action, result: 'completed', ms: Date.now() - started, file: output.path, videoId };
}

/** Equal lock entries, apart from when they were last written. */
function sameButTime(a: LockEntry, b: LockEntry): boolean {
  return canonicalJson({ ...a, updated_at: '' }) === canonicalJson({ ...b, updated_at: '' });
}

async function fetchVideo(client: HeyGenClient, videoId: string): Promise<Video> {
  const got = await client.getVideo(videoId);
  if (got.kind === 'ok') return got.value;
  const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
  throw new ApiError(`cannot read video ${videoId}: ${detail}`, got.kind === 'error' ? got.status : undefined);
}

async function transfer(o: OutputContext, url: string, dest: string): Promise<LockedFile> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // Written where the path really leads, which must be inside the project: a symlinked out/
      // (or a file symlinked out of it) never carries a video elsewhere.
      const real = await confinedWrite(o.root, dest);
      const file = await downloadTo(url, real, o.signal);
      return { path: relativePath(o.root, dest), size: file.size, sha256: file.sha256 };
    } catch (error) {
      if (!(error instanceof TransferError) || attempt >= TRANSFER_ATTEMPTS) throw error;
      await pause(Math.min(200 * 2 ** attempt, 5000), o.signal);
    }
  }
}

/** A removed entry: its files deleted (inside the project only), with `--prune` its video too, and its lock entry dropped. */
export async function removeOutputs(o: OutputContext, change: Change): Promise<JobResult> {
  const started = Date.now();
  const locked = change.locked;
  if (!locked) return { id: change.id, action: 'remove', result: 'skipped', ms: 0 };
  let message: string | undefined;
  const sharer = locked.video_id ? stillUsedBy(o, change.id, locked) : undefined;
  if (o.prune && locked.video_id) {
    const translation = locked.mode === 'translate';
    if (sharer !== undefined) {
      message = `not deleted remotely: video ${locked.video_id} is also ${sharer}'s`;
    } else if (!sameApi(locked.api, o.api)) {
      message = `not deleted remotely: built against ${recordedApi(locked.api)}, this build talks to ${o.api}`;
    } else {
      const outcome = translation ? await o.client.deleteTranslation(locked.video_id) : await o.client.deleteVideo(locked.video_id);
      if (outcome.kind === 'error' && outcome.status !== 404) {
        // Keep the lock entry so that the next `--prune` tries again.
        return { id: change.id, action: 'remove', result: 'failed', ms: Date.now() - started, code: outcome.code, message: `deleting video ${locked.video_id}: ${outcome.message}` };
      }
      if (outcome.kind === 'ambiguous') {
        return { id: change.id, action: 'remove', result: 'failed', ms: Date.now() - started, code: 'ambiguous', message: outcome.message };
      }
      message = `deleted ${translation ? 'video translation' : 'video'} ${locked.video_id} on HeyGen`;
    }
  }
  for (const file of [locked.output, locked.subtitles, locked.thumbnail]) {
    if (!file) continue;
    // Never delete outside the project, whatever a hand-edited lock says or a symlinked folder on
    // the way leads to; a symlink itself is removed, not what it points to.
    if (isAbsolute(file.path)) continue;
    const path = await confinedDelete(o.root, resolve(o.root, file.path));
    if (!path) continue;
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  o.store.delete(change.id);
  return { id: change.id, action: 'remove', result: 'removed', ms: Date.now() - started, ...(message ? { message } : {}) };
}

/** Another lock entry that holds the same video (a shared render), which `--prune` must not delete. */
function stillUsedBy(o: OutputContext, id: string, locked: LockEntry): string | undefined {
  const api = locked.api ?? 'heygen';
  for (const other in o.store.data.videos) {
    const v = o.store.data.videos[other]!;
    if (other !== id && v.video_id === locked.video_id && (v.api ?? 'heygen') === api) return other;
  }
  return undefined;
}

/** Where an entry's video goes: its `output.file`, else `<outDir>/<id>.mp4` (`.webm` for webm). */
export function outputPath(entry: ResolvedEntry, root: string, outDir: string): string {
  if (entry.output.file) return resolve(root, entry.output.file);
  // An audio-only translation dubs the soundtrack: HeyGen hands back an MP3 (API.md §2.18).
  const ext = entry.request.output_format === 'webm' ? 'webm' : entry.mode === 'translate' && entry.request.translate_audio_only === true ? 'mp3' : 'mp4';
  return join(outDir, `${entry.id}.${ext}`);
}

/** Seconds of slack between a file's mtime and the lock entry's `updated_at` (coarse file-system clocks). */
const MTIME_SLACK_MS = 2000;

/**
 * Whether a file on disk still holds the bytes the lock recorded. Cheap first: another size is
 * altered; a file not modified since reel recorded it is intact. Only a file modified later (an
 * editor, a copy, a tool that rewrote it in place) is hashed and compared with the lock's sha256.
 */
async function intact(path: string, recorded: LockedFile, recordedAt: string): Promise<boolean> {
  const file = await stat(path).catch(() => undefined);
  if (!file || file.size !== recorded.size) return false;
  const at = Date.parse(recordedAt);
  if (Number.isFinite(at) && file.mtimeMs <= at + MTIME_SLACK_MS) return true;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex') === recorded.sha256;
}

/**
 * Completed entries the plan leaves alone whose output file is missing or altered (a fresh clone, a
 * cleaned out/, a file edited or replaced): the build downloads them again, which costs a GET but no
 * render.
 */
export async function findMissingOutputs(changes: readonly Change[], root: string, outDir: string): Promise<Change[]> {
  const out: Change[] = [];
  for (const change of changes) {
    const locked = change.locked;
    if (!change.entry || !locked || change.render) continue;
    if (change.action !== 'unchanged' && change.action !== 'metadata') continue;
    if (locked.status !== 'completed' || !locked.video_id) continue;
    const expected = outputPath(change.entry, root, outDir);
    const same = locked.output !== undefined && resolve(root, locked.output.path) === expected;
    if (!same || !locked.output || !(await intact(expected, locked.output, locked.updated_at))) out.push(change);
  }
  return out;
}
