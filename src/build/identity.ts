import { sha256 } from '../util/hash.js';

/**
 * How a render is recognised again after its create answer was lost: an Idempotency-Key that HeyGen
 * replays for 24 h, and a tag in the title that `GET /v3/videos?title=` finds forever. Both derive
 * from the entry's fingerprint and a generation that changes only on an intentional re-render, so
 * a retried or resumed create is the same logical request, never a new one.
 */

/** Length of the fingerprint prefix in the Idempotency-Key (HeyGen allows up to 255 chars). */
const KEY_PREFIX_HEX = 32;
/** Length of the fingerprint prefix in the title tag: short for the dashboard, unique enough. */
const TAG_PREFIX_HEX = 10;

/**
 * `reel-<fingerprint prefix>-g<generation>`; fits `^[A-Za-z0-9_\-:.]{1,255}$`. With `scope` (an
 * entry id, when `share_renders: false`) a hash of it is appended, so that identical requests of
 * two entries are two renders instead of one.
 */
export function idempotencyKey(fingerprint: string, generation: number, scope?: string): string {
  return `reel-${fingerprint.slice(0, KEY_PREFIX_HEX)}-g${generation}${scope === undefined ? '' : `-e${sha256(scope).slice(0, 12)}`}`;
}

/** `[reel:<10 hex>-g<generation>]`, appended to the title of direct videos. */
export function titleTag(fingerprint: string, generation: number, scope?: string): string {
  return `[reel:${fingerprint.slice(0, TAG_PREFIX_HEX)}-g${generation}${scope === undefined ? '' : `-e${sha256(scope).slice(0, 6)}`}]`;
}

/**
 * The title reel sends: the manifest's title (or the entry id when there is none), followed by the
 * tag unless `title_tag: false`.
 */
export function taggedTitle(title: unknown, id: string, tag: string | undefined): string {
  const base = typeof title === 'string' && title.trim() !== '' ? title : id;
  return tag ? `${base} ${tag}` : base;
}
