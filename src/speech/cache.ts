/**
 * Text-to-speech previews of scripts ("Listen" in `reel studio`), cached under `.reel/` by
 * (script, voice, settings): the same preview is never paid for twice, and its exact length
 * replaces the words-per-minute estimate in the plan.
 */
import { mkdir, readFile, readdir, rename } from 'node:fs/promises';
import { join } from '../util/path.js';
import { downloadTo } from '../build/download.js';
import type { HeyGenClient } from '../heygen/client.js';
import { type SpeechRequest, speechKey } from '../plan/speech.js';
import { writeFileAtomic } from '../util/atomic.js';
import { stableJson } from '../util/canonical.js';

/** Where previews are kept, relative to the project root. */
export const SPEECH_CACHE_DIR = '.reel/cache/speech';

/** `<key>.json` beside the audio: what was asked and how long the audio is. No URL, no key. */
interface SpeechRecordFile {
  key: string;
  request: SpeechRequest;
  duration: number;
  /** The audio file's name in the cache folder. */
  audio: string;
}

export interface CachedSpeech {
  key: string;
  /** Absolute path of the audio file. */
  file: string;
  duration: number;
  /** True when the preview came from the cache (nothing was sent or paid). */
  cached: boolean;
}

export type SpeechOutcome = ({ kind: 'ok' } & CachedSpeech) | { kind: 'error'; message: string; cannot?: boolean };

function audioExtension(bytes: Uint8Array): string {
  const ascii = (a: number, b: number): string => Buffer.from(bytes.subarray(a, b)).toString('latin1');
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(4, 8) === 'ftyp') return 'm4a';
  return 'mp3';
}

/** The cached preview with this key, if any. */
export async function cachedSpeech(root: string, key: string): Promise<CachedSpeech | undefined> {
  const dir = join(root, SPEECH_CACHE_DIR);
  try {
    const record = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as SpeechRecordFile;
    if (record.key !== key || typeof record.duration !== 'number' || !/^[\w.-]+$/.test(record.audio)) return undefined;
    return { key, file: join(dir, record.audio), duration: record.duration, cached: true };
  } catch {
    return undefined;
  }
}

/** Seconds of every cached preview by key: what `plan`'s `spoken` option takes. */
export async function spokenDurations(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const dir = join(root, SPEECH_CACHE_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n.endsWith('.json'))
      .map(async (name) => {
        const found = await cachedSpeech(root, name.slice(0, -'.json'.length));
        if (found) out.set(found.key, found.duration);
      }),
  );
  return out;
}

/**
 * The preview of `request`: from the cache, else synthesised with `POST /v3/voices/speech`,
 * downloaded and cached. A voice HeyGen refuses (it has no starfish engine) is `cannot: true`.
 */
export async function synthesize(root: string, client: HeyGenClient, request: SpeechRequest, signal: AbortSignal): Promise<SpeechOutcome> {
  const key = speechKey(request);
  const hit = await cachedSpeech(root, key);
  if (hit) return { kind: 'ok', ...hit };
  const outcome = await client.createSpeech(request);
  if (outcome.kind === 'ambiguous') return { kind: 'error', message: `text to speech did not answer clearly: ${outcome.message}` };
  if (outcome.kind === 'error') {
    const voice = outcome.param === 'voice_id' || /voice/.test(outcome.code);
    return {
      kind: 'error',
      message: voice
        ? `this voice cannot be previewed with text to speech (HeyGen answered ${outcome.code}: ${outcome.message})`
        : `text to speech failed: ${outcome.status} ${outcome.code}: ${outcome.message}`,
      ...(voice ? { cannot: true } : {}),
    };
  }
  const dir = join(root, SPEECH_CACHE_DIR);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${key}.download`);
  await downloadTo(outcome.value.audio_url, tmp, signal, 120_000);
  const head = await readFile(tmp).then((b) => b.subarray(0, 12));
  const audio = `${key}.${audioExtension(head)}`;
  await rename(tmp, join(dir, audio));
  const record: SpeechRecordFile = { key, request, duration: outcome.value.duration, audio };
  // The record is written last: a crash before it leaves only an unused audio file.
  await writeFileAtomic(join(dir, `${key}.json`), stableJson(record));
  return { kind: 'ok', key, file: join(dir, audio), duration: outcome.value.duration, cached: false };
}
