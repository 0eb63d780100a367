import type { LockEntry, Lockfile } from '../lock/types.js';
import { nextMessage, sentRevisionsStillHold } from '../lock/messages.js';
import type { DraftEntry, ResolvedEntry } from '../manifest/types.js';
import { DEFAULT_PRICING, type PriceUnit, type Pricing, type PricingConfig, priceOf, productOf, resolvePricing } from './cost.js';
import { estimateFor, estimateSeconds } from './estimate.js';
import { changedFields, fieldDigests, fingerprint, isOutsideFingerprint, isReviewField, outsideDigests } from './fingerprint.js';
import { type Shard, shardOf } from '../util/shard.js';
import { targetMatcher } from './select.js';
import { textFields } from './text.js';

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
  /**
   * Seconds of new video this change makes HeyGen render (0 when it renders nothing new). A change
   * that shares another entry's render (`sharedWith`) keeps its seconds but is not counted again.
   */
  estimateSeconds: number;
  /** The seconds are the exact length of the script's text-to-speech preview, not an estimate. */
  measured?: boolean;
  /**
   * Applying the change makes HeyGen render, and bill, a video: every `render`, and also a message
   * sent into an agent session (an approval renders; a revision may, since chat mode auto-proceeds
   * on confirmations), including one a resumed session still has to send. False for a change that
   * shares another entry's render. Budgets, totals and `--detailed-exitcode` count these.
   */
  billed: boolean;
  /** Estimated cost of what it bills, in the plan's price unit (0 when not `billed`). */
  estimateCost: number;
  /**
   * Another id of this plan whose render this one receives: the same request and generation send
   * the same Idempotency-Key, so HeyGen renders (and bills) it once.
   */
  sharedWith?: string;
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
  /**
   * Agent entries whose earlier session cannot go on: why a new session is created (the request
   * changed, or a revision already sent was edited or removed). The build stops the old session
   * first when it may still be running.
   */
  newSession?: string;
}

export type Summary = { [A in Action]: number } & {
  /** Seconds of new video the plan renders (billed changes). */
  estimateSeconds: number;
  /** Renders whose seconds are measured by a text-to-speech preview (the rest are estimates). */
  measured: number;
  /** Videos HeyGen renders and bills (changes with `billed`). */
  renders: number;
  /** Estimated cost of the plan, in `costUnit`. */
  estimateCost: number;
  costUnit: PriceUnit;
};

export interface Plan {
  /** Sorted by id, each locale right after its source (see `sourceOf`). */
  changes: Change[];
  summary: Summary;
  /** The price table the costs were estimated with (DEFAULT_PRICING when absent). */
  pricing?: Pricing;
  /** Entries marked `draft: true` (selected like changes), sorted by id: never rendered, shown as `draft: needs …`. */
  drafts?: DraftEntry[];
  /**
   * Lock records kept without a manifest entry because `reel eject --replace` replaced the entry
   * (`ejected_to`): not removed, their files stay. Sorted by id.
   */
  retained?: Array<{ id: string; ejectedTo: string }>;
}

export interface PlanOptions {
  /** Ids or globs (`*`, `?`); only matching entries and lock ids are planned. */
  targets?: string[];
  /** Only ids in shard `index` of `count` (1-based, see `shardOf`). */
  shard?: Shard;
  /** Render `failed` entries again (they stay `failed`, with `render: true`). */
  retryFailed?: boolean;
  /** Rates for `estimateCost`; default HeyGen's pay-as-you-go prices. */
  pricing?: Pricing;
  /**
   * `false` (reel.config.yaml `share_renders: false`): entries with identical requests each get a
   * render of their own instead of sharing one. Default true.
   */
  shareRenders?: boolean;
  /** The project's `draft: true` entries: listed in the plan, and their lock records (if any) kept. */
  drafts?: readonly DraftEntry[];
  /** Seconds of text-to-speech previews by speech key (`entrySpeechKey`): exact lengths for those scripts. */
  spoken?: ReadonlyMap<string, number>;
}

/** Fields outside the fingerprint whose digests differ, sorted; without building filtered copies. */
function changedOutside(now: Record<string, string>, before: Record<string, string>): string[] {
  const out: string[] = [];
  for (const name in now) if (now[name] !== before[name]) out.push(name);
  for (const name in before) if (!(name in now) && isOutsideFingerprint(name)) out.push(name);
  return out.length > 1 ? out.sort() : out;
}

