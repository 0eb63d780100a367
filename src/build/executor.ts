import pLimit from 'p-limit';
import { CancelledError, ReelError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { Session, Video } from '../heygen/types.js';
import type { LockEntry, LockStore } from '../lock/index.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { type Change, fieldDigests, pausedForReview, type Plan, textFields, withCurrentFields } from '../plan/index.js';
import { findSession, findVideoByTag } from './adopt.js';
import { awaitSession, stopOldSession, unconfirmed } from './agent-session.js';
import { AssetUploader, substitutePlaceholders } from './assets.js';
import { TransferError, UrlExpiredError } from './download.js';
import type { Emit, JobResult } from './events.js';
import { idempotencyKey, taggedTitle, titleTag } from './identity.js';
import { DEFAULT_PRICING, type Pricing, priceOf, productOf, roundCost } from '../plan/cost.js';
import { downloadOutputs, findMissingOutputs, removeOutputs } from './outputs.js';
import { pause, type PollSchedule, StatusPoller } from './poller.js';
import { iso, isoFromUnix, recordFailure } from './records.js';

/**
 * Scheduling and the render lifecycle of a build: which jobs run when (render slots, download
 * slots), and each render from its durable intent through submit or adoption, resume and polling
 * to completion. The agent chat protocol lives in agent-session.ts, files on disk in outputs.ts.
 */

/** HeyGen's concurrent job limit on Pay-As-You-Go; the default of `--concurrency`. */
export const DEFAULT_CONCURRENCY = 10;
/** Downloads run outside the render slots (the file host is not HeyGen's job queue). */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;
/** After this long, HeyGen no longer replays an Idempotency-Key (24 h, with a margin). */
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
  private readonly uploader: AssetUploader;
  private readonly slots: ReturnType<typeof pLimit>;
  /** Jobs admitted at once: those in a slot plus as many prepared (intent written) and waiting. */
  private readonly ahead: ReturnType<typeof pLimit>;
  private readonly downloads: ReturnType<typeof pLimit>;
  private readonly o: ExecutorOptions;
  /** Every agent session the lock held at the start or this run adopted: never adopted again. */
  private readonly knownSessions: Set<string>;
  /** video id → entry id, for status events. */
  private readonly byVideo = new Map<string, string>();
  /** asset sha256 → entry id that asked for it, for upload events. */
  private readonly uploading = new Map<string, string>();

  constructor(options: ExecutorOptions) {
    this.o = options;
    this.knownSessions = new Set(Object.values(options.store.data.videos).flatMap((v) => (v.session_id ? [v.session_id] : [])));
    this.slots = pLimit(Math.max(1, options.concurrency));
    this.ahead = pLimit(Math.max(1, options.concurrency) * 2);
    this.downloads = pLimit(options.downloadConcurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY);
    this.poller = new StatusPoller(options.client, options.schedule, options.signal, (videoId, status) => {
      const id = this.byVideo.get(videoId);
      if (id) options.emit({ type: 'status', id, status });
    });
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
        id: change.id, action: 'failed', result: 'skipped', ms: 0,
        code: change.locked?.failure?.code, message: 'failed earlier; run with --retry-failed to render it again',
      });
    }
    for (const change of plan.changes.filter(pausedForReview)) {
      this.finish({
        id: change.id, action: 'resume', result: 'awaiting_review', ms: 0, sessionId: change.locked?.session_id,
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
    // Resumes first: they already hold a place in HeyGen's queue.
    for (const change of [...resumes, ...renders]) jobs.push(this.renderJob(change));
    for (const change of missing) jobs.push(this.downloadOnly(change));
    await Promise.all(jobs);
    return { results: this.results, cancelled: this.o.signal.aborted, polls: this.poller.polls };
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
    let slotJob: JobResult | undefined;
    let rendered: Rendered | undefined;
    return this.ahead(async () => {
      // Uploads and the durable intent happen while the job waits for a slot, so that when a slot
      // frees the create leaves at once instead of after an fsync.
      let prepared: Prepared | undefined;
      const entry = change.entry;
      const continues = change.continueSession === true && change.locked?.session_id !== undefined;
      const fresh = !continues && (change.render || !(change.locked?.video_id || change.locked?.session_id));
      if (entry && fresh && !this.o.signal.aborted) {
        try {
          prepared = await this.prepare(change, entry, change.action === 'resume' ? change.locked : undefined);
        } catch (error) {
          slotJob = this.failure(change.id, change.action, started, error);
          return;
        }
      }
      await this.slots(async () => {
        if (this.o.signal.aborted) {
          if (prepared) this.rollback(change);
          slotJob = { id: change.id, action: change.action, result: 'cancelled', ms: 0 };
          return;
        }
        try {
          const outcome = await this.render(change, started, prepared);
          if ('result' in outcome) slotJob = outcome;
          else rendered = outcome;
        } catch (error) {
          slotJob = this.failure(change.id, change.action, started, error);
        }
      });
    }).then(async () => {
      if (slotJob) {
        this.finish(slotJob);
        return;
      }
      if (!rendered || !change.entry) return;
      const done = rendered;
      const entry = change.entry;
      await this.guard(change.id, change.action, started, () =>
        this.downloads(async () => {
          const described = await this.describeCompleted(entry, done.lock);
          if (!this.o.download) {
            return { id: change.id, action: change.action, result: 'completed', ms: Date.now() - started, videoId: done.lock.video_id };
          }
          return downloadOutputs(this.o, entry, described.lock, described.video, change.action, started);
        }),
      );
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
        : await this.await(change, entry, locked, Date.parse(locked.submitted_at ?? '') || started, false, started);
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
    const text = textFields(entry);
    if (Object.keys(text).length > 0) out.text = text;
    if (entry.mode === 'direct') out.idempotency_key = key;
    // HeyGen answers the same key with the same video: the lock says whose render this is.
    if (change.sharedWith !== undefined) out.shared_with = change.sharedWith;
    return out;
  }

  /** The id that scopes keys and title tags when renders are not shared, else undefined. */
  private scope(id: string): string | undefined {
    return this.o.shareRenders === false ? id : undefined;
  }

  private async submit(change: Change, entry: ResolvedEntry, previous: LockEntry | undefined, started: number, prepared?: Prepared): Promise<LockEntry | JobResult> {
    const { store, emit, client } = this.o;
    const { body, lock: intent } = prepared ?? (await this.prepare(change, entry, previous));
    let lock = intent;
    const since = Math.floor(Date.parse(lock.submitted_at ?? iso()) / 1000);
    emit({ type: 'submit', id: entry.id, mode: entry.mode });

    if (entry.mode === 'direct') {
      const tag = this.o.titleTag ? titleTag(lock.fingerprint, lock.generation, this.scope(entry.id)) : undefined;
      const request = { ...body, title: taggedTitle(body.title, entry.id, tag) };
      // Past HeyGen's replay window the key no longer protects us; the title tag still does.
      if (previous && tag && Date.now() - Date.parse(previous.submitted_at ?? '') > REPLAY_WINDOW_MS) {
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

    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    // Sessions the lock knew when the build began (including this entry's earlier generations,
    // which its intent has since replaced) or that this run adopted belong to someone already.
    const claimed = this.knownSessions;
    if (previous && !previous.session_id) {
      // A create may have left before reel died: agent sessions have no idempotency, so look first,
      // and never create again on a guess — only on the user's word (--recreate-unconfirmed).
      const found = await this.findSessionPatiently(prompt, since, claimed);
      if (found.kind === 'found') return this.adoptSession(entry.id, lock, found.value, 'session');
      if (found.kind === 'error') return this.unknown(change, `cannot list agent sessions to reconcile: ${found.message}`, started);
      if (!this.o.recreateUnconfirmed) {
        return this.unconfirmedSession(change, 'an earlier build may have created its agent session, and no session with its prompt is listed', started);
      }
      emit({ type: 'warning', id: entry.id, message: 'no session with its prompt is listed; creating a new one as --recreate-unconfirmed asks (if the earlier one exists after all, both are billed)' });
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
    const found = await this.findSessionPatiently(prompt, since, claimed);
    if (found.kind === 'found') return this.adoptSession(entry.id, lock, found.value, 'session');
    if (found.kind === 'error') return this.unknown(change, `${outcome.message}; cannot list agent sessions to reconcile: ${found.message}`, started);
    return this.unconfirmedSession(change, `${outcome.message}, and no session with its prompt is listed yet`, started);
  }

  /**
   * Lists sessions for a lost create, and again after a pause or two when nothing matches: HeyGen
   * does not promise that a new session is listed at once.
   */
  private async findSessionPatiently(prompt: string, since: number, claimed: ReadonlySet<string>): ReturnType<typeof findSession> {
    const { schedule, signal, client } = this.o;
    const waits = [schedule.firstMs * 2, schedule.maxMs * 2];
    for (let round = 0; ; round += 1) {
      const found = await findSession(client, prompt, since, claimed);
      if (found.kind !== 'none' || round >= waits.length) return found;
      await pause(waits[round] as number, signal);
    }
  }

  /** An agent create that may exist: the intent stays in the lock, the next build lists again. */
  private unconfirmedSession(change: Change, why: string, started: number): JobResult {
    return {
      id: change.id, action: change.action, result: 'unknown', ms: Date.now() - started, code: 'unconfirmed_session',
      message:
        `${why}; not created again, so as not to pay twice — the next \`reel build\` lists sessions again and adopts it. ` +
        `If you are sure no session was created (check the HeyGen dashboard), run \`reel build --target ${change.id} --recreate-unconfirmed\` to create it anew`,
    };
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
      return { id: change.id, action: change.action, result: 'failed', ms: Date.now() - started, code: outcome.code, message: `${message}; nothing was recorded, the next build tries again` };
    }
    return this.recordFailure(change, lock, outcome.code, message, started);
  }

  private unknown(change: Change, message: string, started: number): JobResult {
    return {
      id: change.id, action: change.action, result: 'unknown', ms: Date.now() - started, code: 'ambiguous_create',
      message: `${message}; could not confirm whether HeyGen created it — the next build reconciles before creating again`,
    };
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
          return unconfirmed(this.o.store, change, current, started, `video ${videoId} (HeyGen does not find it, but its agent session ${current.session_id} still lists it or cannot be read)`, 'not_found');
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

  // ---- downloads ---------------------------------------------------------------------------------

  private downloadOnly(change: Change): Promise<void> {
    const started = Date.now();
    const entry = change.entry as ResolvedEntry;
    const locked = change.locked as LockEntry;
    return this.guard(change.id, 'download', started, () =>
      this.downloads(() => {
        if (this.o.signal.aborted) return Promise.resolve<JobResult>({ id: change.id, action: 'download', result: 'cancelled', ms: 0 });
        const current = this.o.store.data.videos[change.id] ?? locked;
        return downloadOutputs(this.o, entry, current, undefined, 'download', started);
      }),
    );
  }
}

