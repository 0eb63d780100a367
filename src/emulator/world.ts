/**
 * The emulator's state and the clocks that move it: videos, agent sessions, batches, assets,
 * webhook endpoints and deliveries. Everything is scoped to the API key that created it, as an
 * account would be. Timers are tracked so `reset()` and `close()` leave nothing behind.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Catalog, Look, Style, Voice } from './catalog.js';
import { type Clock, type ClockTimer, skewed, systemClock } from './clock.js';
import { Faults } from './faults.js';
import { HttpError } from './http.js';
import { GIF, JPEG, PNG, mp4, srt } from './media.js';
import { newId } from './ids.js';
import { Translations } from './translations.js';
import { ASK_TRIGGER, FAIL_TRIGGER, agentDuration, sessionTitle, spokenText, videoDuration, type Lookup } from './videos.js';
import { isLocalUrl } from '../util/env.js';
import { type AgentPick, type AgentResources, choiceMessage, choiceResources, pickChoices } from './agent-choices.js';
import { DEFAULT_BEHAVIOURS, type Behaviours } from './behaviours.js';

type Body = Record<string, unknown>;

export interface WorldOptions {
  renderSeconds: number;
  concurrencyLimit: number;
  urlTtl: number;
  faultRate: number;
  seed: number;
  catalog: Catalog;
  retryAfterSeconds: number;
  webhookRetryMs: number;
  webhookAttempts: number;
  signatureHeader: string;
  remoteWebhooks: boolean;
  /** Credits each key starts with (one per second of video); null = unlimited. */
  credits: number | null;
  /** `wallet.remaining_balance` in dollars when `credits` is null. */
  walletUsd: number;
  /** Reject request fields the contract does not declare. */
  strict: boolean;
  /** The word a finished translation reports on GET: `completed` (spec) or `succeeded` (skills); UNCONFIRMED. */
  translationDoneStatus: string;
  /** How much agent sessions tell about their avatar, voice and script (agent-choices.ts); default `ids`. */
  agentResources?: AgentResources;
  /** How the live API behaves where the contract is unconfirmed (behaviours.ts); defaults when absent. */
  behaviours?: Behaviours;
}

export interface Failure {
  code: string;
  message: string;
}

export interface VideoRecord {
  id: string;
  owner: string;
  seq: number;
  title: string | null;
  createdAt: number;
  startAt: number;
  doneAt: number;
  failure: Failure | null;
  duration: number;
  captions: boolean;
  captionStyle: boolean;
  outputFormat: string;
  text: string;
  callbackUrl: string | null;
  callbackId: string | null;
  sessionId: string | null;
  batchId: string | null;
  deleted: boolean;
}

export type VideoStatus = 'pending' | 'processing' | 'completed' | 'failed';
export type SessionStatus = 'thinking' | 'waiting_for_input' | 'reviewing' | 'generating' | 'completed' | 'failed';

export interface Message {
  role: 'user' | 'model';
  type: 'text' | 'resource' | 'error';
  content: string;
  resource_ids: string[] | null;
  created_at: number;
}

export interface Resource {
  resource_id: string;
  resource_type: string;
  source_type: string;
  url: string | null;
  preview_url: string | null;
  thumbnail_url: string | null;
  metadata: Record<string, unknown> | null;
  created_at: number;
}

export interface SessionRecord {
  id: string;
  owner: string;
  seq: number;
  mode: 'generate' | 'chat';
  prompt: string;
  title: string;
  createdAt: number;
  status: SessionStatus;
  progress: number;
  messages: Message[];
  videoIds: string[];
  videoId: string | null;
  /** The id answered at create (behaviour agentVideoAtCreate), pending until the first render uses it. */
  reservedVideoId: string | null;
  callbackUrl: string | null;
  callbackId: string | null;
  revisions: number;
  resources: Map<string, Resource>;
  timer: ClockTimer | null;
  /** The create request's fields the agent's choices depend on. */
  asked: Body;
  /** The agent's avatar, voice and script, once it has chosen (first storyboard or render). */
  pick: AgentPick | null;
}

export interface BatchItem {
  index: number;
  body: Body;
  videoId: string | null;
  error: Failure | null;
}

