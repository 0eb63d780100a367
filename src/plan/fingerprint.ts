import type { ResolvedEntry } from '../manifest/types.js';
import { canonicalJson } from '../util/canonical.js';
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

/** The length of the fingerprint prefix shown to people. */
export const SHORT_FINGERPRINT = 12;

const DIGEST_LENGTH = 16;
const metadata = new Set<string>(METADATA_FIELDS);

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
  return { format: FINGERPRINT_VERSION, mode: entry.mode, request };
}

/**
 * The identity of what an entry renders: hex sha256 of the canonical request (sorted keys; local
 * files already replaced by placeholders that carry their content hash), the mode and the
 * fingerprint format version. Show `shortFingerprint()` to people.
 */
export function fingerprint(entry: ResolvedEntry): string {
  return sha256(canonicalJson(fingerprintPayload(entry)));
}

export function shortFingerprint(fp: string): string {
  return fp.slice(0, SHORT_FINGERPRINT);
}

/** Short digest of one value, stable across key order. */
export function digest(value: unknown): string {
  return sha256(canonicalJson(value)).slice(0, DIGEST_LENGTH);
}

/**
 * One short digest per top-level request field (metadata fields included), plus `mode`, the output
 * settings as `output.<name>` and, for agent entries, `revisions` and `approved`. Stored in the lock
 * so that a later plan can name the fields that changed without storing scripts twice.
 */
export function fieldDigests(entry: ResolvedEntry): Record<string, string> {
  const out: Record<string, string> = { mode: digest(entry.mode) };
  for (const [key, value] of Object.entries(entry.request)) {
    if (value !== undefined) out[key] = digest(value);
  }
  for (const [key, value] of Object.entries(entry.output)) {
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
