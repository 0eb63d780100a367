import type { ResolvedEntry } from '../manifest/types.js';
import { entrySpeechKey } from './speech.js';

/** Speaking rate used for estimates, in words per minute at `voice_settings.speed: 1`. */
export const WORDS_PER_MINUTE = 150;

/** Estimate when nothing says how long a video will be (agent prompts without a length, audio files). */
export const DEFAULT_ESTIMATE_SECONDS = 60;

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  'forty-five': 45,
  fifty: 50,
  sixty: 60,
  ninety: 90,
};

// "60-second", "90 s", "2 minutes", "1.5-min", "one minute", "a 30 sec clip". Bare "m" is left out on
// purpose: "5 m" is as likely to be metres as minutes.
const DURATION =
  /(?<![\w.])(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty(?:-five)?|fifty|sixty|ninety)[\s-]*(seconds?|secs?|s|minutes?|mins?)(?![\w])/i;

/** Seconds of video an agent prompt asks for ("a 60-second video", "two minutes"), if it says. */
export function durationFromPrompt(prompt: string): number | undefined {
  const match = DURATION.exec(prompt);
  if (!match) return undefined;
  const [, amount = '', unit = ''] = match;
  const n = /^\d/.test(amount) ? Number(amount) : NUMBER_WORDS[amount.toLowerCase()];
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  return /^m/i.test(unit) ? n * 60 : n;
}

function countWords(text: string): number {
  let words = 0;
  for (const token of text.split(/\s+/)) if (/[\p{L}\p{N}]/u.test(token)) words += 1;
  return words;
}

/**
 * Seconds of video an entry is expected to render: direct scripts at ~150 words per minute scaled by
 * `voice_settings.speed`; agent entries from a length stated in the prompt, else 60 s; audio-driven
 * entries 60 s (the file's length is not known without decoding it). Whole seconds, at least 1.
 */
export function estimateSeconds(entry: ResolvedEntry): number {
  const request = entry.request;
  // A translation is about as long as its source (HeyGen bills output seconds, one charge per language).
  if (entry.mode === 'translate') return entry.locale?.sourceSeconds ?? DEFAULT_ESTIMATE_SECONDS;
  if (entry.mode === 'agent') {
    const prompt = typeof request.prompt === 'string' ? request.prompt : '';
    return Math.max(1, Math.round(durationFromPrompt(prompt) ?? DEFAULT_ESTIMATE_SECONDS));
  }
  if (typeof request.script !== 'string') return DEFAULT_ESTIMATE_SECONDS;
  const settings = request.voice_settings as { speed?: unknown } | null | undefined;
  const speed = typeof settings?.speed === 'number' && settings.speed > 0 ? settings.speed : 1;
  const seconds = ((countWords(request.script) / WORDS_PER_MINUTE) * 60) / speed;
  return Math.max(1, Math.round(seconds));
}

/**
 * The entry's seconds and whether they are measured: a direct entry whose script was synthesised
 * by text to speech (`spoken`: speech key → seconds of audio) takes that exact length (rounded up
 * to whole seconds) instead of the words-per-minute estimate.
 */
export function estimateFor(entry: ResolvedEntry, spoken?: ReadonlyMap<string, number>): { seconds: number; measured: boolean } {
  if (spoken && spoken.size > 0 && entry.mode === 'direct') {
    const key = entrySpeechKey(entry);
    const seconds = key === undefined ? undefined : spoken.get(key);
    if (seconds !== undefined) return { seconds: Math.max(1, Math.ceil(seconds - 1e-9)), measured: true };
  }
  return { seconds: estimateSeconds(entry), measured: false };
}
