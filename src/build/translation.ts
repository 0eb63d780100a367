import { ApiError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { StatusRow, Translation, Video } from '../heygen/types.js';
import type { LockEntry } from '../lock/index.js';
import type { ResolvedEntry } from '../manifest/types.js';
import type { JobReads } from './poller.js';

/**
 * The HeyGen side of a `translate` locale (API.md §2.18): the create body, the status vocabulary,
 * reconciling a lost create, and the finished translation as the files to download. The executor
 * runs it with the same lifecycle as a render (durable intent, keyed create, bulk polling).
 */

/** Words a finished translation may report: the spec says `completed`, HeyGen's skills `succeeded` (UNCONFIRMED). */
const DONE = new Set(['completed', 'succeeded', 'success', 'done', 'finished']);
const FAILED = new Set(['failed', 'error']);

/** Any status word of §2.18 (GET: pending/running/…; /statuses: queued/processing/…) in the poller's terms. */
export function normalizeTranslationStatus(status: string): string {
  const s = status.toLowerCase();
  if (DONE.has(s)) return 'completed';
  if (FAILED.has(s)) return 'failed';
  if (s === 'not_found') return 'not_found';
  return 'processing';
}

/**
 * How the poller reads translations: `GET /v3/video-translations/statuses` (rows carry the
 * translation id in `video_id`) and `GET /v3/video-translations/{id}`, statuses normalized. The
 * poller confirms a `not_found` row with the GET and falls back to GETs if the bulk call keeps failing.
 */
export function translationReads(client: HeyGenClient): JobReads {
  return {
    noun: 'video translation',
    statuses: async (ids) => {
      const outcome = await client.translationStatuses(ids);
      if (outcome.kind !== 'ok') return outcome;
      return { ...outcome, value: outcome.value.map((row) => ({ ...row, status: normalizeTranslationStatus(row.status) })) };
    },
    read: async (id) => {
      const got = await client.getTranslation(id);
      if (got.kind !== 'ok') return got;
      const status = normalizeTranslationStatus(got.value.status);
      const row: StatusRow =
        status === 'failed' ? { video_id: id, status, error: { code: 'translation_failed', message: got.value.failure_message ?? 'the translation failed' } } : { video_id: id, status };
      return { ...got, value: row };
    },
  };
}

/** The create body: the locale's request, the freshly signed URL of its rendered source, a tagged title. */
export function translationBody(request: Record<string, unknown>, sourceUrl: string, title: string): Record<string, unknown> {
  return { ...request, video: { type: 'url', url: sourceUrl }, title };
}

/** Pages of `GET /v3/video-translations` searched for a tagged title before giving up. */
const RECONCILE_PAGES = 10;

/**
 * A translation this locale created earlier whose answer was lost, found by the tag in its title
 * (the Idempotency-Key covers only 24 h).
 */
export async function findTranslationByTag(client: HeyGenClient, tag: string, language: string): Promise<Translation | undefined> {
  let token: string | undefined;
  for (let page = 0; page < RECONCILE_PAGES; page += 1) {
    const outcome = await client.listTranslations({ limit: 100, ...(token ? { token } : {}) });
    if (outcome.kind !== 'ok') return undefined;
    const found = outcome.value.items.find((t) => (t.title ?? '').includes(tag) && (t.output_language == null || t.output_language === language || !language));
    if (found) return found;
    if (!outcome.value.hasMore || !outcome.value.nextToken) return undefined;
    token = outcome.value.nextToken;
  }
  return undefined;
}

/** A finished translation as the downloader sees a video: the dubbed video (or audio) and its captions. */
export function asVideo(t: Translation, entry: ResolvedEntry): Video {
  const audioOnly = entry.request['translate_audio_only'] === true;
  return {
    id: t.id,
    status: 'completed',
    title: t.title ?? null,
    duration: t.duration ?? null,
    video_url: (audioOnly ? (t.audio_url ?? t.video_url) : (t.video_url ?? t.audio_url)) ?? null,
    subtitle_url: t.srt_caption_url ?? null,
  };
}

/** Reads a translation for its files; throws like fetchVideo so the downloader refreshes URLs the same way. */
export async function fetchTranslationAsVideo(client: HeyGenClient, lock: LockEntry, entry: ResolvedEntry): Promise<Video> {
  const id = lock.video_id as string;
  const got = await client.getTranslation(id);
  if (got.kind === 'ok') return asVideo(got.value, entry);
  const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
  throw new ApiError(`cannot read video translation ${id}: ${detail}`, got.kind === 'error' ? got.status : undefined);
}
