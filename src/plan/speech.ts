import type { ResolvedEntry } from '../manifest/types.js';
import { canonicalJson } from '../util/canonical.js';
import { sha256 } from '../util/hash.js';

/**
 * The `POST /v3/voices/speech` body (API.md §2.21) that previews a direct entry's script: its text,
 * voice, and the voice settings text to speech shares with a video (speed, locale). Pitch, volume
 * and engine settings only exist for videos, so they are not part of a preview.
 */
export interface SpeechRequest {
  text: string;
  voice_id: string;
  speed?: number;
  locale?: string;
}

/** The preview request of an entry, or why it has none. Pure. */
export function speechRequest(entry: ResolvedEntry): { request: SpeechRequest } | { reason: string } {
  if (entry.mode !== 'direct') return { reason: 'agent entries have no script until the agent writes one' };
  const r = entry.request;
  if (typeof r.script !== 'string' || r.script.trim() === '') return { reason: 'the entry has no script (it is driven by an audio file)' };
  if (typeof r.voice_id !== 'string') return { reason: 'the entry has no voice' };
  if (r.script.length > 5000) return { reason: 'the script is longer than the 5,000 characters text to speech takes' };
  const settings = (r.voice_settings ?? {}) as { speed?: unknown; locale?: unknown };
  const request: SpeechRequest = { text: r.script, voice_id: r.voice_id };
  if (typeof settings.speed === 'number' && settings.speed !== 1) request.speed = settings.speed;
  if (typeof settings.locale === 'string') request.locale = settings.locale;
  return { request };
}

/** The cache key of a preview: the same script, voice and settings give the same audio. */
export function speechKey(request: SpeechRequest): string {
  return sha256(canonicalJson(request)).slice(0, 32);
}

/** The cache key of an entry's preview, when it can have one. */
export function entrySpeechKey(entry: ResolvedEntry): string | undefined {
  const r = speechRequest(entry);
  return 'request' in r ? speechKey(r.request) : undefined;
}
