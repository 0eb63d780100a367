import { recordedApi, sameApi } from '../util/api.js';
import { stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relativePath, resolve } from '../util/path.js';
import pLimit from 'p-limit';
import { ApiError, CancelledError, ReelError } from '../errors.js';
import type { HeyGenClient, Outcome } from '../heygen/client.js';
import type { Session, Video } from '../heygen/types.js';
import type { LockEntry, LockedFile, LockStore } from '../lock/index.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { approvalHash, messageHash, nextMessage } from '../lock/messages.js';
import { storyboardLines } from '../agent/transcript.js';
import { type Change, fieldDigests, pausedForReview, type Plan, stoppable, withCurrentFields } from '../plan/index.js';
import { findSession, findVideoByTag } from './adopt.js';
import { AssetUploader, substitutePlaceholders } from './assets.js';
import { downloadTo, TransferError, UrlExpiredError } from './download.js';
import type { Emit, JobResult } from './events.js';
import { idempotencyKey, taggedTitle, titleTag } from './identity.js';
import { pause, type PollSchedule, StatusPoller } from './poller.js';

/** HeyGen's concurrent job limit on Pay-As-You-Go; the default of `--concurrency`. */
export const DEFAULT_CONCURRENCY = 10;
/** Downloads run outside the render slots (the file host is not HeyGen's job queue). */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;
/** After this long, HeyGen no longer replays an Idempotency-Key (24 h, with a margin). */
const REPLAY_WINDOW_MS = 23 * 3600 * 1000;
/** Fresh URLs fetched for one file before giving up. */
const URL_REFRESHES = 3;
/** Attempts at one URL when the transfer breaks. */
const TRANSFER_ATTEMPTS = 4;
/** Refusals that concern the account, not the request: 401 key, 402 credit, 403 permission. */
const ACCOUNT_STATUSES: ReadonlySet<number> = new Set([401, 402, 403]);
/** Polls after a message that find the session paused as before it: the message did not arrive. */
const MESSAGE_STALL_POLLS = 10;
/** Creates tried for one job when each answer is lost and reconciliation finds nothing. */
const CREATE_ATTEMPTS = 3;