/** `Change.newSession` when the create request (prompt, avatar, style…) changed. */
export const NEW_SESSION_REQUEST = 'the request changed';
/** `Change.newSession` when a revision already sent was edited, removed or reordered. */
export const NEW_SESSION_REVISED = 'a revision already sent was edited or removed';

const OPEN: ReadonlySet<string> = new Set(['submitted', 'awaiting_review']);

// Every Change is built here, so all of them share one shape (cheap to create and serialise).
function change(
  id: string,
  action: Action,
  entry: ResolvedEntry | undefined,
  locked: LockEntry | undefined,
  fp: string | undefined,
  changed: string[],
  estimate: number,
  render: boolean,
  generation: number,
  continueSession: boolean,
): Change {
  const c: Change = {
    id,
    action,
    entry,
    locked,
    fingerprint: fp,
    changed,
    estimateSeconds: estimate,
    render,
    billed: render,
    estimateCost: 0,
    generation,
  };
  if (continueSession) c.continueSession = true;
  return c;
}

/**
 * Whether a resumed agent session still has a message to send (a revision or the approval): the
 * build sends it when the session pauses, and HeyGen then renders.
 */
function resumeSends(entry: ResolvedEntry, locked: LockEntry): boolean {
  if (entry.mode !== 'agent' || !entry.agent?.review || !locked.session_id) return false;
  return nextMessage(locked.messages_sent, entry.agent.revisions, entry.agent.approved, '') !== undefined; // only whether, not what
}

/**
 * Whether a chat session rendered on its own (`unreviewed`, API.md §2.8) before the build sent the
 * entry's committed revisions: the video lacks them, so the next build sends them into the session,
 * which renders again — planned and billed like a revision added after the render.
 */
function revisionsUnheard(entry: ResolvedEntry, locked: LockEntry): boolean {
  if (locked.status !== 'completed' || !locked.unreviewed || !locked.session_id || !entry.agent?.review) return false;
  return nextMessage(locked.messages_sent, entry.agent.revisions, false, '')?.kind === 'revision';
}

function diffEntry(entry: ResolvedEntry, fp: string, locked: LockEntry | undefined, options: PlanOptions): Change {
  const c = diffOne(entry, fp, locked, options);
  if (c.render && options.spoken) {
    const { seconds, measured } = estimateFor(entry, options.spoken);
    if (measured) {
      c.estimateSeconds = seconds;
      c.measured = true;
    }
  }
  return c;
}

function diffOne(entry: ResolvedEntry, fp: string, locked: LockEntry | undefined, options: PlanOptions): Change {
  const id = entry.id;
  if (!locked) return change(id, 'create', entry, undefined, fp, [], estimateFor(entry).seconds, true, 1, false);

  const lockedFields = locked.fields ?? {};
  const generation = locked.generation ?? 1;
  if (locked.fingerprint !== fp || locked.mode !== entry.mode) {
    const changed = changedFields(fieldDigests(entry), lockedFields);
    const c = change(id, 'update', entry, locked, fp, changed, estimateFor(entry).seconds, true, generation + 1, false);
    if (entry.mode === 'agent' && locked.session_id) c.newSession = NEW_SESSION_REQUEST;
    return c;
  }
  // Equal fingerprints mean equal request fields: only fields outside the fingerprint can differ.
  const changed = changedOutside(outsideDigests(entry), lockedFields);
  const review = changed.length > 0 && changed.some(isReviewField);
  if (review && locked.session_id && entry.agent && !sentRevisionsStillHold(locked.messages_sent, entry.agent.revisions)) {
    // The session already heard a revision the manifest no longer has: its conversation cannot be
    // made to match by sending more, so the entry starts over in a new session.
    const c = change(id, 'update', entry, locked, fp, changed, estimateFor(entry).seconds, true, generation + 1, false);
    c.newSession = NEW_SESSION_REVISED;
    return c;
  }
  if (OPEN.has(locked.status)) {
    const c = change(id, 'resume', entry, locked, fp, changed, 0, false, generation, review);
    // An approval (or a revision the agent may take as one) makes the paused session render.
    if (review || (locked.status === 'submitted' && resumeSends(entry, locked))) {
      c.billed = true;
      c.estimateSeconds = estimateSeconds(entry);
    }
    return c;
  }
  if (locked.status === 'failed') {
    return options.retryFailed
      ? change(id, 'failed', entry, locked, fp, changed, estimateFor(entry).seconds, true, generation + 1, false)
      : change(id, 'failed', entry, locked, fp, changed, 0, false, generation, false);
  }
  if (review || revisionsUnheard(entry, locked)) return change(id, 'update', entry, locked, fp, changed, estimateFor(entry).seconds, true, generation + 1, true);
  return change(id, changed.length > 0 ? 'metadata' : 'unchanged', entry, locked, fp, changed, 0, false, generation, false);
}