export interface BatchRecord {
  id: string;
  owner: string;
  seq: number;
  title: string | null;
  createdAt: number;
  callbackUrl: string | null;
  items: BatchItem[];
  notified: boolean;
}

export interface AssetRecord {
  id: string;
  owner: string | null;
  name: string;
  mime: string;
  bytes: Buffer | null;
  size: number;
  uploadedAt: number;
  status: 'pending_upload' | 'completed';
}

export interface EndpointRecord {
  id: string;
  owner: string;
  seq: number;
  url: string;
  events: string[] | null;
  entityId: string | null;
  status: 'enabled' | 'disabled';
  createdAt: number;
  secret: string;
}

export interface EventRecord {
  seq: number;
  owner: string;
  event_id: string;
  event_type: string;
  event_data: Record<string, unknown>;
  entity_id: string | null;
  created_at: string;
}

/** A delivery attempt, kept for tests and for `GET /__emulator/webhooks`. */
export interface DeliveryRecord {
  url: string;
  event_type: string;
  attempt: number;
  status: number | null;
  error: string | null;
  time: number;
}

/** The demo asset id used by the HeyGen examples, present in every emulator so they run as-is. */
export const DEMO_ASSET_ID = 'ast_5d1c0b9e8a7f4e21';

/** Messages that approve a storyboard in chat mode. */
export const APPROVAL = /\b(approve[ds]?|go ahead|render it|looks good|lgtm)\b/i;

const TERMINAL = new Set(['completed', 'failed']);

const unix = (ms: number): number => Math.floor(ms / 1000);

/** One `POST /v3/voices/speech` answer. */
export interface SpeechRecord {
  id: string;
  owner: string;
  text: string;
  duration: number;
}

export class World {
  readonly faults: Faults;
  readonly looks = new Map<string, Look>();
  readonly voices = new Map<string, Voice>();
  readonly styles = new Map<string, Style>();
  videos = new Map<string, VideoRecord>();
  sessions = new Map<string, SessionRecord>();
  batches = new Map<string, BatchRecord>();
  readonly translations: Translations = new Translations(this);
  assets = new Map<string, AssetRecord>();
  /** Direct uploads: the checksum_sha256 announced at create, by asset id. */
  uploadChecksums = new Map<string, string>();
  /** Text-to-speech results by id (their audio is made when downloaded). */
  speeches = new Map<string, SpeechRecord>();
  endpoints = new Map<string, EndpointRecord>();
  events: EventRecord[] = [];
  deliveries: DeliveryRecord[] = [];
  private seq = 0;
  private readonly spent = new Map<string, number>();
  private timers = new Set<ClockTimer>();
  private deliveriesAbort = new AbortController();
  private readonly urlSecret = randomBytes(32);
  /** Base URL of the server, known once it listens. */
  baseUrl = '';

  get behaviours(): Behaviours {
    return this.options.behaviours ?? DEFAULT_BEHAVIOURS;
  }

  /** The emulator's sense of time: the clock given, moved by the `clockSkewSeconds` behaviour. */
  private readonly clock: Clock;

  constructor(
    readonly options: WorldOptions,
    clock: Clock = systemClock,
  ) {
    this.clock = skewed(clock, this.behaviours.clockSkewSeconds * 1000);
    this.faults = new Faults(options.faultRate, options.seed);
    for (const look of options.catalog.looks) this.looks.set(look.id, look);
    for (const voice of options.catalog.voices) this.voices.set(voice.voice_id, voice);
    for (const style of options.catalog.styles) this.styles.set(style.style_id, style);
    this.seedAssets();
  }

