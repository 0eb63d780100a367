import type { ResolvedEntry } from '../manifest/types.js';
import type { Change } from './plan.js';
import { SOURCE_FIELD } from './fingerprint.js';

/**
 * What localization costs (API.md §13, pay-as-you-go): translations bill per second of output, one
 * charge per language, by mode. Kept apart from the render price table so it merges with the
 * project-wide `pricing:` table once that exists (these become its `translation_*` rows).
 */
export const TRANSLATION_RATES_USD = {
  /** `audio_only: true` (speed mode, no lip-sync). */
  audio_only: 0.0167,
  /** `mode: speed` (default), lip-sync. */
  speed: 0.0333,
  /** `mode: precision`, lip-sync. */
  precision: 0.0667,
} as const;

export type TranslationRate = keyof typeof TRANSLATION_RATES_USD;

/** The rate a `translate` locale's request is billed at. */
export function translationRate(entry: ResolvedEntry): TranslationRate {
  if (entry.request['mode'] === 'precision') return 'precision';
  return entry.request['translate_audio_only'] === true ? 'audio_only' : 'speed';
}

/** Estimated dollars a change spends on a translation (0 for everything else, or when it translates nothing). */
export function translationCost(change: Change): number {
  const entry = change.entry;
  if (entry?.mode !== 'translate' || !change.render) return 0;
  return TRANSLATION_RATES_USD[translationRate(entry)] * change.estimateSeconds;
}

/** True when a locale is planned because its source changed (editing the source re-translates it). */
export function sourceChanged(change: Change): boolean {
  return change.entry?.mode === 'translate' && change.changed.includes(SOURCE_FIELD);
}