/**
 * Compare the entries of the manifests with the lock and decide, for every id, what a build does.
 * Pure and synchronous: no filesystem, no network, no clock. Changes are sorted by id. Should two
 * entries share an id (the loader reports that as an error), the first one is planned.
 */
export function plan(entries: readonly ResolvedEntry[], lock: Lockfile, options: PlanOptions = {}): Plan {
  const selected = targetMatcher(options.targets);
  const shard = options.shard;
  // A locale goes to its source's shard: it is translated from the video that shard renders.
  const include = (id: string, source: string | undefined): boolean => selected(id) && (!shard || shardOf(source ?? id, shard.count) === shard.index);

  const changes: Change[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    // Duplicate ids are a loader diagnostic; the first one wins here so that watch can still plan.
    if (seen.has(entry.id)) continue;
    seen.add(entry.id);
    if (!include(entry.id, entry.locale?.source)) continue;
    const locked = lock.videos[entry.id];
    if (entry.locale?.awaitingProofread) {
      // Waiting for `reel l10n pull` (a loader warning says so): nothing to translate yet, and an
      // earlier translation stays as it is rather than being removed.
      if (locked) changes.push(change(entry.id, 'unchanged', entry, locked, locked.fingerprint, [], 0, false, locked.generation ?? 1, false));
      continue;
    }
    changes.push(diffEntry(entry, fingerprint(entry), locked, options));
  }
  const drafts = (options.drafts ?? []).filter((d) => include(d.id, undefined));
  // A draft is unfinished, not deleted: a record under its id is left alone until it is complete.
  const draftIds = new Set(drafts.map((d) => d.id));
  const retained: NonNullable<Plan['retained']> = [];
  for (const id in lock.videos) {
    if (seen.has(id) || draftIds.has(id) || !include(id, lock.videos[id]!.source)) continue;
    const locked = lock.videos[id]!;
    if (locked.ejected_to !== undefined) {
      // Replaced by `reel eject --replace`: what was paid for stays, files and HeyGen video alike.
      retained.push({ id, ejectedTo: locked.ejected_to });
      continue;
    }
    changes.push(change(id, 'remove', undefined, locked, locked.fingerprint, [], 0, false, locked.generation ?? 1, false));
  }
  // Locales follow their source (`welcome`, `welcome.de-de`, `welcome.fr-fr`, then `welcome-2`).
  const keys = new Map<Change, string>();
  for (const c of changes) keys.set(c, groupKey(c));
  changes.sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  if (options.shareRenders !== false) markShared(changes);
  const pricing = options.pricing ?? DEFAULT_PRICING;
  for (const c of changes) if (c.billed && c.entry) c.estimateCost = priceOf(productOf(c.entry), c.estimateSeconds, pricing);
  const out: Plan = { changes, summary: summarize(changes, pricing.unit), pricing };
  if (drafts.length > 0) out.drafts = drafts;
  if (retained.length > 0) out.retained = retained.sort((a, b) => (a.id < b.id ? -1 : 1));
  return out;
}

/** The id of the entry a change localizes, if it is a locale. */
export function sourceOf(c: Pick<Change, 'entry' | 'locked'>): string | undefined {
  return c.entry?.locale?.source ?? c.locked?.source;
}

function groupKey(c: Change): string {
  const source = sourceOf(c);
  return source === undefined ? c.id : `${source}\u0000${c.id}`;
}

/**
 * Direct renders with the same request and generation send the same Idempotency-Key, so HeyGen
 * renders one video for all of them: the first id (in order) is billed, the others share it.
 */