export interface ExecutorOptions {
  /** Project root: lock paths and output paths are relative to it. */
  root: string;
  plan: Plan;
  store: LockStore;
  client: HeyGenClient;
  /** Which API the ids belong to (see identity.apiName); stored on every lock entry. */
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
  /** Set when the ids of a lock from an earlier emulator process are meaningless (`--emulator`). */
  ephemeralApi?: boolean;
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
    for (const change of removals) jobs.push(this.guard(change.id, 'remove', Date.now(), () => this.remove(change)));
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
          return this.downloadOutputs(entry, described.lock, described.video, change.action, started);
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
    if (change.newSession) await this.stopOldSession(change);
    const submitted = await this.submit(change, entry, resuming ? locked : undefined, started, prepared);
    if ('result' in submitted) return submitted;
    return this.await(change, entry, submitted, Date.now(), true, started);
  }

  /**
   * An agent entry starting over in a new session: stop the old one if it may still be running, so
   * that it does not go on to render (and bill) a video nobody will collect. Best effort.
   */
  private async stopOldSession(change: Change): Promise<void> {
    const old = change.locked;
    if (!old?.session_id || !stoppable(change) || this.o.ephemeralApi || !sameApi(old.api, this.o.api)) return;
    const outcome = await this.o.client.stopSession(old.session_id);
    if (outcome.kind === 'ok' || (outcome.kind === 'error' && outcome.status === 404)) {
      this.o.emit({ type: 'status', id: change.id, status: `stopped the old session ${old.session_id}` });
      return;
    }
    this.o.emit({ type: 'warning', id: change.id, message: `could not stop the old agent session ${old.session_id} (${outcome.message}); stop it in HeyGen if it still runs` });
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
    const key = idempotencyKey(change.fingerprint ?? '', change.generation);
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
    if (entry.mode === 'direct') out.idempotency_key = key;
    return out;
  }

  private async submit(change: Change, entry: ResolvedEntry, previous: LockEntry | undefined, started: number, prepared?: Prepared): Promise<LockEntry | JobResult> {
    const { emit, client } = this.o;
    const { body, lock } = prepared ?? (await this.prepare(change, entry, previous));
    const since = Math.floor(Date.parse(lock.submitted_at ?? iso()) / 1000);
    emit({ type: 'submit', id: entry.id, mode: entry.mode });

    if (entry.mode === 'direct') {
      const tag = this.o.titleTag ? titleTag(lock.fingerprint, lock.generation) : undefined;
      const request = { ...body, title: taggedTitle(body.title, entry.id, tag) };
      // Past HeyGen's replay window the key no longer protects us; the title tag still does.
      if (previous && tag && Date.now() - Date.parse(previous.submitted_at ?? '') > REPLAY_WINDOW_MS) {
        const found = await findVideoByTag(client, tag, since);
        if (found.kind === 'found') return this.adoptVideo(entry.id, lock, found.value.id, 'title');
      }
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await client.createVideo(request, lock.idempotency_key ?? '');
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
    if (previous) {
      // A create may have left before reel died: agent sessions have no idempotency, so look first.
      const found = await findSession(client, prompt, since, claimed);
      if (found.kind === 'found') return this.adoptSession(entry.id, lock, found.value, 'session');
      if (found.kind === 'error') return this.unknown(change, `cannot list agent sessions to reconcile: ${found.message}`, started);
    }
    for (let attempt = 1; ; attempt += 1) {
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
      const found = await findSession(client, prompt, since, claimed);
      if (found.kind === 'found') return this.adoptSession(entry.id, lock, found.value, 'session');
      if (found.kind === 'error' || attempt >= CREATE_ATTEMPTS) return this.unknown(change, outcome.message, started);
    }
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
    const failed: LockEntry = { ...lock, status: 'failed', failure: { code, message }, updated_at: iso() };
    delete failed.output;
    delete failed.subtitles;
    delete failed.thumbnail;
    this.o.store.set(change.id, failed);
    return {
      id: change.id, action: change.action, result: 'failed', ms: Date.now() - started, code, message,
      videoId: lock.video_id, sessionId: lock.session_id,
    };
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
    if (current.session_id && (!current.video_id || change.continueSession)) {
      const outcome = await this.awaitSession(change, entry, current, started);
      if ('result' in outcome) return outcome;
      current = outcome;
    }
    const videoId = current.video_id;
    if (!videoId) return this.recordFailure(change, current, 'no_video', 'HeyGen returned no video id', started);
    this.byVideo.set(videoId, entry.id);
    const terminal = await this.poller.wait(videoId, submittedAt, observe);
    if (terminal.status === 'not_found') {
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
    if (typeof video?.duration === 'number') next.duration = video.duration;
    this.o.store.set(entry.id, next);
    this.o.emit({ type: 'rendered', id: entry.id, video_id: videoId, ...(next.duration !== undefined ? { duration: next.duration } : {}) });
    return video ? { lock: next, video } : { lock: next };
  }

  /**
   * Poll an agent session until it has a (new) video, or stops needing us. A chat session
   * (`review: true`) that pauses gets the entry's unsent revisions, one per pause and each once,
   * then — with `approved: true` — the approval message; otherwise it is left awaiting review.
   */
  private async awaitSession(change: Change, entry: ResolvedEntry, lock: LockEntry, started: number): Promise<LockEntry | JobResult> {
    const { client, schedule, signal, store, emit } = this.o;
    const sessionId = lock.session_id as string;
    // A session continued for new revisions already made a video: wait for the next one.
    const oldVideo = change.continueSession ? lock.video_id : undefined;
    let current: LockEntry = change.continueSession ? { ...lock, fields: fieldDigests(entry), generation: change.generation } : lock;
    let checks = 0;
    let lastStatus = '';
    let failures = 0;
    /** The newest message when we last sent one: a pause counts only once the agent answered. */
    let sentAfter: string | undefined;
    /** Polls since the send that found the session paused exactly as before it. */
    let unmoved = 0;
    for (;;) {
      const outcome: Outcome<Session> = await client.getSession(sessionId);
      if (outcome.kind === 'ok') {
        failures = 0;
        const session = outcome.value;
        if (session.status !== lastStatus) {
          lastStatus = session.status;
          emit({ type: 'status', id: entry.id, status: session.status });
        }
        const newest = JSON.stringify(session.messages?.[0] ?? null);
        const answered = sentAfter === undefined || (newest !== sentAfter && session.messages?.[0]?.role !== 'user');
        if (session.video_id && session.video_id !== oldVideo) {
          const next: LockEntry = { ...current, status: 'submitted', video_id: session.video_id, updated_at: iso() };
          store.set(entry.id, next);
          await store.commit();
          return next;
        }
        if (session.status === 'failed') {
          return this.recordFailure(change, current, 'agent_failed', lastModelMessage(session, 'error') ?? 'the agent session failed', started);
        }
        const paused = session.status === 'waiting_for_input' || session.status === 'reviewing' || session.status === 'completed';
        unmoved = paused && sentAfter !== undefined && newest === sentAfter ? unmoved + 1 : 0;
        if (unmoved >= MESSAGE_STALL_POLLS) {
          // The session never saw the message (an ambiguous send that did not arrive). Its hash stays
          // recorded — sending it again could duplicate it — so a person decides, with `reel review`.
          store.set(entry.id, { ...current, status: 'awaiting_review', updated_at: iso() });
          return {
            id: entry.id, action: change.action, result: 'awaiting_review', ms: Date.now() - started, sessionId,
            message: `the agent did not take the last message (it may have been lost on the way; it is not sent again); see \`reel review ${entry.id}\``,
            storyboard: storyboardLines(session),
          };
        }
        if (paused && answered) {
          if (entry.request.mode !== 'chat') {
            if (session.status === 'completed') {
              return this.recordFailure(change, current, 'agent_failed', 'the agent session completed without a video', started);
            }
            // Generate mode should never stop to ask; report the question instead of waiting forever.
            return this.recordFailure(change, current, 'agent_needs_input', `the agent asked: ${lastModelMessage(session, 'text') ?? '(no message)'}`, started);
          }
          const message = nextMessage(current.messages_sent, entry.agent?.revisions ?? [], entry.agent?.approved === true, this.o.approvalMessage);
          if (message) {
            current = await this.sendReviewMessage(entry, current, message);
            sentAfter = newest;
            checks = 0;
            continue;
          }
          if (session.status === 'completed' && oldVideo) {
            // Nothing new to say and nothing new rendered: the earlier video stands.
            const next: LockEntry = { ...current, status: 'submitted', video_id: oldVideo, updated_at: iso() };
            store.set(entry.id, next);
            return next;
          }
          store.set(entry.id, { ...current, status: 'awaiting_review', updated_at: iso() });
          return {
            id: entry.id, action: change.action, result: 'awaiting_review', ms: Date.now() - started, sessionId,
            message: `the agent is waiting for review; see \`reel review ${entry.id}\``,
            storyboard: storyboardLines(session),
          };
        }
      } else if (outcome.kind === 'error' && outcome.status === 404) {
        return this.recordFailure(change, current, 'not_found', `HeyGen no longer knows agent session ${sessionId}`, started);
      } else if (outcome.kind === 'error' && (outcome.status === 401 || outcome.status === 403)) {
        throw new ApiError(`HeyGen refused to read session ${sessionId}: ${outcome.code}: ${outcome.message}`, outcome.status, outcome.code);
      } else if ((failures += 1) > 20) {
        throw new ApiError(`cannot read agent session ${sessionId}: ${outcome.message}`);
      }
      checks += 1;
      // Agent sessions think for many minutes, and each is polled on its own: back off further.
      const ms = checks === 1 ? schedule.firstMs : Math.min(schedule.maxMs * 2, schedule.minMs * schedule.factor ** (checks - 2));
      await pause(ms, signal);
    }
  }

  /**
   * Send one message into a session, at most once: its hash is durable in the lock before it
   * leaves (messages have no idempotency), and removed again only if HeyGen refused it outright.
   */
  private async sendReviewMessage(entry: ResolvedEntry, lock: LockEntry, next: { kind: 'revision' | 'approval'; text: string }): Promise<LockEntry> {
    const { store, client, emit } = this.o;
    const message = next.text;
    const hash = next.kind === 'approval' ? approvalHash(message) : messageHash(message);
    const marked: LockEntry = { ...lock, messages_sent: [...(lock.messages_sent ?? []), hash], updated_at: iso() };
    store.set(entry.id, marked);
    await store.commit();
    const outcome = await client.sendMessage(lock.session_id as string, { message });
    if (outcome.kind === 'error') {
      store.set(entry.id, lock);
      throw new ApiError(`sending a message to the agent session of ${entry.id} failed: ${outcome.code}: ${outcome.message}`, outcome.status, outcome.code);
    }
    if (outcome.kind === 'ambiguous') {
      emit({ type: 'warning', id: entry.id, message: `a message may not have reached the agent (${outcome.message}); it is not sent again — check with \`reel review ${entry.id}\`` });
    }
    emit({ type: 'status', id: entry.id, status: next.kind === 'approval' ? 'approved' : 'revision sent' });
    return marked;
  }

  // ---- downloads ---------------------------------------------------------------------------------

  private outputPath(entry: ResolvedEntry): string {
    return outputPath(entry, this.o.root, this.o.outDir);
  }

  private rel(path: string): string {
    return relativePath(this.o.root, path);
  }

  private async downloadOutputs(entry: ResolvedEntry, lock: LockEntry, known: Video | undefined, action: string, started: number): Promise<JobResult> {
    const videoId = lock.video_id as string;
    const dest = this.outputPath(entry);
    let video = known;
    let output: LockedFile | undefined;
    for (let refresh = 0; !output; refresh += 1) {
      if (!video) video = await this.fetchVideo(videoId);
      const wantsCaptions = typeof (entry.request.caption as { style?: unknown } | undefined)?.style === 'string';
      const url = (wantsCaptions ? video.captioned_video_url : undefined) ?? video.video_url;
      if (!url) throw new ApiError(`HeyGen reports video ${videoId} completed but gives no download URL (asset_not_available)`);
      try {
        output = await this.transfer(url, dest);
      } catch (error) {
        if (!(error instanceof UrlExpiredError) || refresh + 1 >= URL_REFRESHES) throw error;
        video = undefined;
      }
    }
    this.o.emit({ type: 'downloaded', id: entry.id, file: output.path, size: output.size, sha256: output.sha256 });
    const next: LockEntry = { ...lock, output, updated_at: iso() };
    const base = dest.replace(/\.(mp4|webm)$/, '');
    // Sidecars are best effort: a missing SRT or thumbnail is reported, never a failed build.
    const sidecars: Array<['subtitles' | 'thumbnail', string | null | undefined, string]> = [
      ['subtitles', video?.subtitle_url, `${base}.srt`],
      ['thumbnail', video?.thumbnail_url, `${base}.jpg`],
    ];
    for (const [field, url, path] of sidecars) {
      if (!url) continue;
      try {
        next[field] = await this.transfer(url, path);
      } catch (error) {
        if (error instanceof CancelledError) throw error;
        this.o.emit({ type: 'warning', id: entry.id, message: `${field} not downloaded: ${(error as Error).message}` });
      }
    }
    this.o.store.set(entry.id, next);
    return { id: entry.id, action, result: 'completed', ms: Date.now() - started, file: output.path, videoId };
  }

  private async fetchVideo(videoId: string): Promise<Video> {
    const got = await this.o.client.getVideo(videoId);
    if (got.kind === 'ok') return got.value;
    const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
    throw new ApiError(`cannot read video ${videoId}: ${detail}`, got.kind === 'error' ? got.status : undefined);
  }

  private async transfer(url: string, dest: string): Promise<LockedFile> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const file = await downloadTo(url, dest, this.o.signal);
        return { path: this.rel(dest), size: file.size, sha256: file.sha256 };
      } catch (error) {
        if (!(error instanceof TransferError) || attempt >= TRANSFER_ATTEMPTS) throw error;
        await pause(Math.min(200 * 2 ** attempt, 5000), this.o.signal);
      }
    }
  }

  private downloadOnly(change: Change): Promise<void> {
    const started = Date.now();
    const entry = change.entry as ResolvedEntry;
    const locked = change.locked as LockEntry;
    return this.guard(change.id, 'download', started, () =>
      this.downloads(() => {
        if (this.o.signal.aborted) return Promise.resolve<JobResult>({ id: change.id, action: 'download', result: 'cancelled', ms: 0 });
        const current = this.o.store.data.videos[change.id] ?? locked;
        return this.downloadOutputs(entry, current, undefined, 'download', started);
      }),
    );
  }

  // ---- removals ----------------------------------------------------------------------------------

  private async remove(change: Change): Promise<JobResult> {
    const started = Date.now();
    const locked = change.locked;
    if (!locked) return { id: change.id, action: 'remove', result: 'skipped', ms: 0 };
    let message: string | undefined;
    if (this.o.prune && locked.video_id) {
      if (!sameApi(locked.api, this.o.api)) {
        message = `not deleted remotely: built against ${recordedApi(locked.api)}, this build talks to ${this.o.api}`;
      } else {
        const outcome = await this.o.client.deleteVideo(locked.video_id);
        if (outcome.kind === 'error' && outcome.status !== 404) {
          // Keep the lock entry so that the next `--prune` tries again.
          return { id: change.id, action: 'remove', result: 'failed', ms: Date.now() - started, code: outcome.code, message: `deleting video ${locked.video_id}: ${outcome.message}` };
        }
        if (outcome.kind === 'ambiguous') {
          return { id: change.id, action: 'remove', result: 'failed', ms: Date.now() - started, code: 'ambiguous', message: outcome.message };
        }
        message = `deleted video ${locked.video_id} on HeyGen`;
      }
    }
    for (const file of [locked.output, locked.subtitles, locked.thumbnail]) {
      if (!file) continue;
      const path = resolve(this.o.root, file.path);
      // Never delete outside the project, whatever a hand-edited lock says.
      if (isAbsolute(file.path) || relativePath(this.o.root, path).startsWith('..')) continue;
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    this.o.store.delete(change.id);
    return { id: change.id, action: 'remove', result: 'removed', ms: Date.now() - started, ...(message ? { message } : {}) };
  }
}