  private seedAssets(): void {
    this.assets.set(DEMO_ASSET_ID, {
      id: DEMO_ASSET_ID,
      owner: null,
      name: 'demo.png',
      mime: 'image/png',
      bytes: PNG,
      size: PNG.length,
      uploadedAt: this.clock.now(),
      status: 'completed',
    });
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  lookup(owner: string): Lookup {
    return {
      looks: this.looks,
      voices: this.voices,
      styles: this.styles,
      hasAsset: (id) => {
        const asset = this.assets.get(id);
        return asset !== undefined && asset.status === 'completed' && (asset.owner === null || asset.owner === owner);
      },
    };
  }

  /** Runs `fn` after `ms`, unless the world is reset or closed first. */
  later(ms: number, fn: () => void): ClockTimer {
    const timer = this.clock.setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: ClockTimer | null): void {
    if (!timer) return;
    this.clock.clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** The emulator's time, in ms since the epoch (see clock.ts). */
  now(): number {
    return this.clock.now();
  }

  /** Forgets every video, session, batch, asset, endpoint, event and fault, and stops all clocks. */
  reset(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.deliveriesAbort.abort();
    this.deliveriesAbort = new AbortController();
    this.videos = new Map();
    this.sessions = new Map();
    this.batches = new Map();
    this.translations.reset();
    this.assets = new Map();
    this.uploadChecksums = new Map();
    this.speeches = new Map();
    this.endpoints = new Map();
    this.events = [];
    this.deliveries = [];
    this.spent.clear();
    this.faults.reset();
    this.seedAssets();
  }

  close(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.deliveriesAbort.abort();
  }

  // ---- concurrency ------------------------------------------------------------------------

  /**
   * Unfinished jobs of a key: direct videos still rendering plus sessions that are working
   * (`thinking`, `generating`). A session's own video is counted through its session, not twice;
   * batch items are queued by HeyGen and are not counted. Paused sessions (`reviewing`,
   * `waiting_for_input`) wait for a person, so they do not hold a render slot.
   */
  activeJobs(owner: string, now = this.clock.now()): number {
    let n = 0;
    for (const v of this.videos.values()) {
      if (v.owner === owner && !v.deleted && v.sessionId === null && v.batchId === null && now < v.doneAt) n += 1;
    }
    for (const s of this.sessions.values()) {
      if (s.owner === owner && (s.status === 'thinking' || s.status === 'generating')) n += 1;
    }
    return n + this.translations.active(owner, now);
  }

  /** Throws 429 when one more job (beyond `also` being admitted with it) would exceed the limit. */
  admit(owner: string, also = 0): void {
    const limit = this.options.concurrencyLimit;
    if (this.activeJobs(owner) + also >= limit) {
      throw new HttpError(429, 'rate_limit_exceeded', `Concurrent job limit reached (${limit}). Retry after the period indicated by the Retry-After header.`, undefined, {
        'Retry-After': String(this.options.retryAfterSeconds),
      });
    }
  }

  // ---- credits ----------------------------------------------------------------------------

  /** Credits left for a key, or null when credits are unlimited. */
  creditsLeft(owner: string): number | null {
    const start = this.options.credits;
    return start === null ? null : start - (this.spent.get(owner) ?? 0);
  }

  /** Charges one credit per second of video (rounded up); 402 insufficient_credit when short. */
  charge(owner: string, seconds: number): void {
    const left = this.creditsLeft(owner);
    if (left === null) return;
    const cost = Math.ceil(seconds);
    if (cost > left) {
      throw new HttpError(402, 'insufficient_credit', `Your account has ${left} credits but this video requires ${cost} credits.`);
    }
    this.spent.set(owner, (this.spent.get(owner) ?? 0) + cost);
  }

  /** A top-up: `credits` more for the key (tests of what happens after a 402). */
  addCredits(owner: string, credits: number): void {
    this.spent.set(owner, (this.spent.get(owner) ?? 0) - credits);
  }

  /** A failed render is not paid for. */
  refund(owner: string, seconds: number): void {
    if (this.options.credits === null) return;
    this.spent.set(owner, Math.max(0, (this.spent.get(owner) ?? 0) - Math.ceil(seconds)));
  }

  // ---- videos -----------------------------------------------------------------------------

  videoStatus(v: VideoRecord, now = this.clock.now()): VideoStatus {
    if (now < v.startAt) return 'pending';
    if (now < v.doneAt) return 'processing';
    return v.failure ? 'failed' : 'completed';
  }

  /** Creates a video whose clock starts now; `failure` decides its end. */
  createVideo(
    owner: string,
    init: Omit<VideoRecord, 'id' | 'owner' | 'seq' | 'createdAt' | 'startAt' | 'doneAt' | 'deleted' | 'sessionId' | 'batchId'> & Partial<Pick<VideoRecord, 'sessionId' | 'batchId'>>,
    how: { reserved?: boolean } = {},
  ): VideoRecord {
    const now = this.clock.now();
    const total = this.options.renderSeconds * 1000;
    const video: VideoRecord = {
      id: randomBytes(16).toString('hex'),
      owner,
      seq: this.nextSeq(),
      createdAt: now,
      startAt: how.reserved ? Number.POSITIVE_INFINITY : now + total * 0.25,
      doneAt: how.reserved ? Number.POSITIVE_INFINITY : now + total,
      ...init,
      sessionId: init.sessionId ?? null,
      batchId: init.batchId ?? null,
      deleted: false,
    };
    this.videos.set(video.id, video);
    if (!how.reserved) this.later(total, () => this.videoFinished(video));
    return video;
  }

  /** A reserved (pending) video starts rendering now; it finishes like any other. */
  private startReserved(video: VideoRecord, failure: Failure | null): void {
    const now = this.clock.now();
    const total = this.options.renderSeconds * 1000;
    video.startAt = now + total * 0.25;
    video.doneAt = now + total;
    video.failure = failure;
    this.later(total, () => this.videoFinished(video));
  }

  /** A direct `POST /v3/videos` body (already checked) becomes a video. */
  createDirectVideo(owner: string, body: Body, requestPath: string, batchId: string | null = null): VideoRecord {
    const text = spokenText(body);
    const caption = body.caption as Body | null | undefined;
    let failure: Failure | null = null;
    if (typeof body.script === 'string' && body.script.includes(FAIL_TRIGGER)) {
      failure = { code: 'rendering_failed', message: `Rendering failed (the script contains ${FAIL_TRIGGER}).` };
    } else if (this.faults.renderFails('POST', requestPath)) {
      failure = { code: 'rendering_failed', message: 'Avatar rendering timed out' };
    }
    return this.createVideo(owner, {
      title: typeof body.title === 'string' ? body.title : null,
      duration: videoDuration(body),
      captions: caption !== null && caption !== undefined,
      captionStyle: typeof caption?.style === 'string',
      outputFormat: body.output_format === 'webm' ? 'webm' : 'mp4',
      text,
      callbackUrl: typeof body.callback_url === 'string' ? body.callback_url : null,
      callbackId: typeof body.callback_id === 'string' ? body.callback_id : null,
      batchId,
      failure,
    });
  }

  private videoFinished(video: VideoRecord): void {
    if (video.failure) this.refund(video.owner, video.duration);
    if (video.deleted) return;
    const url = this.signedUrl(video.id, `video.${video.outputFormat}`);
    if (video.sessionId) {
      const session = this.sessions.get(video.sessionId);
      if (session) this.sessionVideoFinished(session, video);
    } else {
      const type = video.failure ? 'avatar_video.fail' : 'avatar_video.success';
      const data: Record<string, unknown> = video.failure
        ? { video_id: video.id, msg: video.failure.message, callback_id: video.callbackId }
        : { video_id: video.id, url, callback_id: video.callbackId };
      this.emit(video.owner, type, data, video.id, video.callbackUrl);
    }
    if (video.batchId) {
      const batch = this.batches.get(video.batchId);
      if (batch) this.maybeFinishBatch(batch);
    }
  }

  createSpeech(owner: string, text: string, duration: number): SpeechRecord {
    const speech: SpeechRecord = { id: newId('speech_'), owner, text, duration };
    this.speeches.set(speech.id, speech);
    return speech;
  }

  /** A presigned-looking URL for one of a video's files, valid for `urlTtl` seconds. */
  signedUrl(videoId: string, file: string, now = this.clock.now()): string {
    const expires = Math.ceil(now / 1000 + this.options.urlTtl);
    return `${this.baseUrl}/files/${videoId}/${file}?expires=${expires}&sig=${this.sign(videoId, file, expires)}`;
  }

  private sign(videoId: string, file: string, expires: number): string {
    return createHmac('sha256', this.urlSecret).update(`${videoId}/${file}:${expires}`).digest('hex').slice(0, 32);
  }

  /** Checks a download URL's signature and expiry: 'ok', 'bad-signature' or 'expired'. */
  checkSignature(videoId: string, file: string, expires: string | null, sig: string | null, now = this.clock.now()): 'ok' | 'bad-signature' | 'expired' {
    if (!expires || !sig || !/^\d+$/.test(expires)) return 'bad-signature';
    const expected = Buffer.from(this.sign(videoId, file, Number(expires)));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad-signature';
    return now / 1000 >= Number(expires) ? 'expired' : 'ok';
  }

  /** The bytes behind a video's file name, or null when that file does not exist. */
  fileOf(video: VideoRecord, file: string): { body: Buffer; type: string } | null {
    switch (file) {
      case 'video.mp4':
      case 'video.webm':
        return { body: mp4(video.id, video.duration), type: video.outputFormat === 'webm' ? 'video/webm' : 'video/mp4' };
      case 'captioned.mp4':
        return video.captionStyle ? { body: mp4(`${video.id}/captioned`, video.duration), type: 'video/mp4' } : null;
      case 'thumbnail.jpg':
        return { body: JPEG, type: 'image/jpeg' };
      case 'preview.gif':
        return { body: GIF, type: 'image/gif' };
      case 'captions.srt':
        return video.captions ? { body: Buffer.from(srt(video.text, video.duration)), type: 'application/x-subrip' } : null;
      default:
        return null;
    }
  }

  /** The §2.2 object. Nullable fields are sent as null; failure fields only on failed videos. */
  videoJson(v: VideoRecord, now = this.clock.now()): Record<string, unknown> {
    const status = this.videoStatus(v, now);
    const done = status === 'completed';
    const out: Record<string, unknown> = {
      id: v.id,
      title: v.title,
      created_at: unix(v.createdAt),
      folder_id: null,
      video_page_url: `${this.baseUrl}/app/videos/${v.id}`,
      status,
      completed_at: done ? unix(v.doneAt) : null,
      duration: done ? v.duration : null,
      video_url: done ? this.signedUrl(v.id, `video.${v.outputFormat}`, now) : null,
      thumbnail_url: done ? this.signedUrl(v.id, 'thumbnail.jpg', now) : null,
      gif_url: done ? this.signedUrl(v.id, 'preview.gif', now) : null,
      subtitle_url: done && v.captions ? this.signedUrl(v.id, 'captions.srt', now) : null,
      captioned_video_url: done && v.captionStyle ? this.signedUrl(v.id, 'captioned.mp4', now) : null,
    };
    if (status === 'failed' && v.failure) {
      out.failure_code = v.failure.code;
      out.failure_message = v.failure.message;
    }
    return out;
  }

  ownedVideo(owner: string, id: string): VideoRecord | undefined {
    const v = this.videos.get(id);
    return v && v.owner === owner && !v.deleted ? v : undefined;
  }

  // ---- batches ----------------------------------------------------------------------------

  batchItemStatus(item: BatchItem, now = this.clock.now()): 'queued' | 'processing' | 'completed' | 'failed' {
    if (item.error) return 'failed';
    if (!item.videoId) return 'queued';
    const video = this.videos.get(item.videoId);
    if (!video) return 'failed';
    const status = this.videoStatus(video, now);
    return status === 'pending' ? 'queued' : status;
  }

  batchItemError(item: BatchItem): Failure | null {
    if (item.error) return item.error;
    const video = item.videoId ? this.videos.get(item.videoId) : undefined;
    return video && this.videoStatus(video) === 'failed' ? video.failure : null;
  }

  /** processing while any item is unfinished; failed when every item failed; else completed. */
  batchStatus(batch: BatchRecord, now = this.clock.now()): 'processing' | 'completed' | 'failed' {
    const statuses = batch.items.map((i) => this.batchItemStatus(i, now));
    if (statuses.some((s) => !TERMINAL.has(s))) return 'processing';
    return statuses.every((s) => s === 'failed') ? 'failed' : 'completed';
  }

  maybeFinishBatch(batch: BatchRecord): void {
    if (batch.notified || this.batchStatus(batch) === 'processing') return;
    batch.notified = true;
    const counts: Record<string, number> = { queued: 0, processing: 0, completed: 0, failed: 0 };
    for (const item of batch.items) counts[this.batchItemStatus(item)]! += 1;
    this.emit(batch.owner, 'batch.finished', { batch_id: batch.id, status: this.batchStatus(batch), total_items: batch.items.length, counts_by_status: counts }, batch.id, batch.callbackUrl);
  }

  // ---- agent sessions ---------------------------------------------------------------------

  private say(session: SessionRecord, type: Message['type'], content: string, resourceIds: string[] | null = null, role: Message['role'] = 'model'): void {
    session.messages.push({ role, type, content, resource_ids: resourceIds, created_at: unix(this.clock.now()) });
  }

  private get thinkMs(): number {
    return (this.options.renderSeconds * 1000) / 2;
  }

  createSession(owner: string, body: Body): SessionRecord {
    const prompt = String(body.prompt);
    const session: SessionRecord = {
      id: newId('sess_'),
      owner,
      seq: this.nextSeq(),
      mode: body.mode === 'chat' ? 'chat' : 'generate',
      prompt,
      title: sessionTitle(prompt),
      createdAt: this.clock.now(),
      status: 'thinking',
      progress: 10,
      messages: [],
      videoIds: [],
      videoId: null,
      reservedVideoId: null,
      callbackUrl: typeof body.callback_url === 'string' ? body.callback_url : null,
      callbackId: typeof body.callback_id === 'string' ? body.callback_id : null,
      revisions: 0,
      resources: new Map(),
      timer: null,
      asked: { avatar_id: body.avatar_id, voice_id: body.voice_id, orientation: body.orientation },
      pick: null,
    };
    this.say(session, 'text', prompt, null, 'user');
    this.sessions.set(session.id, session);
    if (this.behaviours.agentVideoAtCreate) {
      // HeyGen hands out the id at create; the video stays pending until the agent renders into it.
      const reserved = this.createVideo(
        owner,
        {
          title: session.title,
          duration: agentDuration(prompt),
          captions: false,
          captionStyle: false,
          outputFormat: 'mp4',
          text: prompt,
          callbackUrl: null,
          callbackId: null,
          sessionId: session.id,
          failure: null,
        },
        { reserved: true },
      );
      session.reservedVideoId = reserved.id;
      session.videoId = reserved.id;
    }
    this.think(session, null);
    return session;
  }

  /**
   * `thinking` for renderSeconds/2, then the next pause or the render. `revision` is the user's
   * change request when this round answers one (null at the start and after an answer).
   */
  private think(session: SessionRecord, revision: string | null, answered = false): void {
    session.status = 'thinking';
    session.progress = 10;
    session.timer = this.later(this.thinkMs, () => {
      session.timer = null;
      if (session.prompt.includes(ASK_TRIGGER) && !answered && revision === null) {
        session.status = 'waiting_for_input';
        session.progress = 30;
        this.say(session, 'text', 'Which voice should the presenter use? Reply with a voice name or id, or say "any".');
        return;
      }
      if (session.mode === 'generate') this.startRendering(session);
      else {
        this.storyboard(session, revision);
        // Behaviour chatAutoProceed: the agent takes its own storyboard as confirmed.
        if (this.behaviours.chatAutoProceed) this.startRendering(session);
      }
    });
  }

  /**
   * The first time the agent gets past thinking it chooses avatar, voice and script, lists them as
   * session resources, as much as `agentResources` lets it. Returns the resource ids and the
   * sentence naming the choices, for the caller's message (undefined when it chose before).
   */
  private choose(session: SessionRecord, draft: boolean): { ids: string[]; sentence: string } | undefined {
    if (session.pick) return undefined;
    const pick = pickChoices(this.lookup(session.owner), session.asked, session.prompt);
    if (!pick) return undefined;
    session.pick = pick;
    const exposure = this.options.agentResources ?? 'ids';
    const now = unix(this.clock.now());
    const ids: string[] = [];
    for (const r of choiceResources(pick, exposure)) ids.push(addResource(session, `res_${r.type}_`, r, now));
    if (draft) {
      // Generate mode approves its own storyboard: it is still a session resource.
      ids.push(addStoryboard(session, { duration_seconds: agentDuration(session.prompt), ...(exposure === 'hidden' ? {} : { script: pick.script }) }, now));
    }
    return { ids, sentence: choiceMessage(pick, exposure) };
  }

  private storyboard(session: SessionRecord, request: string | null): void {
    const named = this.choose(session, false);
    const exposure = this.options.agentResources ?? 'ids';
    const script = session.pick && exposure !== 'hidden' ? { script: session.pick.script } : {};
    const seconds = agentDuration(session.prompt);
    const scenes = Math.max(3, Math.min(12, Math.round(seconds / 10)));
    const resourceId = addStoryboard(session, { scenes, duration_seconds: seconds, revision: session.revisions, ...script }, unix(this.clock.now()));
    session.status = 'reviewing';
    session.progress = 40;
    const intro = request === null ? 'Here is the storyboard.' : `I revised the storyboard as you asked: "${request}".`;
    this.say(session, 'text', `${intro}${named ? ` ${named.sentence}` : ''} Reply with changes, or tell me to go ahead and render.`);
    this.say(session, 'resource', `${request === null ? 'Storyboard draft' : `Storyboard revision ${session.revisions}`} (${scenes} scenes, ~${seconds}s)`, [resourceId, ...(named?.ids ?? [])]);
  }

  private startRendering(session: SessionRecord): void {
    const named = this.choose(session, true);
    if (named) this.say(session, named.ids.length > 0 ? 'resource' : 'text', named.sentence, named.ids.length > 0 ? named.ids : null);
    const failure = this.faults.renderFails('POST', '/v3/video-agents') || session.prompt.includes(FAIL_TRIGGER) ? { code: 'rendering_failed', message: 'Avatar rendering timed out' } : null;
    const reserved = session.reservedVideoId ? this.videos.get(session.reservedVideoId) : undefined;
    session.reservedVideoId = null;
    let video: VideoRecord;
    if (reserved) {
      video = reserved;
      this.startReserved(video, failure);
    } else {
      video = this.createVideo(session.owner, {
        title: session.title,
        duration: agentDuration(session.prompt),
        captions: false,
        captionStyle: false,
        outputFormat: 'mp4',
        text: session.prompt,
        callbackUrl: null,
        callbackId: null,
        sessionId: session.id,
        failure,
      });
    }
    session.videoIds.push(video.id);
    session.videoId = video.id;
    session.status = 'generating';
    session.progress = 60;
    this.say(session, 'text', 'Rendering your video now.');
  }

  private sessionVideoFinished(session: SessionRecord, video: VideoRecord): void {
    if (session.videoId !== video.id || session.status !== 'generating') return;
    if (video.failure) {
      session.status = 'failed';
      this.say(session, 'error', video.failure.message);
      this.emit(session.owner, 'video_agent.fail', { session_id: session.id, video_id: video.id, msg: video.failure.message, callback_id: session.callbackId }, session.id, session.callbackUrl);
      return;
    }
    session.status = 'completed';
    session.progress = 100;
    this.say(session, 'resource', 'Your video is ready.', [video.id]);
    this.emit(
      session.owner,
      'video_agent.success',
      { session_id: session.id, video_id: video.id, url: this.signedUrl(video.id, 'video.mp4'), callback_id: session.callbackId },
      session.id,
      session.callbackUrl,
    );
  }

  /**
   * A user message. Approval (see APPROVAL) renders; anything else is a revision request that goes
   * back through `thinking` to a revised storyboard. Throws when the session cannot take one now.
   */
  sendMessage(session: SessionRecord, message: string): string {
    const paused = session.status === 'reviewing' || session.status === 'waiting_for_input' || session.status === 'completed';
    if (session.mode === 'generate' && session.status !== 'waiting_for_input') {
      throw new HttpError(400, 'invalid_parameter', 'Only chat sessions accept messages (this session was created with mode "generate").', 'session_id');
    }
    if (!paused) {
      throw new HttpError(409, 'conflict', `The session is ${session.status}; send messages when it is reviewing, waiting_for_input or completed.`);
    }
    this.admit(session.owner);
    this.say(session, 'text', message, null, 'user');
    if (session.status === 'waiting_for_input') {
      this.think(session, null, true);
    } else if (APPROVAL.test(message)) {
      this.startRendering(session);
    } else {
      session.revisions += 1;
      this.think(session, message);
    }
    return newId('run_', 5);
  }

  /** Stops the session: it ends `failed` with an error message; a video already rendering is kept. */
  stopSession(session: SessionRecord): void {
    if (TERMINAL.has(session.status)) return;
    this.cancel(session.timer);
    session.timer = null;
    session.status = 'failed';
    this.say(session, 'error', 'Stopped by the user.');
    this.abandonReserved(session, 'Stopped by the user.');
  }

  /** A session that ends before rendering: its reserved video (if any) fails without a render. */
  private abandonReserved(session: SessionRecord, message: string): void {
    const reserved = session.reservedVideoId ? this.videos.get(session.reservedVideoId) : undefined;
    session.reservedVideoId = null;
    if (!reserved) return;
    const now = this.clock.now();
    reserved.startAt = now;
    reserved.doneAt = now;
    reserved.failure = { code: 'agent_stopped', message };
  }

  sessionJson(s: SessionRecord): Record<string, unknown> {
    return {
      session_id: s.id,
      status: s.status,
      progress: s.progress,
      title: s.title,
      video_id: s.videoId,
      created_at: unix(s.createdAt),
      messages: s.messages.slice(-40).reverse(),
    };
  }

  // ---- webhooks ---------------------------------------------------------------------------

  /**
   * Records an event, delivers it to the per-request `callbackUrl` (if any) and to every registered
   * endpoint of the key that subscribes to it. The callback is signed with the key's first enabled
   * endpoint's secret when there is one; endpoint deliveries with their own secret.
   */
  emit(owner: string, type: string, data: Record<string, unknown>, entityId: string, callbackUrl: string | null): void {
    const event: EventRecord = {
      seq: this.nextSeq(),
      owner,
      event_id: newId('evt_'),
      event_type: type,
      event_data: data,
      entity_id: entityId,
      created_at: new Date(this.clock.now()).toISOString(),
    };
    this.events.push(event);
    const payload = JSON.stringify({ event_type: type, event_data: data });
    const endpoints = [...this.endpoints.values()].filter((e) => e.owner === owner && e.status === 'enabled');
    if (callbackUrl) this.deliver(callbackUrl, type, payload, endpoints[0]?.secret ?? null);
    for (const endpoint of endpoints) {
      if (endpoint.events && !endpoint.events.includes(type)) continue;
      if (endpoint.entityId && endpoint.entityId !== entityId && endpoint.entityId !== data.video_id) continue;
      this.deliver(endpoint.url, type, payload, endpoint.secret);
    }
  }

  private deliver(url: string, type: string, payload: string, secret: string | null): void {
    const signal = this.deliveriesAbort.signal;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'reel-heygen-emulator' };
    if (secret) headers[this.options.signatureHeader] = createHmac('sha256', secret).update(payload).digest('hex');
    const attempt = async (n: number): Promise<void> => {
      if (signal.aborted) return;
      const record: DeliveryRecord = { url, event_type: type, attempt: n, status: null, error: null, time: this.clock.now() };
      this.deliveries.push(record);
      if (!this.options.remoteWebhooks && !isLocalUrl(url)) {
        record.error = 'not delivered: the emulator delivers webhooks only to this machine (localhost, 127.0.0.1, ::1) unless started with remoteWebhooks (--remote-webhooks)';
        return;
      }
      try {
        const response = await fetch(url, { method: 'POST', headers, body: payload, signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) });
        record.status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      if (n < this.options.webhookAttempts && !signal.aborted) {
        this.later(this.options.webhookRetryMs * 2 ** (n - 1), () => void attempt(n + 1));
      }
    };
    void attempt(1);
  }
}

/** Lists a resource the agent generated in its session; returns its id, for the message that shows it. */
function addResource(
  session: SessionRecord,
  idPrefix: string,
  r: { type: string; url: string | null; preview_url: string | null; thumbnail_url: string | null; metadata: Record<string, unknown> | null },
  createdAt: number,
): string {
  const resource: Resource = {
    resource_id: newId(idPrefix, 4),
    resource_type: r.type,
    source_type: 'generated',
    url: r.url,
    preview_url: r.preview_url,
    thumbnail_url: r.thumbnail_url,
    metadata: r.metadata,
    created_at: createdAt,
  };
  session.resources.set(resource.resource_id, resource);
  return resource.resource_id;
}

/** A storyboard is a `draft` resource with no URLs: what it holds is in its metadata. */
function addStoryboard(session: SessionRecord, metadata: Record<string, unknown>, createdAt: number): string {
  return addResource(session, 'res_storyboard_', { type: 'draft', url: null, preview_url: null, thumbnail_url: null, metadata }, createdAt);
}
