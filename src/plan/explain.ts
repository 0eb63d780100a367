import type { SourcePosition } from '../errors.js';
import type { Lockfile } from '../lock/types.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { DEFAULT_PRICING, type Pricing } from './cost.js';
import { fieldDigests, isMetadataField, isReviewField } from './fingerprint.js';
import { type Change, type PlanOptions, plan } from './plan.js';
import { type TextChange, textChanges } from './text.js';

export type FieldKind = 'render' | 'metadata' | 'review';

export interface FieldExplanation {
  name: string;
  /** Digest recorded in the lock (absent: the field was not set, or there is no lock entry). */
  before?: string;
  /** Digest now (absent: the field is not set any more). */
  after?: string;
  changed: boolean;
  /** `render` fields are in the fingerprint; `metadata` and `review` fields are not. */
  kind: FieldKind;
  /** Where the value is written now (the entry itself, `defaults`, the config or a data row). */
  source?: SourcePosition;
}

export interface Explanation {
  id: string;
  change: Change;
  fingerprint: { before?: string; after?: string };
  /** Every field known on either side; changed ones first, then by name. */
  fields: FieldExplanation[];
  /** One or two sentences: why the entry has this action and what a build does with it. */
  reason: string;
  /** The price table of the estimate. */
  pricing: Pricing;
  /** What changed in the prose since the last render; undefined when the lock kept no text. */
  text?: TextChange[];
}

export function fieldKind(name: string): FieldKind {
  if (isReviewField(name)) return 'review';
  return isMetadataField(name) ? 'metadata' : 'render';
}

function reason(change: Change, fields: FieldExplanation[]): string {
  const locked = change.locked;
  const changedNames = fields.filter((f) => f.changed).map((f) => f.name);
  const list = changedNames.join(', ');
  switch (change.action) {
    case 'create':
      return 'Not in reel.lock: a build renders it for the first time.';
    case 'update':
      if (change.continueSession && changedNames.length === 0) {
        return `The agent rendered without waiting for review, before it heard the committed revisions (the video is unreviewed): a build sends them into agent session ${locked?.session_id ?? '(unknown)'}, which renders a new video.`;
      }
      if (change.continueSession) {
        return `Only the review flow changed (${list}): a build sends the new messages into agent session ${locked?.session_id ?? '(unknown)'}, which renders a new video.`;
      }
      if (changedNames.length === 0) {
        return 'The fingerprint changed but no recorded field digest differs: the lock was written with another fingerprint format or without field digests. A build renders it again.';
      }
      return `The request changed (${list}): a build renders it again as generation ${change.generation}.`;
    case 'metadata':
      return `Only fields that do not change the video differ (${list}): a build records them in reel.lock and renders nothing.`;
    case 'unchanged':
      return `Matches reel.lock (status ${locked?.status ?? 'unknown'}): a build does nothing.`;
    case 'resume': {
      const job = locked?.video_id ? `video ${locked.video_id}` : locked?.session_id ? `agent session ${locked.session_id}` : 'its job';
      const send = change.continueSession ? ` and sends the new ${list}` : change.billed ? ' and sends the messages it still has to send' : '';
      const renders = change.billed ? ' HeyGen then renders (and bills) a video: it counts as a render.' : '';
      return `Submitted earlier (${job}) and not finished: a build polls it${send}, never submits it again.${renders}`;
    }
    case 'failed': {
      const failure = locked?.failure ? ` (${locked.failure.code}: ${locked.failure.message})` : '';
      return change.render
        ? `Failed earlier${failure}; --retry-failed renders it again as generation ${change.generation}.`
        : `Failed earlier${failure}; a build leaves it alone unless run with --retry-failed, or the entry is edited.`;
    }
    case 'remove':
      return 'In reel.lock but no manifest defines it any more: a build deletes its local files and lock entry (--prune also deletes the HeyGen video).';
  }
}

/**
 * Why `id` is in the plan: its action, the fields whose digests differ from the lock and where each
 * is written. Undefined when neither a manifest nor the lock knows the id. Pure.
 */
export function explain(id: string, entries: readonly ResolvedEntry[], lock: Lockfile, options: Omit<PlanOptions, 'targets' | 'shard'> = {}): Explanation | undefined {
  const entry = entries.find((e) => e.id === id);
  const lockEntry = lock.videos[id];
  if (!entry && !lockEntry) return undefined;
  const only: Lockfile = { ...lock, videos: lockEntry ? { [id]: lockEntry } : {} };
  const change = plan(entry ? [entry] : [], only, options).changes[0];
  if (!change) return undefined;

  const before = change.locked?.fields ?? {};
  const after = entry ? fieldDigests(entry) : {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const fields = names.map((name): FieldExplanation => {
    const field: FieldExplanation = { name, changed: before[name] !== after[name], kind: fieldKind(name) };
    if (before[name] !== undefined) field.before = before[name];
    if (after[name] !== undefined) field.after = after[name];
    const source = entry ? (entry.fieldSources[name] ?? entry.source) : undefined;
    if (source && after[name] !== undefined) field.source = source;
    return field;
  });
  // A new entry has nothing to differ from: every field is simply new, not "changed".
  if (!change.locked) for (const f of fields) f.changed = false;
  fields.sort((a, b) => Number(b.changed) - Number(a.changed) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const fingerprint: Explanation['fingerprint'] = {};
  if (change.locked) fingerprint.before = change.locked.fingerprint;
  if (entry && change.fingerprint) fingerprint.after = change.fingerprint;
  const out: Explanation = { id, change, fingerprint, fields, reason: reason(change, fields), pricing: options.pricing ?? DEFAULT_PRICING };
  const text = textChanges(entry, change.locked);
  if (text) out.text = text;
  return out;
}
