import pLimit from 'p-limit';
import { CancelledError, ReelError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { Session, Video } from '../heygen/types.js';
import type { LockEntry, LockStore } from '../lock/index.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { type Change, fieldDigests, pausedForReview, type Plan, textFields, withCurrentFields } from '../plan/index.js';
import { findSession, findVideoByTag, type Found, promptsShared, type Since } from './adopt.js';
import { awaitSession, stopOldSession, unconfirmed } from './agent-session.js';
import { AssetUploader, substitutePlaceholders } from './assets.js';
import { TransferError, UrlExpiredError } from './download.js';
import type { Emit, JobResult } from './events.js';
import { idempotencyKey, taggedTitle, titleTag } from './identity.js';
import { DEFAULT_PRICING, type Pricing, priceOf, productOf, roundCost } from '../plan/cost.js';
import { downloadOutputs, findMissingOutputs, removeOutputs } from './outputs.js';
import { pause, type PollSchedule, StatusPoller } from './poller.js';
import { iso, isoFromUnix, jobResult, recordFailure, unknownResult } from './records.js';
import { asVideo, fetchTranslationAsVideo, findTranslationByTag, translationBody, translationReads } from './translation.js';

/**
 * Scheduling and the render lifecycle of a build: which jobs run when (render slots, download
 * slots), and each render from its durable intent through submit or adoption, resume and polling
 * to completion. The agent chat protocol lives in agent-session.ts, files on disk in outputs.ts.
 */

/** HeyGen's concurrent job limit on Pay-As-You-Go; the default of `--concurrency`. */
export const DEFAULT_CONCURRENCY = 10;
/** Downloads run outside the render slots (the file host is not HeyGen's job queue). */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;
/** After this long by HeyGen's clock, HeyGen no longer replays an Idempotency-Key (24 h, with a margin). */
const REPLAY_WINDOW_MS = 23 * 3600 * 1000;
/** Refusals that concern the account, not the request: 401 key, 402 credit, 403 permission. */
const ACCOUNT_STATUSES: ReadonlySet<number> = new Set([401, 402, 403]);
/** Creates tried for one direct job when each answer is lost (same Idempotency-Key each time). */
const CREATE_ATTEMPTS = 3;

export interface ExecutorOptions {
  /** Project root: lock paths and output paths are relative to it. */
  root: string;
  plan: Plan;
  store: LockStore;
  client: HeyGenClient;
  /** Which API the ids belong to (see util/api); stored on every lock entry. */
  api: string;
  /** Absolute output directory for `<id>.mp4` when an entry sets no `output.file`. */
  outDir: string;
  download: boolean;
  prune: boolean;
  concurrency: number;
  /** Append `[reel:<fp>-g<n>]` to direct titles (config `title_tag`). */
  titleTag: boolean;
  schedule: PollSchedule;
  signal: AbortSignal;
  emit: Emit;
  downloadConcurrency?: number;
  /** Unchanged entries whose files must be downloaded again (computed when absent). */
  missing?: Change[];
  /** Sent to approve a chat session's storyboard when the entry says `approved: true`. */
  approvalMessage: string;
  /** Rates for the cost recorded with each completed render; default HeyGen's pay-as-you-go prices. */
  pricing?: Pricing;
  /**
   * `false` (`share_renders: false`): the Idempotency-Key and title tag are scoped to the entry id,
   * so entries with identical requests each get a render of their own. Default true.
   */
  shareRenders?: boolean;
  /** Set when the ids of a lock from an earlier emulator process are meaningless (`--emulator`). */
  ephemeralApi?: boolean;
  /**
   * How long one build waits for a render (from when it starts waiting) before leaving it
   * unconfirmed; absent: no deadline.
   */
  deadlines?: { directMs: number; agentMs: number };
  /** Create agent sessions anew whose earlier create could not be confirmed (`--recreate-unconfirmed`). */
  recreateUnconfirmed?: boolean;
}

export interface BuildResult {
  results: JobResult[];
  cancelled: boolean;
  /** `GET /v3/videos/statuses` requests made. */
  polls: number;
}

interface Prepared {
  /** The request with asset placeholders replaced. */
  body: Record<string, unknown>;
  /** The intent, already durable in the lock. */
  lock: LockEntry;
}

interface Rendered {
  lock: LockEntry;
  video?: Video;
}

/**
 * Apply a plan: remove, rewrite metadata, resume and render with at most `concurrency` jobs in
 * flight, download what finished, and keep the lock current throughout. Every submission is made
 * durable in the lock before anything else happens to the job, so a kill at any instant leaves a
 * lock from which the next build resumes instead of paying again.
 */
export async function runBuild(options: ExecutorOptions): Promise<BuildResult> {
  return new Executor(options).run();
}

class Executor {
  private readonly results: JobResult[] = [];
  private readonly poller: StatusPoller;
  /** Translations have their own status endpoint and vocabulary (build/translation.ts). */
  private readonly translationPoller: StatusPoller;
  /** The job of each id this build renders, so a locale can wait for its source. */
  private readonly jobs = new Map<string, Promise<void>>();
  private readonly uploader: AssetUploader;
  private readonly slots: ReturnType<typeof pLimit>;
  /** Jobs admitted at once: those in a slot plus as many prepared (intent written) and waiting. */
  private readonly ahead: ReturnType<typeof pLimit>;
  private readonly downloads: ReturnType<typeof pLimit>;
  private readonly o: ExecutorOptions;
  /** Every agent session the lock held at the start or this run adopted: never adopted again. */
  private readonly knownSessions: Set<string>;
  /** Prompts of agent requests in this build that another request shares with other settings. */
  private readonly sharedPrompts: Set<string>;
  /** video id → entry id, for status events. */
  private readonly byVideo = new Map<string, string>();
  /** asset sha256 → entry id that asked for it, for upload events. */
  private readonly uploading = new Map<string, string>();

  constructor(options: ExecutorOptions) {
    this.o = options;
    this.knownSessions = new Set(Object.values(options.store.data.videos).flatMap((v) => (v.session_id ? [v.session_id] : [])));
    this.sharedPrompts = promptsShared(
      // Only entries that may create (or reconcile) a session now: a sibling whose session the lock
      // holds is claimed already.
      options.plan.changes.flatMap((c) =>
        c.entry?.mode === 'agent' && (c.render || (c.action === 'resume' && !c.locked?.session_id)) ? [{ prompt: c.entry.request.prompt, fingerprint: c.fingerprint ?? '' }] : [],
      ),
    );
    this.slots = pLimit(Math.max(1, options.concurrency));
    this.ahead = pLimit(Math.max(1, options.concurrency) * 2);
    this.downloads = pLimit(options.downloadConcurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY);
    this.poller = new StatusPoller(options.client, options.schedule, options.signal, (videoId, status) => {
      const id = this.byVideo.get(videoId);
      if (id) options.emit({ type: 'status', id, status });
    });
    this.translationPoller = new StatusPoller(
      options.client,
      options.schedule,
      options.signal,
      (id, status) => {
        const entryId = this.byVideo.get(id);
        if (entryId) options.emit({ type: 'status', id: entryId, status });
      },
      Date.now,
      translationReads(options.client),
    );
    this.uploader = new AssetUploader(options.client, options.store, options.api, (u) =>
      options.emit({ type: 'upload', id: this.uploading.get(u.asset.sha256) ?? '', file: u.asset.relPath, asset_id: u.assetId, reused: u.reused }),
    );
  }

  async run(): Promise<BuildResult> {
    const { plan, emit } = this.o;
    const removals = plan.changes.filter((c) => c.action === 'remove');
    const metadata = plan.changes.filter((c) => c.action === 'metadata');
    const resumes = plan.changes.filter((c) => c.action === 'resume' && !pausedForReview(c));
    const renders = plan.changes.filter((c) => c.render);
    const skipped = plan.changes.filter((c) => c.action === 'failed' && !c.render);
    const missing = this.o.download ? (this.o.missing ?? (await findMissingOutputs(plan.changes, this.o.root, this.o.outDir))) : [];
    emit({
      type: 'start',
      jobs: removals.length + metadata.length + resumes.length + renders.length + missing.length,
      renders: renders.length,
      resumes: resumes.length,
      removals: removals.length,
      concurrency: this.o.concurrency,
    });

    for (const change of skipped) {
      this.finish({
        id: change.id,
        action: 'failed',
        result: 'skipped',
        ms: 0,
        code: change.locked?.failure?.code,
        message: 'failed earlier; run with --retry-failed to render it again',
      });
    }
    for (const change of plan.changes.filter(pausedForReview)) {
      this.finish({
        id: change.id,
        action: 'resume',
        result: 'awaiting_review',
        ms: 0,
        sessionId: change.locked?.session_id,
        message: `the agent is waiting for review; see \`reel review ${change.id}\``,
      });
    }
    for (const change of metadata) {
      if (!change.entry || !change.locked) continue;
      this.o.store.set(change.id, withCurrentFields(change.locked, change.entry, iso()));
      this.finish({ id: change.id, action: 'metadata', result: 'updated', ms: 0, file: change.locked.output?.path });
    }

    const jobs: Promise<void>[] = [];
    for (const change of removals) jobs.push(this.guard(change.id, 'remove', Date.now(), () => removeOutputs(this.o, change)));
    // Resumes first: they already hold a place in HeyGen's queue. Translations start once their
    // source's job (if this build has one) is over, so sources are registered first.
    const translating = (c: Change): boolean => c.entry?.mode === 'translate';
    for (const change of [...resumes, ...renders]) {
      if (translating(change)) continue;
      const job = this.renderJob(change);
      this.jobs.set(change.id, job);
      jobs.push(job);
    }
    for (const change of [...resumes, ...renders].filter(translating)) jobs.push(this.translateJob(change));
    for (const change of missing) jobs.push(this.downloadOnly(change));
    await Promise.all(jobs);
    return { results: this.results, cancelled: this.o.signal.aborted, polls: this.poller.polls + this.translationPoller.polls };
  }

  private finish(job: JobResult): void {
    this.results.push(job);
    this.o.emit({ type: 'result', job });
  }

  /** Runs a job body, turning expected failures into results; bugs propagate. */
  private async guard(id: string, action: string, started: number, body: () => Promise<JobResult | undefined>): Promise<void> {
    let job: JobResult | undefined;
    try {
      job = await body();
    } catch (error) {
      job = this.failure(id, action, started, error);
    }
    if (job) this.finish(job);
  }

  private failure(id: string, action: string, started: number, error: unknown): JobResult {
    const ms = Date.now() - started;
    if (error instanceof CancelledError || this.o.signal.aborted) return { id, action, result: 'cancelled', ms };
    if (error instanceof ReelError) return { id, action, result: 'failed', ms, code: error.code, message: error.message };
    if (error instanceof TransferError || error instanceof UrlExpiredError) {
      return { id, action, result: 'failed', ms, code: 'download_failed', message: error.message };
    }
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    if (typeof errno === 'string') return { id, action, result: 'failed', ms, code: errno, message: (error as Error).message };
    throw error;
  }

  // ---- render jobs -------------------------------------------------------------------------------

  private renderJob(change: Change): Promise<void> {
    const started = Date.now();
    const entry = change.entry;
    const continues = change.continueSession === true && change.locked?.session_id !== undefined;
    const fresh = !continues && (change.render || !(change.locked?.video_id || change.locked?.session_id));
    return this.preparedInSlot(change, started, fresh ? entry : undefined, (prepared) => this.render(change, started, prepared)).then(async (outcome) => {
      if ('result' in outcome) {
        this.finish(outcome);
        return;
      }
      if (!entry) return;
      await this.guard(change.id, change.action, started, () =>
        this.downloads(async () => {
          const described = await this.describeCompleted(entry, outcome.lock);
          if (!this.o.download) {
            return jobResult(change, started, 'completed', { videoId: outcome.lock.video_id });
          }
          return downloadOutputs(this.o, entry, described.lock, described.video, change.action, started);
        }),
      );
    });
  }

  /**
   * One job's turn in the render slots: `entry`'s uploads and durable intent are prepared while the
   * job waits (so that when a slot frees the create leaves at once instead of after an fsync), then
   * `send` runs once the job holds a slot. The order is about money: nothing reaches HeyGen before
   * the slot (the slots are HeyGen's concurrent job limit), and a build aborted while the job waited
   * gives the lock its previous entry back, so no intent is left recorded for a create that never
   * left. Without `entry` (a resume of what HeyGen already has) nothing is prepared. Returns the
   * job's result when it ended here — failed, cancelled or nothing more to do — else what `send` made.
   */
  private preparedInSlot<T extends object>(
    change: Change,
    started: number,
    entry: ResolvedEntry | undefined,
    send: (prepared: Prepared | undefined) => Promise<T | JobResult>,
  ): Promise<T | JobResult> {
    return this.ahead(async () => {
      let prepared: Prepared | undefined;
      if (entry && !this.o.signal.aborted) {
        try {
          prepared = await this.prepare(change, entry, change.action === 'resume' ? change.locked : undefined);
        } catch (error) {
          return this.failure(change.id, change.action, started, error);
        }
      }
      return this.slots(async (): Promise<T | JobResult> => {
        if (this.o.signal.aborted) {
          if (prepared) this.rollback(change);
          return { id: change.id, action: change.action, result: 'cancelled', ms: 0 };
        }
        try {
          return await send(prepared);
        } catch (error) {
          return this.failure(change.id, change.action, started, error);
        }
      });
    });
  }

  /** Submit (or resume) and wait until HeyGen is done; returns a result only when there is nothing to download. */
  private async render(change: Change, started: number, prepared?: Prepared): Promise<Rendered | JobResult> {
    const entry = change.entry;
    if (!entry) return { id: change.id, action: change.action, result: 'skipped', ms: 0 };
    const locked = change.locked;
    const resuming = change.action === 'resume' && locked !== undefined;
    const known = locked !== undefined && (locked.video_id !== undefined || locked.session_id !== undefined);
    if ((change.continueSession && locked?.session_id) || (resuming && known)) {
      this.o.emit({ type: 'resume', id: change.id, video_id: locked.video_id, session_id: locked.session_id });
      const outcome = change.continueSession
        ? await this.await(change, entry, locked, Date.now(), false, started)
        : await this.await(change, entry, locked, this.submittedHere(locked, started), false, started);
      if (this.o.ephemeralApi && 'result' in outcome && outcome.code === 'not_found') {
        // The emulator that rendered it is gone with its process: render again from scratch.
        this.o.emit({ type: 'warning', id: entry.id, message: 'unknown to this emulator (it ran in an earlier process); rendering again' });
        const fresh: Change = { ...change, action: 'create', locked: undefined, continueSession: false };
        const submitted = await this.submit(fresh, entry, undefined, started);
        if ('result' in submitted) return submitted;
        return this.await(fresh, entry, submitted, Date.now(), true, started);
      }
      return outcome;
    }
    if (change.newSession) await stopOldSession(this.o, change);
    const submitted = await this.submit(change, entry, resuming ? locked : undefined, started, prepared);
    if ('result' in submitted) return submitted;
    return this.await(change, entry, submitted, Date.now(), true, started);
  }

  /** Upload the entry's files and make the intent to create durable. */
  private async prepare(change: Change, entry: ResolvedEntry, previous: LockEntry | undefined): Promise<Prepared> {
    const { store } = this.o;
    for (const asset of entry.assets) if (!this.uploading.has(asset.sha256)) this.uploading.set(asset.sha256, entry.id);
    const ids = await this.uploader.resolve(entry.assets);
    const body = substitutePlaceholders(entry.request, ids) as Record<string, unknown>;
    // The intent is durable before the request leaves: if reel dies before the answer arrives, the
    // next build knows a create may exist and reconciles instead of creating blindly.
    const lock = this.intent(change, entry, previous);
    store.set(entry.id, lock);
    await store.commit();
    return { body, lock };
  }

  /** A prepared job cancelled before its create left: the lock gets its previous entry back. */
  private rollback(change: Change): void {
    if (change.locked) this.o.store.set(change.id, change.locked);
    else this.o.store.delete(change.id);
  }

  /** A lock entry for this change, before anything is known about the render. */
  private intent(change: Change, entry: ResolvedEntry, previous: LockEntry | undefined): LockEntry {
    const now = iso();
    // An intent of the same render whose answer never arrived keeps its key, which may be a fresh
    // one recorded after a refusal: that is the key HeyGen may have processed.
    const sameRender = previous?.status === 'submitted' && !previous.video_id && previous.fingerprint === change.fingerprint && previous.generation === change.generation;
    const key = sameRender && previous?.idempotency_key ? previous.idempotency_key : idempotencyKey(change.fingerprint ?? '', change.generation, this.scope(entry.id));
    const out: LockEntry = {
      fingerprint: change.fingerprint ?? '',
      mode: entry.mode,
      status: 'submitted',
      generation: change.generation,
      fields: fieldDigests(entry),
      updated_at: now,
      submitted_at: previous?.submitted_at ?? now,
      api: this.o.api,
    };
    // HeyGen's time of the same instant. A resumed intent keeps what its first submit recorded, or
    // nothing: HeyGen's time now is later than that submit and would hide the create from a search.
    const heygenAt = previous?.submitted_at !== undefined ? previous.submitted_at_heygen : heygenIso(this.o.client);
    if (heygenAt !== undefined) out.submitted_at_heygen = heygenAt;
    const text = textFields(entry);
    if (Object.keys(text).length > 0) out.text = text;
    if (entry.mode !== 'agent') out.idempotency_key = key;
    if (entry.locale) out.source = entry.locale.source;
    // HeyGen answers the same key with the same video: the lock says whose render this is.
    if (change.sharedWith !== undefined) out.shared_with = change.sharedWith;
    return out;
  }

  /**
   * Whether HeyGen may no longer replay the Idempotency-Key of `previous`: 24 h (less a margin)
   * have passed by HeyGen's clock since its submit. When either end is unknown (no `Date` header,
   * a lock from before `submitted_at_heygen`), it may have: the local clocks of the machine that
   * submitted and of this one can be hours apart, a search by title tag costs one request, and a
   * lapsed key trusted would cost a second render.
   */
  private mayBePastReplayWindow(previous: LockEntry): boolean {
    const submitted = heygenMs(previous.submitted_at_heygen);
    const now = this.o.client.clock.now();
    if (submitted === undefined || now === undefined) return true;
    return now - submitted > REPLAY_WINDOW_MS;
  }

  /**
   * When a resumed job was submitted, on this machine's clock (the poller counts a video's youth
   * from it): HeyGen's time since `submitted_at_heygen` when both ends are known, since the lock
   * may come from a machine whose clock was hours off; else the lock's `submitted_at`.
   */
  private submittedHere(lock: LockEntry, fallback: number): number {
    const submitted = heygenMs(lock.submitted_at_heygen);
    const now = this.o.client.clock.now();
    if (submitted !== undefined && now !== undefined) return Date.now() - (now - submitted);
    return Date.parse(lock.submitted_at ?? '') || fallback;
  }

  /** The id that scopes keys and title tags when renders are not shared, else undefined. */
  private scope(id: string): string | undefined {
    return this.o.shareRenders === false ? id : undefined;
  }

  private async submit(change: Change, entry: ResolvedEntry, previous: LockEntry | undefined, started: number, prepared?: Prepared): Promise<LockEntry | JobResult> {
    const { store, emit, client } = this.o;
    const { body, lock: intent } = prepared ?? (await this.prepare(change, entry, previous));
    let lock = intent;
    const since = heygenSince(lock);
    emit({ type: 'submit', id: entry.id, mode: entry.mode });

    if (entry.mode === 'direct') {
      const tag = this.o.titleTag ? titleTag(lock.fingerprint, lock.generation, this.scope(entry.id)) : undefined;
      const request = { ...body, title: taggedTitle(body.title, entry.id, tag) };
      // Past HeyGen's replay window the key no longer protects us; the title tag still does.
      if (previous && tag && this.mayBePastReplayWindow(previous)) {
        const found = await findVideoByTag(client, tag, since);
        if (found.kind === 'found') return this.adoptVideo(entry.id, lock, found.value.id, 'title');
      }
      for (let attempt = 1; ; attempt += 1) {
        // After a definite refusal the request goes once more under a fresh key (HeyGen may replay
        // a stored error for 24 h), made durable in the lock before it leaves.
        const { outcome } = await client.createVideoFresh(request, lock.idempotency_key ?? '', async (fresh) => {
          lock = { ...lock, idempotency_key: fresh, updated_at: iso() };
          store.set(entry.id, lock);
          await store.commit();
        });
        if (outcome.kind === 'ok') return this.adoptVideo(entry.id, lock, outcome.value.video_id);
        if (outcome.kind === 'error') return this.rejected(change, lock, outcome, started);
        // Ambiguous even after resending with the same key: look for the tagged video.
        if (tag) {
          const found = await findVideoByTag(client, tag, since);
          if (found.kind === 'found') return this.adoptVideo(entry.id, lock, found.value.id, 'title');
        }
        if (attempt >= CREATE_ATTEMPTS) return this.unknown(change, outcome.message, started);
      }
    }

    // Sessions the lock knew when the build began (including this entry's earlier generations,
    // which its intent has since replaced) or that this run adopted belong to someone already.
    const claimed = this.knownSessions;
    if (previous && !previous.session_id) {
      // A create may have left before reel died: agent sessions have no idempotency, so look first,
      // and never create again on a guess — only on the user's word (--recreate-unconfirmed).
      const found = await this.findSessionPatiently(body, since, claimed);
      if (found.kind === 'ambiguous') return this.ambiguousSession(change, started);
      if (found.kind === 'found') return this.adoptSession(entry.id, lock, found.value, 'session');
      if (found.kind === 'error') return this.unknown(change, `cannot list agent sessions to reconcile: ${found.message}`, started);
      if (!this.o.recreateUnconfirmed) {
        return this.unconfirmedSession(change, 'an earlier build may have created its agent session, and no session with its prompt is listed', started);
      }
      emit({
        type: 'warning',
        id: entry.id,
        message: 'no session with its prompt is listed; creating a new one as --recreate-unconfirmed asks (if the earlier one exists after all, both are billed)',
      });
    }
    // One create per build: a lost answer is reconciled by listing, never by creating again.
    const outcome = await client.createSession(body);
    if (outcome.kind === 'ok') {
      return this.adoptSession(entry.id, lock, {
        session_id: outcome.value.session_id,
        video_id: outcome.value.video_id ?? null,
        created_at: outcome.value.created_at,
        status: 'thinking',
      });
    }
    if (outcome.kind === 'error') return this.rejected(change, lock, outcome, started);
    const found = await this.findSessionPatiently(body, since, claimed);
    if (found.kind === 'ambiguous') return this.ambiguousSession(change, started);
    if (found.kind === 'found') return this.adoptSession(entry.id, lock, found.value, 'session');
    if (found.kind === 'error') return this.unknown(change, `${outcome.message}; cannot list agent sessions to reconcile: ${found.message}`, started);
    return this.unconfirmedSession(change, `${outcome.message}, and no session with its prompt is listed yet`, started);
  }

  /**
   * Lists sessions for a lost create, and again after a pause or two when nothing matches: HeyGen
   * does not promise that a new session is listed at once.
   */
  private async findSessionPatiently(request: Record<string, unknown>, since: Since, claimed: Set<string>): Promise<Found<Session> | { kind: 'ambiguous' }> {
    const { schedule, signal, client } = this.o;
    // Two requests of this build with one prompt look alike in a session listing: never guess.
    if (this.sharedPrompts.has(String(request.prompt))) return { kind: 'ambiguous' };
    const waits = [schedule.firstMs * 2, schedule.maxMs * 2];
    for (let round = 0; ; round += 1) {
      const found = await findSession(client, request, since, claimed);
      if (found.kind !== 'none' || round >= waits.length) return found;
      await pause(waits[round] as number, signal);
    }
  }

  /** A lost agent create whose session cannot be told from a sibling entry's: nothing adopted, nothing created. */
  private ambiguousSession(change: Change, started: number): JobResult {
    return unknownResult(
      change,
      started,
      'unconfirmed_session',
      'its create answer was lost, and another entry of this build has the same prompt with other settings (a session shows only its prompt), ' +
        'so reel cannot tell which session is whose; nothing was adopted or created again. Make the prompts differ (say, name the orientation), ' +
        `or check the sessions in HeyGen and run \`reel build --target ${change.id} --recreate-unconfirmed\``,
    );
  }

  /** An agent create that may exist: the intent stays in the lock, the next build lists again. */
  private unconfirmedSession(change: Change, why: string, started: number): JobResult {
    return unknownResult(
      change,
      started,
      'unconfirmed_session',
      `${why}; not created again, so as not to pay twice — the next \`reel build\` lists sessions again and adopts it. ` +
        `If you are sure no session was created (check the HeyGen dashboard), run \`reel build --target ${change.id} --recreate-unconfirmed\` to create it anew`,
    );
  }

  private async adoptVideo(id: string, lock: LockEntry, videoId: string, adopted?: 'title'): Promise<LockEntry> {
    const next: LockEntry = { ...lock, video_id: videoId, updated_at: iso() };
    // Durable before anything else happens to the job: a later run polls this id instead of
    // reconciling the intent. (Other jobs' creates do not wait for this write.)
    this.o.store.set(id, next);
    await this.o.store.commit();
    this.o.emit({ type: 'submitted', id, video_id: videoId, ...(adopted ? { adopted } : {}) });
    return next;
  }

  private async adoptSession(id: string, lock: LockEntry, session: Pick<Session, 'session_id' | 'video_id' | 'created_at' | 'status'>, adopted?: 'session'): Promise<LockEntry> {
    this.knownSessions.add(session.session_id);
    const next: LockEntry = { ...lock, session_id: session.session_id, updated_at: iso() };
    if (session.video_id) next.video_id = session.video_id;
    this.o.store.set(id, next);
    await this.o.store.commit();
    this.o.emit({ type: 'submitted', id, session_id: session.session_id, ...(next.video_id ? { video_id: next.video_id } : {}), ...(adopted ? { adopted } : {}) });
    return next;
  }

  private recordFailure(change: Change, lock: LockEntry, code: string, message: string, started: number): JobResult {
    return recordFailure(this.o.store, change, lock, code, message, started);
  }

  /**
   * HeyGen refused a create. A problem of the request (400, unknown avatar…) is recorded as a failed
   * render; a problem of the account (key, credit, permission, limits) is not the entry's fault:
   * the intent is withdrawn, so the next build simply tries again.
   */
  private rejected(change: Change, lock: LockEntry, outcome: { status: number; code: string; message: string; param?: string }, started: number): JobResult {
    const message = outcome.param ? `${outcome.message} (${outcome.param})` : outcome.message;
    if (ACCOUNT_STATUSES.has(outcome.status) || outcome.code === 'rate_limit_exceeded' || outcome.code === 'quota_exceeded') {
      this.rollback(change);
      return jobResult(change, started, 'failed', { code: outcome.code, message: `${message}; nothing was recorded, the next build tries again` });
    }
    return this.recordFailure(change, lock, outcome.code, message, started);
  }

  /** A direct create whose answers were all lost and whose tagged video is not listed. */
  private unknown(change: Change, message: string, started: number): JobResult {
    return unknownResult(change, started, 'ambiguous_create', `${message}; could not confirm whether HeyGen created it — the next build reconciles before creating again`);
  }

  /** Wait for a submitted job to finish rendering. */
  private async await(change: Change, entry: ResolvedEntry, lock: LockEntry, submittedAt: number, observe: boolean, started: number): Promise<Rendered | JobResult> {
    let current = lock;
    const deadlines = this.o.deadlines;
    const deadlineAt = deadlines ? Date.now() + (entry.mode === 'agent' ? deadlines.agentMs : deadlines.directMs) : Number.POSITIVE_INFINITY;
    if (current.session_id && (current.status !== 'completed' || change.continueSession)) {
      // Whatever the create answered, the session decides when a video is really rendering.
      const outcome = await awaitSession(this.o, change, entry, current, started, deadlineAt);
      if ('result' in outcome) return outcome;
      current = outcome;
    }
    const videoId = current.video_id;
    if (!videoId) return this.recordFailure(change, current, 'no_video', 'HeyGen returned no video id', started);
    this.byVideo.set(videoId, entry.id);
    const terminal = await this.poller.wait(videoId, submittedAt, observe, deadlineAt);
    if (terminal.status === 'unconfirmed') {
      return unconfirmed(this.o.store, change, current, started, `video ${videoId}`, terminal.lastStatus);
    }
    if (terminal.status === 'not_found') {
      // GET /v3/videos/{id} said 404. For an agent entry the session must agree before it is gone:
      // while it still lists the video (or cannot be read), nothing is recorded.
      if (current.session_id) {
        const listed = await this.o.client.listSessionVideos(current.session_id);
        const gone = listed.kind === 'ok' ? !listed.value.some((v) => v.id === videoId) : listed.kind === 'error' && listed.status === 404;
        if (!gone) {
          return unconfirmed(
            this.o.store,
            change,
            current,
            started,
            `video ${videoId} (HeyGen does not find it, but its agent session ${current.session_id} still lists it or cannot be read)`,
            'not_found',
          );
        }
      }
      return this.recordFailure(change, current, 'not_found', `HeyGen no longer knows video ${videoId} (deleted?); run with --retry-failed to render it again`, started);
    }
    if (terminal.status === 'failed') {
      let code = terminal.code;
      let message = terminal.message;
      if (!code || !message) {
        const got = await this.o.client.getVideo(videoId);
        if (got.kind === 'ok') {
          code = code ?? got.value.failure_code ?? undefined;
          message = message ?? got.value.failure_message ?? undefined;
        }
      }
      return this.recordFailure(change, current, code ?? 'failed', message ?? 'the render failed', started);
    }
    // The slot is freed at once; the GET that yields duration and download URLs happens after.
    const completed: LockEntry = { ...current, status: 'completed', updated_at: iso(), completed_at: iso() };
    delete completed.failure;
    this.o.store.set(entry.id, completed);
    return { lock: completed };
  }

  /** Read the finished video (duration, URLs) and record what it says. */
  private async describeCompleted(entry: ResolvedEntry, lock: LockEntry): Promise<{ lock: LockEntry; video?: Video }> {
    const videoId = lock.video_id as string;
    const got = await this.o.client.getVideo(videoId);
    const video = got.kind === 'ok' ? got.value : undefined;
    const next: LockEntry = { ...lock, updated_at: iso() };
    if (typeof video?.completed_at === 'number') next.completed_at = isoFromUnix(video.completed_at);
    if (typeof video?.duration === 'number') {
      next.duration = video.duration;
      const pricing = this.o.pricing ?? DEFAULT_PRICING;
      const product = productOf(entry);
      next.cost = { amount: roundCost(priceOf(product, video.duration, pricing)), unit: pricing.unit, product };
    }
    this.o.store.set(entry.id, next);
    this.o.emit({ type: 'rendered', id: entry.id, video_id: videoId, ...(next.duration !== undefined ? { duration: next.duration } : {}) });
    return video ? { lock: next, video } : { lock: next };
  }

  // ---- translations (docs/localization.md) --------------------------------------------------------

  /**
   * A `translate` locale: wait for its source's job in this build, then the render lifecycle with
   * a translation instead of a video — durable intent, keyed create (or adoption after a lost
   * answer), bulk polling, verified downloads of the dubbed video and its captions.
   */
  private async translateJob(change: Change): Promise<void> {
    const started = Date.now();
    const entry = change.entry as ResolvedEntry;
    const sourceId = entry.locale?.source ?? '';
    await this.jobs.get(sourceId);
    const locked = change.locked;
    const resuming = change.action === 'resume' && locked?.video_id !== undefined;
    const source = this.o.store.data.videos[sourceId];
    if (!resuming && (source?.status !== 'completed' || !source.video_id || source.fingerprint !== entry.locale?.sourceFingerprint)) {
      const why = !source ? 'has not been rendered' : source.status !== 'completed' ? `is ${source.status}` : 'is not rendered at its current version';
      this.finish({
        id: change.id,
        action: change.action,
        result: 'skipped',
        ms: 0,
        code: 'source_not_ready',
        message: `its source ${sourceId} ${why}; a build translates it once the source is rendered`,
      });
      return;
    }
    const outcome = await this.preparedInSlot(change, started, resuming ? undefined : entry, async (prepared) => {
      let lock: LockEntry;
      if (resuming && locked) {
        this.o.emit({ type: 'resume', id: change.id, video_id: locked.video_id });
        lock = locked;
      } else {
        const submitted = await this.submitTranslation(change, entry, source as LockEntry, prepared as Prepared, started);
        if ('result' in submitted) return submitted;
        lock = submitted;
      }
      return this.awaitTranslation(change, entry, lock, resuming ? this.submittedHere(lock, started) : Date.now(), !resuming, started);
    });
    if ('result' in outcome) {
      this.finish(outcome);
      return;
    }
    const done = outcome;
    await this.guard(change.id, change.action, started, () =>
      this.downloads(async () => {
        const got = await this.o.client.getTranslation(done.video_id as string);
        const next: LockEntry = { ...done, updated_at: iso() };
        if (got.kind === 'ok' && typeof got.value.duration === 'number') next.duration = got.value.duration;
        this.o.store.set(entry.id, next);
        this.o.emit({ type: 'rendered', id: entry.id, video_id: done.video_id as string, ...(next.duration !== undefined ? { duration: next.duration } : {}) });
        if (!this.o.download) return jobResult(change, started, 'completed', { videoId: done.video_id });
        const known = got.kind === 'ok' ? asVideo(got.value, entry) : undefined;
        return downloadOutputs(this.o, entry, next, known, change.action, started, () => fetchTranslationAsVideo(this.o.client, next, entry));
      }),
    );
  }

  private async submitTranslation(change: Change, entry: ResolvedEntry, source: LockEntry, prepared: Prepared, started: number): Promise<LockEntry | JobResult> {
    const { client, emit } = this.o;
    const { body, lock } = prepared;
    emit({ type: 'submit', id: entry.id, mode: entry.mode });
    const tag = this.o.titleTag ? titleTag(lock.fingerprint, lock.generation) : undefined;
    const language = String((entry.request['output_languages'] as unknown[] | undefined)?.[0] ?? '');
    const previous = change.action === 'resume' ? change.locked : undefined;
    // Past HeyGen's replay window the key no longer protects us; the title tag still does.
    if (previous && tag && this.mayBePastReplayWindow(previous)) {
      const found = await findTranslationByTag(client, tag, language);
      if (found) return this.adoptVideo(entry.id, lock, found.id, 'title');
    }
    // The source's presigned URL may have expired since it was rendered: ask for a fresh one.
    const got = await client.getVideo(source.video_id as string);
    const url = got.kind === 'ok' ? got.value.video_url : undefined;
    if (!url) {
      this.rollback(change);
      const why = got.kind === 'ok' ? 'it has no download URL' : got.kind === 'error' ? `${got.code}: ${got.message.replace(/\.$/, '')}` : got.message;
      const hint =
        this.o.ephemeralApi && got.kind === 'error' && got.status === 404
          ? `; it was rendered by an earlier --emulator process, which this one does not know — keep one emulator running (\`reel emulator\`) to build locales across runs`
          : '; nothing was recorded, the next build tries again';
      return jobResult(change, started, 'failed', { code: 'source_unavailable', message: `cannot read source video ${source.video_id}: ${why}${hint}` });
    }
    const request = translationBody(body, url, taggedTitle(body.title, entry.id, tag));
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await client.createTranslation(request, lock.idempotency_key ?? '');
      if (outcome.kind === 'ok') {
        const id = outcome.value.video_translation_ids[0];
        if (!id) return this.recordFailure(change, lock, 'no_translation', 'HeyGen returned no video translation id', started);
        return this.adoptVideo(entry.id, lock, id);
      }
      if (outcome.kind === 'error') return this.rejected(change, lock, outcome, started);
      if (tag) {
        const found = await findTranslationByTag(client, tag, language);
        if (found) return this.adoptVideo(entry.id, lock, found.id, 'title');
      }
      if (attempt >= CREATE_ATTEMPTS) return this.unknown(change, outcome.message, started);
    }
  }

  private async awaitTranslation(change: Change, entry: ResolvedEntry, lock: LockEntry, submittedAt: number, observe: boolean, started: number): Promise<LockEntry | JobResult> {
    const id = lock.video_id as string;
    this.byVideo.set(id, entry.id);
    // Translations run longer than renders (HeyGen's skills: 5–15 min, batches 30–45): the longer deadline.
    const deadlines = this.o.deadlines;
    const deadlineAt = deadlines ? Date.now() + Math.max(deadlines.directMs, deadlines.agentMs) : Number.POSITIVE_INFINITY;
    const terminal = await this.translationPoller.wait(id, submittedAt, observe, deadlineAt);
    if (terminal.status === 'unconfirmed') return unconfirmed(this.o.store, change, lock, started, `video translation ${id}`, terminal.lastStatus);
    if (terminal.status === 'not_found') {
      return this.recordFailure(change, lock, 'not_found', `HeyGen no longer knows video translation ${id} (deleted?); run with --retry-failed to translate again`, started);
    }
    if (terminal.status === 'failed') return this.recordFailure(change, lock, terminal.code ?? 'failed', terminal.message ?? 'the translation failed', started);
    const completed: LockEntry = { ...lock, status: 'completed', updated_at: iso(), completed_at: iso() };
    delete completed.failure;
    this.o.store.set(entry.id, completed);
    return completed;
  }

  // ---- downloads ---------------------------------------------------------------------------------

  private downloadOnly(change: Change): Promise<void> {
    const started = Date.now();
    const entry = change.entry as ResolvedEntry;
    const locked = change.locked as LockEntry;
    return this.guard(change.id, 'download', started, () =>
      this.downloads(() => {
        if (this.o.signal.aborted) return Promise.resolve<JobResult>({ id: change.id, action: 'download', result: 'cancelled', ms: 0 });
        const current = this.o.store.data.videos[change.id] ?? locked;
        if (entry.mode === 'translate') {
          return downloadOutputs(this.o, entry, current, undefined, 'download', started, () => fetchTranslationAsVideo(this.o.client, current, entry));
        }
        return downloadOutputs(this.o, entry, current, undefined, 'download', started);
      }),
    );
  }
}

/** HeyGen's time now as the lock records it, or undefined while HeyGen has not told it. */
function heygenIso(client: HeyGenClient): string | undefined {
  const now = client.clock.now();
  return now === undefined ? undefined : new Date(now).toISOString();
}

function heygenMs(recorded: string | undefined): number | undefined {
  const ms = recorded === undefined ? Number.NaN : Date.parse(recorded);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Where a search for the lock's lost create starts: HeyGen's Unix seconds of its submit, if known. */
function heygenSince(lock: LockEntry): Since {
  const ms = heygenMs(lock.submitted_at_heygen);
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}