/** Where an entry's video goes: its `output.file`, else `<outDir>/<id>.mp4` (`.webm` for webm). */
export function outputPath(entry: ResolvedEntry, root: string, outDir: string): string {
  if (entry.output.file) return resolve(root, entry.output.file);
  const ext = entry.request.output_format === 'webm' ? 'webm' : 'mp4';
  return join(outDir, `${entry.id}.${ext}`);
}

/**
 * Completed entries the plan leaves alone whose output file is missing or has another size (a fresh
 * clone, a cleaned out/): the build downloads them again, which costs a GET but no render.
 */
export async function findMissingOutputs(changes: readonly Change[], root: string, outDir: string): Promise<Change[]> {
  const out: Change[] = [];
  for (const change of changes) {
    const locked = change.locked;
    if (!change.entry || !locked || change.render) continue;
    if (change.action !== 'unchanged' && change.action !== 'metadata') continue;
    if (locked.status !== 'completed' || !locked.video_id) continue;
    const expected = outputPath(change.entry, root, outDir);
    const same = locked.output !== undefined && resolve(root, locked.output.path) === expected;
    const file = same ? await stat(expected).catch(() => undefined) : undefined;
    if (!file || file.size !== locked.output?.size) out.push(change);
  }
  return out;
}

export { messageHash } from '../lock/messages.js';

function lastModelMessage(session: Session, type: 'text' | 'error'): string | undefined {
  // Newest first.
  return (session.messages ?? []).find((m) => m.role === 'model' && m.type === type)?.content;
}

function iso(): string {
  return new Date().toISOString();
}

function isoFromUnix(seconds: number | null | undefined): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : iso();
}
