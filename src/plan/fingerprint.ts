import type { ResolvedEntry } from '../manifest/types.js';
import { canonicalJson, sortKeys } from '../util/canonical.js';
import { sha256 } from '../util/hash.js';

/**
 * Bumped whenever the fingerprint's payload changes shape, so that every entry of an old lock reads
 * as `update` rather than silently matching (or silently mismatching) a new scheme.
 */
export const FINGERPRINT_VERSION = 1;

/** Request fields that do not change the rendered video: changing them is a `metadata` change. */
export const METADATA_FIELDS = ['title', 'callback_url', 'callback_id'] as const;

/**
 * Agent review-flow fields. They are messages sent into an existing session, not part of the create
 * request, so they are tracked by digest but kept out of the fingerprint: adding a revision continues
 * the session instead of starting a new one.
 */
export const REVIEW_FIELDS = ['revisions', 'approved'] as const;

/** Names of output settings in `fieldDigests` (they change where reel writes, not what HeyGen renders). */
export const OUTPUT_FIELD_PREFIX = 'output.';

/** The `fieldDigests` name of a `translate` locale's source fingerprint. */
export const SOURCE_FIELD = 'source';

/** The length of the fingerprint prefix shown to people. */
export const SHORT_FINGERPRINT = 12;

const DIGEST_LENGTH = 16;
const metadata = new Set<string>(METADATA_FIELDS);
/** Fingerprints handed in by primeFingerprint (see there). */
const primed = new WeakMap<ResolvedEntry, string>();

/** A field of `fieldDigests` that does not touch the rendered video (metadata or output settings). */
export function isMetadataField(name: string): boolean {
  return metadata.has(name) || name.startsWith(OUTPUT_FIELD_PREFIX);
}

/** A field of `fieldDigests` that belongs to the agent review flow. */
export function isReviewField(name: string): boolean {
  return (REVIEW_FIELDS as readonly string[]).includes(name);
}

/**
 * What the fingerprint hashes: the request without metadata fields, the mode and the format
 * version. Exposed so `reel explain` and tests can show exactly what is hashed.
 */
export function fingerprintPayload(entry: ResolvedEntry): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.request)) {
    if (!metadata.has(key)) request[key] = value;
  }
  return withSource({ format: FINGERPRINT_VERSION, mode: entry.mode, request }, entry);
}

/**
 * A `translate` locale also hashes its source's fingerprint: editing the source re-translates it.
 * Other entries' payloads are unchanged, so their fingerprints (and locks) stay valid.
 */
function withSource<T extends Record<string, unknown>>(payload: T, entry: ResolvedEntry): T {
  if (entry.mode === 'translate') (payload as Record<string, unknown>).source = entry.locale?.sourceFingerprint ?? '';
  return payload;
}

/**
 * The identity of what an entry renders: hex sha256 of the canonical request (sorted keys; local
 * files already replaced by placeholders that carry their content hash), the mode and the
 * fingerprint format version. Show `shortFingerprint()` to people.
 */
export function fingerprint(entry: ResolvedEntry): string {
  const remembered = primed.get(entry);
  if (remembered !== undefined) return remembered;
  // Equal to sha256(canonicalJson(fingerprintPayload(entry))), built with one sorted copy instead of two.
  const request: Record<string, unknown> = {};
  for (const key of Object.keys(entry.request).sort()) {
    const value = entry.request[key];
    if (value !== undefined && !metadata.has(key)) request[key] = sortKeys(value);
  }
  return sha256(JSON.stringify(withSource({ format: FINGERPRINT_VERSION, mode: entry.mode, request }, entry)));
}

/**
 * For caches of loaded entries (.reel/cache): hand back a fingerprint this same code computed for an
 * identical entry earlier, so a warm plan need not hash every request again. Keyed by object
 * identity: only prime entries that are never modified afterwards.
 */
export function primeFingerprint(entry: ResolvedEntry, fp: string): void {
  primed.set(entry, fp);
}

