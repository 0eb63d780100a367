import { InternalError } from '../errors.js';
import type { LockEntry, Lockfile } from '../lock/types.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { estimateSeconds } from './estimate.js';
import { changedFields, fieldDigests, fingerprint, isMetadataField, isReviewField } from './fingerprint.js';
import { type Shard, shardOf, targetMatcher } from './select.js';

export type Action = 'create' | 'update' | 'metadata' | 'unchanged' | 'resume' | 'failed' | 'remove';

/** Every action, in the order summaries list them. */
export const ACTIONS: readonly Action[] = ['create', 'update', 'metadata', 'resume', 'failed', 'remove', 'unchanged'];

export interface Change {
  id: string;
  action: Action;
  /** The manifest entry (absent for `remove`). */
  entry?: ResolvedEntry;
  /** The lock entry (absent for `create`). */
  locked?: LockEntry;
  /** The entry's fingerprint now; for `remove`, the locked one. */
  fingerprint?: string;
  /** Fields whose digests differ from the lock, sorted (see `fieldDigests`). */
  changed: string[];
  /** Seconds of new video this change renders (0 when it renders nothing new). */
  estimateSeconds: number;
  /**
   * The build submits a new render: `create`, `update`, and `failed` when `retryFailed` is set.
   * `resume` polls what was submitted; `metadata` only rewrites the lock entry.
   */
  render: boolean;
  /** The generation a render or resume uses (for the Idempotency-Key and title tag). */
  generation: number;
  /**
   * Agent entries whose create request is unchanged but whose `revisions`/`approved` changed: the
   * build sends the new messages into `locked.session_id` instead of creating a new session.
   */
  continueSession?: boolean;
}

export type Summary = { [A in Action]: number } & {
  /** Seconds of new video the plan renders. */
  estimateSeconds: number;
  /** Videos the plan renders (changes with `render`). */
  renders: number;
};

export interface Plan {
  /** Sorted by id. */
  changes: Change[];
  summary: Summary;
}

export interface PlanOptions {
  /** Ids or globs (`*`, `?`); only matching entries and lock ids are planned. */
  targets?: string[];
  /** Only ids in shard `index` of `count` (1-based, see `shardOf`). */
  shard?: Shard;
  /** Render `failed` entries again (they stay `failed`, with `render: true`). */
  retryFailed?: boolean;
}

const OPEN: ReadonlySet<string> = new Set(['submitted', 'awaiting_review']);

function diffEntry(entry: ResolvedEntry, fp: string, locked: LockEntry | undefined, options: PlanOptions): Change {
  const id = entry.id;
  if (!locked) {
    return { id, action: 'create', entry, fingerprint: fp, changed: [], estimateSeconds: estimateSeconds(entry), render: true, generation: 1 };
  }
  const changed = changedFields(fieldDigests(entry), locked.fields ?? {});
  const base = { id, entry, locked, fingerprint: fp, changed };
  const generation = locked.generation ?? 1;
  const rerender = (action: 'update' | 'failed', extra: Partial<Change> = {}): Change => ({
    ...base, action, estimateSeconds: estimateSeconds(entry), render: true, generation: generation + 1, ...extra,
  });

  if (locked.fingerprint !== fp || locked.mode !== entry.mode) return rerender('update');

  const review = changed.some(isReviewField) && changed.every((f) => isReviewField(f) || isMetadataField(f));
  if (OPEN.has(locked.status)) {
    return { ...base, action: 'resume', estimateSeconds: 0, render: false, generation, ...(review ? { continueSession: true } : {}) };
  }
  if (locked.status === 'failed') {
    if (options.retryFailed) return rerender('failed');
    return { ...base, action: 'failed', estimateSeconds: 0, render: false, generation };
  }
  if (review) return rerender('update', { continueSession: true });
  if (changed.length > 0) return { ...base, action: 'metadata', estimateSeconds: 0, render: false, generation };
  return { ...base, action: 'unchanged', estimateSeconds: 0, render: false, generation };
}

/**
 * Compare the entries of the manifests with the lock and decide, for every id, what a build does.
 * Pure and synchronous: no filesystem, no network, no clock. Changes are sorted by id.
 */
export function plan(entries: readonly ResolvedEntry[], lock: Lockfile, options: PlanOptions = {}): Plan {
  const selected = targetMatcher(options.targets);
  const shard = options.shard;
  const include = (id: string): boolean => selected(id) && (!shard || shardOf(id, shard.count) === shard.index);

  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) throw new InternalError(`plan() got two entries with the id "${entry.id}".`);
    seen.add(entry.id);
    if (!include(entry.id)) continue;
    changes.push(diffEntry(entry, fingerprint(entry), lock.videos[entry.id], options));
  }
  for (const [id, locked] of Object.entries(lock.videos)) {
    if (seen.has(id) || !include(id)) continue;
    changes.push({
      id, action: 'remove', locked, fingerprint: locked.fingerprint, changed: [], estimateSeconds: 0, render: false,
      generation: locked.generation ?? 1,
    });
  }
  changes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { changes, summary: summarize(changes) };
}

export function summarize(changes: readonly Change[]): Summary {
  const summary: Summary = {
    create: 0, update: 0, metadata: 0, unchanged: 0, resume: 0, failed: 0, remove: 0, estimateSeconds: 0, renders: 0,
  };
  for (const change of changes) {
    summary[change.action] += 1;
    summary.estimateSeconds += change.estimateSeconds;
    if (change.render) summary.renders += 1;
  }
  return summary;
}

/**
 * Whether a build would do anything: everything but `unchanged`, and `failed` entries that are not
 * being retried (they need attention, but a build leaves them alone). Drives `--detailed-exitcode`.
 */
export function hasChanges(p: Plan): boolean {
  return p.changes.some((c) => c.action !== 'unchanged' && (c.action !== 'failed' || c.render));
}

/**
 * The lock entry after a `metadata` change has been applied: the same render, with the current
 * field digests, so that the change is not reported again on the next plan.
 */
export function withCurrentFields(locked: LockEntry, entry: ResolvedEntry, updatedAt: string): LockEntry {
  return { ...locked, fields: fieldDigests(entry), updated_at: updatedAt };
}
