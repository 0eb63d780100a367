import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from '../util/path.js';
import { ApiError } from '../errors.js';
import { type HeyGenClient, MAX_STATUS_IDS } from '../heygen/client.js';
import type { Lockfile } from '../lock/types.js';
import type { LocalState, RemoteState } from './compare.js';

/** Files hashed at once: enough to keep a disk busy, few enough to leave descriptors free. */
const HASH_CONCURRENCY = 4;

/**
 * The state on disk of every file the lock recorded (video, subtitles, thumbnail), keyed by its
 * lock path: missing, altered (size or sha256 differs) or ok. Sizes are compared first, so an
 * obviously different file is not hashed.
 */
export async function localStates(root: string, lock: Lockfile): Promise<Map<string, LocalState>> {
  const files = Object.values(lock.videos).flatMap((e) => [e.output, e.subtitles, e.thumbnail].filter((f) => f !== undefined));
  const out = new Map<string, LocalState>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      const path = resolve(root, file.path);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) out.set(file.path, 'missing');
      else if (info.size !== file.size) out.set(file.path, 'altered');
      else out.set(file.path, (await hashFile(path)) === file.sha256 ? 'ok' : 'altered');
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  return out;
}

async function hashFile(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * HeyGen's status of each video id, asked in bulk (`GET /v3/videos/statuses`, MAX_STATUS_IDS a
 * request, one request at a time). A status HeyGen cannot give is an ApiError: drift computed
 * from a partial answer would report deletions that did not happen.
 */
export async function remoteStates(client: HeyGenClient, videoIds: readonly string[]): Promise<Map<string, RemoteState>> {
  const out = new Map<string, RemoteState>();
  const ids = [...new Set(videoIds)];
  for (let i = 0; i < ids.length; i += MAX_STATUS_IDS) {
    const batch = ids.slice(i, i + MAX_STATUS_IDS);
    const outcome = await client.videoStatuses(batch);
    if (outcome.kind !== 'ok') {
      const detail = outcome.kind === 'error' ? `${outcome.status ? `${outcome.status} ` : ''}${outcome.code}: ${outcome.message}` : outcome.message;
      throw new ApiError(`cannot read video statuses from HeyGen: ${detail}`);
    }
    for (const row of outcome.value) {
      if (!row.video_id) continue;
      out.set(row.video_id, toRemote(row.status, row.error?.message ?? row.error?.code));
    }
    // An id HeyGen left out of its answer stays unchecked: only an explicit `not_found` is a deletion.
  }
  return out;
}

function toRemote(status: string, error: string | undefined): RemoteState {
  if (status === 'completed') return { status: 'completed' };
  if (status === 'failed') return error ? { status: 'failed', error } : { status: 'failed' };
  if (status === 'not_found') return { status: 'not_found' };
  return { status: 'in_progress' };
}

/** Agent sessions read at once (HeyGen has no bulk read for sessions). */
const SESSION_CONCURRENCY = 4;

/**
 * HeyGen's state of agent sessions that have no video yet: `completed` once the session names a
 * video (the build collects it), `failed` when the session ended without one, `not_found` on 404.
 */
export async function sessionStates(client: HeyGenClient, sessionIds: readonly string[]): Promise<Map<string, RemoteState>> {
  const out = new Map<string, RemoteState>();
  const ids = [...new Set(sessionIds)];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const outcome = await client.getSession(id);
      if (outcome.kind === 'ok') {
        const session = outcome.value;
        if (session.video_id) out.set(id, { status: 'completed' });
        else if (session.status === 'failed' || session.status === 'completed') out.set(id, { status: 'failed' });
        else out.set(id, { status: 'in_progress' });
      } else if (outcome.kind === 'error' && outcome.status === 404) {
        out.set(id, { status: 'not_found' });
      } else {
        throw new ApiError(`cannot read agent session ${id} from HeyGen: ${outcome.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: SESSION_CONCURRENCY }, worker));
  return out;
}