export function shortFingerprint(fp: string): string {
  return fp.slice(0, SHORT_FINGERPRINT);
}

// Most field values repeat across a project (avatar, voice, settings shared through defaults), so
// short values' digests are remembered; long ones (scripts, prompts) are almost always unique.
const MEMO_MAX_TEXT = 256;
const MEMO_MAX_SIZE = 4096;
const memo = new Map<string, string>();

function digestOfCanonical(text: string): string {
  if (text.length > MEMO_MAX_TEXT) return sha256(text).slice(0, DIGEST_LENGTH);
  let d = memo.get(text);
  if (d === undefined) {
    d = sha256(text).slice(0, DIGEST_LENGTH);
    if (memo.size >= MEMO_MAX_SIZE) memo.clear();
    memo.set(text, d);
  }
  return d;
}

/** Short digest of one value, stable across key order. */
export function digest(value: unknown): string {
  return digestOfCanonical(canonicalJson(value));
}

function collectDigests(entry: ResolvedEntry, include: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (include('mode')) out.mode = digest(entry.mode);
  // The plan names it when a source edit re-translates a locale ("source changed").
  if (entry.mode === 'translate' && include(SOURCE_FIELD)) out[SOURCE_FIELD] = digest(entry.locale?.sourceFingerprint ?? '');
  for (const [key, value] of Object.entries(entry.request)) {
    if (value !== undefined && include(key)) out[key] = digest(value);
  }
  // Agent titles are reel metadata only (the agent API has none), so they live outside the request.
  if (entry.title !== undefined && !('title' in entry.request)) out.title = digest(entry.title);
  for (const [key, value] of Object.entries(entry.output)) {
    if (value !== undefined) out[`${OUTPUT_FIELD_PREFIX}${key}`] = digest(value);
  }
  if (entry.agent) {
    if (entry.agent.revisions.length > 0) out.revisions = digest(entry.agent.revisions);
    if (entry.agent.approved) out.approved = digest(true);
  }
  return out;
}

/**
 * One short digest per top-level request field (metadata fields included), plus `mode`, the output
 * settings as `output.<name>` and, for agent entries, `revisions` and `approved`. Stored in the lock
 * so that a later plan can name the fields that changed without storing scripts twice.
 */
export function fieldDigests(entry: ResolvedEntry): Record<string, string> {
  return collectDigests(entry, () => true);
}

/** True for fields outside the fingerprint: metadata, output settings and the agent review flow. */
export function isOutsideFingerprint(name: string): boolean {
  return isMetadataField(name) || isReviewField(name);
}

/**
 * The subset of `fieldDigests` outside the fingerprint. When fingerprints match, only these can
 * differ, so the plan skips digesting the rest.
 */
export function outsideDigests(entry: ResolvedEntry): Record<string, string> {
  // Same result as collectDigests(entry, isOutsideFingerprint), without walking the whole request:
  // this runs for every entry of every plan.
  const out: Record<string, string> = {};
  for (const key of METADATA_FIELDS) {
    const value = entry.request[key];
    if (value !== undefined) out[key] = digest(value);
  }
  if (entry.title !== undefined && !('title' in entry.request)) out.title = digest(entry.title);
  for (const key in entry.output) {
    const value = entry.output[key as keyof typeof entry.output];
    if (value !== undefined) out[`${OUTPUT_FIELD_PREFIX}${key}`] = digest(value);
  }
  if (entry.agent) {
    if (entry.agent.revisions.length > 0) out.revisions = digest(entry.agent.revisions);
    if (entry.agent.approved) out.approved = digest(true);
  }
  return out;
}

/** Names of the fields whose digests differ (added, removed or changed), sorted. */
export function changedFields(now: Record<string, string>, before: Record<string, string>): string[] {
  const names = new Set([...Object.keys(now), ...Object.keys(before)]);
  return [...names].filter((name) => now[name] !== before[name]).sort();
}
