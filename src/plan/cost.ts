import type { ResolvedEntry } from '../manifest/types.js';

/**
 * What a render costs: HeyGen bills per second of output, by product and engine (API.md §13). Pure
 * data and arithmetic; the rates come from `pricing:` in reel.config.yaml or the defaults below.
 */

/** The priced products reel can tell apart from a request. */
export type Product =
  | 'avatar_v'
  | 'avatar_iv'
  | 'avatar_iv_photo'
  | 'avatar_iii'
  | 'avatar_iii_photo'
  | 'video_agent'
  | 'cinematic_avatar'
  | 'translation'
  | 'translation_audio_only'
  | 'translation_precision';

export const PRODUCTS: readonly Product[] = [
  'avatar_v',
  'avatar_iv',
  'avatar_iv_photo',
  'avatar_iii',
  'avatar_iii_photo',
  'video_agent',
  'cinematic_avatar',
  'translation',
  'translation_audio_only',
  'translation_precision',
];

/** `usd`: pay-as-you-go dollars; `credits`: an Enterprise contract's credits. */
export type PriceUnit = 'usd' | 'credits';

export interface Pricing {
  unit: PriceUnit;
  /** Per second of output, except `cinematic_avatar` (per video, flat). */
  rates: Record<Product, number>;
}

/**
 * HeyGen's pay-as-you-go rates in dollars (API.md §13: developers.heygen.com/docs/pricing, as of
 * the contract copy of 2026-07-21; docs/cost.md). Where copies of the page disagree, the
 * higher rate is used, so an estimate errs towards caution: Avatar III photo avatars at $0.0433.
 * Translations (one charge per output language): `translation` is speed mode with lip-sync,
 * `translation_audio_only` speed mode without it, `translation_precision` precision mode.
 */
export const DEFAULT_USD_RATES: Readonly<Record<Product, number>> = {
  avatar_v: 0.0667,
  avatar_iv: 0.0667,
  avatar_iv_photo: 0.05,
  avatar_iii: 0.0167,
  avatar_iii_photo: 0.0433,
  video_agent: 0.0333,
  cinematic_avatar: 7,
  translation: 0.0333,
  translation_audio_only: 0.0167,
  translation_precision: 0.0667,
};

/**
 * Enterprise credits per second (same page family, API.md §13). Cinematic avatars have no credit
 * rate there: a contract that uses them should set it.
 */
export const DEFAULT_CREDIT_RATES: Readonly<Record<Product, number>> = {
  avatar_v: 0.1,
  avatar_iv: 0.1,
  avatar_iv_photo: 0.1,
  avatar_iii: 0.0033,
  avatar_iii_photo: 0.0033,
  video_agent: 0.0667,
  cinematic_avatar: 70,
  translation: 0.05,
  translation_audio_only: 0.05,
  translation_precision: 0.1,
};

export const DEFAULT_PRICING: Pricing = { unit: 'usd', rates: { ...DEFAULT_USD_RATES } };

/** `pricing:` as written in reel.config.yaml: a unit and any rates that differ from the defaults. */
export type PricingConfig = { unit?: PriceUnit } & Partial<Record<Product, number>>;

/** The price table for a config: its rates over the defaults of its unit. */
export function resolvePricing(config: PricingConfig | undefined): Pricing {
  const unit = config?.unit ?? 'usd';
  const rates = { ...(unit === 'credits' ? DEFAULT_CREDIT_RATES : DEFAULT_USD_RATES) };
  for (const product of PRODUCTS) {
    const rate = config?.[product];
    if (typeof rate === 'number') rates[product] = rate;
  }
  return { unit, rates };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/**
 * The product an entry's render is billed as. Whether an `avatar` look is a photo avatar is only
 * known to HeyGen's catalog, so looks are priced as digital twins (the dearer rate of the engine).
 */
export function productOf(entry: ResolvedEntry): Product {
  if (entry.mode === 'agent') return 'video_agent';
  const request = entry.request;
  if (entry.mode === 'translate') {
    if (request['mode'] === 'precision') return 'translation_precision';
    return request['translate_audio_only'] === true ? 'translation_audio_only' : 'translation';
  }
  const type = str(request.type) ?? 'avatar';
  if (type === 'cinematic_avatar') return 'cinematic_avatar';
  if (type === 'image') return 'avatar_iv_photo';
  const engine = str(obj(request.engine)?.type) ?? 'avatar_iv';
  if (engine === 'avatar_v') return 'avatar_v';
  if (engine === 'avatar_iii') return 'avatar_iii';
  return 'avatar_iv';
}

/** Cost of rendering `seconds` of `product`, in the pricing's unit; 0 seconds cost nothing. */
export function priceOf(product: Product, seconds: number, pricing: Pricing): number {
  if (seconds <= 0) return 0;
  const rate = pricing.rates[product];
  return product === 'cinematic_avatar' ? rate : rate * seconds;
}

/** "$1.23" or "12.5 credits"; small dollar amounts keep a cent ("<$0.01" below it). */
export function formatCost(amount: number, unit: PriceUnit): string {
  if (unit === 'credits') {
    const rounded = amount >= 100 ? Math.round(amount) : Math.round(amount * 10) / 10;
    return `${rounded} credit${rounded === 1 ? '' : 's'}`;
  }
  if (amount > 0 && amount < 0.005) return '<$0.01';
  return `$${amount.toFixed(2)}`;
}

/** A cost rounded for JSON documents: cents for dollars, hundredths for credits. */
export function roundCost(amount: number): number {
  return Math.round(amount * 100) / 100;
}