function markShared(changes: Change[]): void {
  const first = new Map<string, string>();
  for (const c of changes) {
    if (!c.render || !c.entry || c.entry.mode !== 'direct' || !c.fingerprint) continue;
    const key = `${c.fingerprint}:${c.generation}`;
    const owner = first.get(key);
    if (owner === undefined) {
      first.set(key, c.id);
      continue;
    }
    c.sharedWith = owner;
    c.billed = false;
  }
}

/** Whether the build stops the entry's old session before creating a new one (it may still run). */
export function stoppable(change: Change): boolean {
  return change.newSession !== undefined && (change.locked?.status === 'submitted' || change.locked?.status === 'awaiting_review');
}

export function summarize(changes: readonly Change[], costUnit: PriceUnit = 'usd'): Summary {
  const summary: Summary = {
    create: 0,
    update: 0,
    metadata: 0,
    unchanged: 0,
    resume: 0,
    failed: 0,
    remove: 0,
    estimateSeconds: 0,
    renders: 0,
    measured: 0,
    estimateCost: 0,
    costUnit,
  };
  for (const change of changes) {
    summary[change.action] += 1;
    if (!change.billed) continue;
    summary.estimateSeconds += change.estimateSeconds;
    summary.estimateCost += change.estimateCost;
    summary.renders += 1;
    if (change.measured) summary.measured += 1;
  }
  return summary;
}

/**
 * Whether a build would do anything: everything but `unchanged`, and `failed` entries that are not
 * being retried (they need attention, but a build leaves them alone). Drives `--detailed-exitcode`.
 */
export function hasChanges(p: Plan): boolean {
  return p.changes.some((c) => c.billed || (c.action !== 'unchanged' && (c.action !== 'failed' || c.render) && !awaitingReviewOnly(c)));
}

/**
 * An agent session paused for a person's review, with no revision or approval to send: a build
 * leaves it alone (`reel review` shows it) instead of polling a session that will not move.
 */
export function pausedForReview(c: Change): boolean {
  return c.action === 'resume' && c.locked?.status === 'awaiting_review' && !c.continueSession;
}

/**
 * Paused for review and not replaced by a new session either: it stays in the plan (people need to
 * see it) but is no change to apply.
 */
export function awaitingReviewOnly(c: Change): boolean {
  return pausedForReview(c) && !c.newSession;
}

/**
 * The lock entry after a `metadata` change has been applied: the same render, with the current
 * field digests, so that the change is not reported again on the next plan.
 */
export function withCurrentFields(locked: LockEntry, entry: ResolvedEntry, updatedAt: string): LockEntry {
  const text = textFields(entry);
  const out: LockEntry = { ...locked, fields: fieldDigests(entry), updated_at: updatedAt };
  if (Object.keys(text).length > 0) out.text = text;
  else delete out.text;
  return out;
}

/** The plan options reel.config.yaml decides: the price table and whether identical requests share a render. */
export function configPlanOptions(config: { pricing?: PricingConfig; share_renders?: boolean }): Pick<PlanOptions, 'pricing' | 'shareRenders'> {
  return { pricing: resolvePricing(config.pricing), shareRenders: config.share_renders !== false };
}

/** Removals a build makes without `--allow-removals`: a few, when they are a small share of the lock. */
export const REMOVAL_LIMIT = 5;
/** Share of the lock's entries (in scope) that a build removes without `--allow-removals`. */
export const REMOVAL_SHARE = 0.2;

/**
 * Why the plan's removals need an explicit `--allow-removals`, or undefined when they do not:
 * more than REMOVAL_LIMIT entries, or (two or more and) over REMOVAL_SHARE of the locked entries in
 * scope. A glob that stopped matching, or a folder moved, looks exactly like a mass removal.
 */
export function removalGuard(p: Plan): string | undefined {
  const removals = p.summary.remove;
  if (removals === 0) return undefined;
  let locked = 0;
  for (const c of p.changes) if (c.locked) locked += 1;
  const share = locked > 0 ? removals / locked : 1;
  if (removals <= REMOVAL_LIMIT && (removals < 2 || share <= REMOVAL_SHARE)) return undefined;
  const percent = Math.round(share * 100);
  return `${removals} of the ${locked} videos in reel.lock would be removed (${percent} %), with their local files`;
}
