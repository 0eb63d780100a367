import { CancelledError } from '../errors.js';
import { HeyGenClock } from './clock.js';
import { RateGate, sleep } from './gate.js';
import { isLocalUrl } from '../util/env.js';
import { linkedSignal } from '../util/signal.js';
import { randomBytes } from 'node:crypto';
import type {
  Speech,
  Asset,
  DirectUpload,
  AvatarLook,
  BrandGlossary,
  CreatedProofreads,
  CreatedSession,
  CreatedVideo,
  Me,
  Page,
  Session,
  SessionResource,
  SessionSummary,
  StatusRow,
  StyleInfo,
  Translation,
  Proofread,
  Video,
  VoiceInfo,
} from './types.js';

/**
 * The outcome of one logical call (after the retries that are safe for it). Callers branch on it;
 * only cancellation is thrown (CancelledError), because it must unwind the whole run.
 *
 * - `ok`: HeyGen answered 2xx with `data`.
 * - `error`: HeyGen (or the network, status 0) answered definitively: nothing to retry blindly.
 * - `ambiguous`: a mutation may or may not have been processed (timeout, reset, 5xx after the
 *   retries that were safe). The caller must reconcile before creating again.
 */
export type Outcome<T> =
  | { kind: 'ok'; value: T; status: number; requestId?: string }
  | { kind: 'error'; status: number; code: string; message: string; param?: string; requestId?: string }
  | { kind: 'ambiguous'; message: string; cause?: unknown };

export interface RetryPolicy {
  /** Retries after the first attempt for 5xx and transport errors (HeyGen's CLI: 2). */
  maxRetries: number;
  /** First backoff delay; doubles per retry, ±25 % jitter, capped by maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How many 429 answers one call waits out before giving up (the limit frees as jobs finish). */
  maxRateLimitWaits: number;
  /** Ceiling for a Retry-After value (HeyGen's CLI clamps to 30 s). */
  maxRetryAfterMs: number;
}

export interface Timeouts {
  readMs: number;
  writeMs: number;
  uploadMs: number;
}

/** Sent to `onRequest` after every HTTP attempt; never carries headers or the key. */
export interface RequestInfo {
  method: string;
  path: string;
  status: number;
  ms: number;
  error?: string;
}

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Cancels every call of this client (Ctrl-C). */
  signal?: AbortSignal;
  gate?: RateGate;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<Timeouts>;
  onRequest?: (info: RequestInfo) => void;
  userAgent?: string;
  random?: () => number;
  /** Learns HeyGen's time from every answer; pass one to share it with another client of the run. */
  clock?: HeyGenClock;
}

/** API.md §9: HeyGen's own CLI retries twice, 1 s × 2^n with jitter, Retry-After clamped to 30 s. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRateLimitWaits: 200,
  maxRetryAfterMs: 30_000,
};

/** API.md §9: GET 30 s, other methods 120 s, uploads 10 min. */
export const DEFAULT_TIMEOUTS: Timeouts = { readMs: 30_000, writeMs: 120_000, uploadMs: 600_000 };

/** HeyGen's bulk status endpoint takes at most this many ids per request. */
export const MAX_STATUS_IDS = 100;

type RetryMode =
  /** GET/DELETE: retry 5xx and transport errors. */
  | 'idempotent'
  /** POST with an Idempotency-Key: HeyGen replays, so the same request may be sent again. */
  | 'keyed'
  /** POST that may bill: never resend after it may have been processed. */
  | 'never'
  /** POST whose duplicate is harmless (asset upload): resend like a read. */
  | 'harmless';

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: FormData;
  idempotencyKey?: string;
  retry: RetryMode;
  timeoutMs: number;
}

interface Envelope {
  data?: unknown;
  error?: { code?: unknown; message?: unknown; param?: unknown } | null;
  has_more?: unknown;
  next_token?: unknown;
}

/** What `HeyGenClient.probe` saw; status 0 when no HTTP answer arrived. */
export interface ProbeAnswer {
  status: number;
  ms: number;
  /** HeyGen marked the answer as replayed under the Idempotency-Key (`Idempotent-Replayed: true`). */
  replayed: boolean;
  data?: unknown;
  hasMore?: boolean;
  code?: string;
  message?: string;
  requestId?: string;
}

/** A typed client for the HeyGen v3 endpoints reel uses. One instance per run. */
export class HeyGenClient {
  readonly baseUrl: string;
  readonly gate: RateGate;
  /** HeyGen's time, from the `Date` header of its answers (undefined while none said). */
  readonly clock: HeyGenClock;
  private readonly apiKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly signal: AbortSignal | undefined;
  private readonly retry: RetryPolicy;
  private readonly timeouts: Timeouts;
  private readonly onRequest: ((info: RequestInfo) => void) | undefined;
  private readonly userAgent: string;
  private readonly random: () => number;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? fetch;
    this.signal = options.signal;
    this.gate = options.gate ?? new RateGate();
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.onRequest = options.onRequest;
    this.userAgent = options.userAgent ?? 'reel';
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? new HeyGenClock();
  }

  /** `GET /v3/users/me`: the auth smoke test. */
  me(): Promise<Outcome<Me>> {
    return this.call({ method: 'GET', path: '/v3/users/me', retry: 'idempotent', timeoutMs: this.timeouts.readMs });
  }

  /**
   * `POST /v3/videos` with an Idempotency-Key: an ambiguous failure is resent with the same key
   * (HeyGen replays the first answer, or answers 409 while the first is still running).
   */
  createVideo(body: Record<string, unknown>, idempotencyKey: string): Promise<Outcome<CreatedVideo>> {
    return this.call({
      method: 'POST',
      path: '/v3/videos',
      json: body,
      idempotencyKey,
      retry: 'keyed',
      timeoutMs: this.timeouts.writeMs,
    });
  }

  /**
   * `POST /v3/videos` safe against an error answer replayed under the key (API.md §6: whether HeyGen
   * stores 4xx answers is unconfirmed). After a definite refusal the request is sent once more under
   * a fresh key — a refused request created nothing, so a new key cannot pay twice — and `record`
   * makes that key durable (in the lock) before it leaves, so a lost answer is resumed under it.
   * Resolves with the last outcome and the key it was answered under.
   */
  async createVideoFresh(body: Record<string, unknown>, idempotencyKey: string, record: (freshKey: string) => Promise<void>): Promise<{ outcome: Outcome<CreatedVideo>; key: string }> {
    const first = await this.createVideo(body, idempotencyKey);
    if (!isRefusal(first)) return { outcome: first, key: idempotencyKey };
    const key = freshKey(idempotencyKey);
    await record(key);
    return { outcome: await this.createVideo(body, key), key };
  }

  getVideo(videoId: string): Promise<Outcome<Video>> {
    return this.call({
      method: 'GET',
      path: `/v3/videos/${encodeURIComponent(videoId)}`,
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** One page of `GET /v3/videos` (newest first), optionally filtered by a title substring. */
  async listVideos(query: { title?: string; limit?: number; token?: string }): Promise<Outcome<Page<Video>>> {
    return this.page<Video>({
      method: 'GET',
      path: '/v3/videos',
      query: { title: query.title, limit: query.limit ?? 100, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  deleteVideo(videoId: string): Promise<Outcome<{ id: string; deleted?: boolean }>> {
    return this.call({
      method: 'DELETE',
      path: `/v3/videos/${encodeURIComponent(videoId)}`,
      retry: 'idempotent',
      timeoutMs: this.timeouts.writeMs,
    });
  }

  /** `GET /v3/videos/statuses` for at most MAX_STATUS_IDS ids. */
  videoStatuses(videoIds: readonly string[]): Promise<Outcome<StatusRow[]>> {
    if (videoIds.length === 0 || videoIds.length > MAX_STATUS_IDS) {
      throw new RangeError(`videoStatuses takes 1-${MAX_STATUS_IDS} ids, got ${videoIds.length}`);
    }
    return this.call({
      method: 'GET',
      path: '/v3/videos/statuses',
      query: { video_ids: videoIds.join(',') },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /**
   * `POST /v3/video-agents`. HeyGen documents no idempotency here, so an ambiguous failure is
   * returned as such and never resent: the caller reconciles by listing sessions.
   */
  createSession(body: Record<string, unknown>): Promise<Outcome<CreatedSession>> {
    return this.call({
      method: 'POST',
      path: '/v3/video-agents',
      json: body,
      retry: 'never',
      timeoutMs: this.timeouts.writeMs,
    });
  }

  getSession(sessionId: string): Promise<Outcome<Session>> {
    return this.call({
      method: 'GET',
      path: `/v3/video-agents/${encodeURIComponent(sessionId)}`,
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** One page of `GET /v3/video-agents` (newest first). */
  listSessions(query: { limit?: number; token?: string }): Promise<Outcome<Page<SessionSummary>>> {
    return this.page<SessionSummary>({
      method: 'GET',
      path: '/v3/video-agents',
      query: { limit: query.limit ?? 100, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** `GET /v3/video-agents/{id}/videos`: every video the session made, newest first. */
  async listSessionVideos(sessionId: string): Promise<Outcome<Video[]>> {
    const outcome = await this.page<Video>({
      method: 'GET',
      path: `/v3/video-agents/${encodeURIComponent(sessionId)}/videos`,
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
    return outcome.kind === 'ok' ? { ...outcome, value: outcome.value.items } : outcome;
  }

  /** `POST /v3/video-agents/{id}`: a chat message (revision or approval). Not resent when ambiguous. */
  sendMessage(sessionId: string, body: { message: string } & Record<string, unknown>): Promise<Outcome<{ session_id: string; run_id: string }>> {
    return this.call({
      method: 'POST',
      path: `/v3/video-agents/${encodeURIComponent(sessionId)}`,
      json: body,
      retry: 'never',
      timeoutMs: this.timeouts.writeMs,
    });
  }

  /** `GET /v3/video-agents/{id}/resources/{rid}`: a storyboard draft, a video, a chosen avatar or voice. */
  getSessionResource(sessionId: string, resourceId: string): Promise<Outcome<SessionResource>> {
    return this.call({
      method: 'GET',
      path: `/v3/video-agents/${encodeURIComponent(sessionId)}/resources/${encodeURIComponent(resourceId)}`,
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** `POST /v3/video-agents/{id}/stop`. Stopping twice is harmless, so a lost answer is resent. */
  stopSession(sessionId: string): Promise<Outcome<{ session_id: string }>> {
    return this.call({
      method: 'POST',
      path: `/v3/video-agents/${encodeURIComponent(sessionId)}/stop`,
      json: {},
      retry: 'harmless',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** `POST /v3/assets` (multipart, part `file`). Uploading twice only wastes bandwidth, so it is resent. */
  uploadAsset(bytes: Uint8Array, filename: string, mimeType: string): Promise<Outcome<Asset>> {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: mimeType }), filename);
    return this.call({ method: 'POST', path: '/v3/assets', form, retry: 'harmless', timeoutMs: this.timeouts.uploadMs });
  }

  /**
   * A file of any size as a HeyGen asset: `POST /v3/assets` up to MAX_MULTIPART_ASSET_BYTES, else the
   * direct-upload flow (API.md §2.17): `POST /v3/assets/direct-uploads`, `PUT` the bytes to the
   * `upload_url` with its `upload_headers` (never the API key: it may be another host), then
   * `POST /v3/assets/{id}/complete`. Every step may be repeated harmlessly.
   */
  async uploadLargeAsset(bytes: Uint8Array, filename: string, mimeType: string, checksumSha256: string): Promise<Outcome<Asset>> {
    if (bytes.byteLength <= MAX_MULTIPART_ASSET_BYTES) return this.uploadAsset(bytes, filename, mimeType);
    const started = await this.call<DirectUpload>({
      method: 'POST',
      path: '/v3/assets/direct-uploads',
      json: { filename, content_type: mimeType, size_bytes: bytes.byteLength, checksum_sha256: checksumSha256 },
      retry: 'harmless',
      timeoutMs: this.timeouts.writeMs,
    });
    if (started.kind !== 'ok') return started;
    const put = await this.putUpload(started.value, bytes);
    if (put.kind !== 'ok') return put;
    return this.call<Asset>({
      method: 'POST',
      path: `/v3/assets/${encodeURIComponent(started.value.asset_id)}/complete`,
      json: { checksum_sha256: checksumSha256 },
      retry: 'harmless',
      timeoutMs: this.timeouts.writeMs,
    });
  }

  /** The `PUT` of a direct upload: to HeyGen's storage URL, with only the headers it gave. */
  private async putUpload(upload: DirectUpload, bytes: Uint8Array): Promise<Outcome<null>> {
    const headers: Record<string, string> = { ...(upload.upload_headers ?? {}) };
    for (let failures = 0; ; ) {
      const timeout = AbortSignal.timeout(this.timeouts.uploadMs);
      const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
      const started = Date.now();
      let status = 0;
      let error: unknown;
      try {
        const response = await this.fetchImpl(upload.upload_url, { method: 'PUT', headers, body: bytes, signal });
        await response.arrayBuffer().catch(() => undefined);
        status = response.status;
      } catch (caught) {
        if (this.signal?.aborted) this.cancelled(caught);
        error = caught;
      }
      this.onRequest?.({ method: 'PUT', path: '(direct upload)', status, ms: Date.now() - started, ...(error ? { error: transportMessage(error) } : {}) });
      if (status >= 200 && status < 300) return { kind: 'ok', status, value: null };
      failures += 1;
      if ((status === 0 || status >= 500) && failures <= this.retry.maxRetries) {
        await this.pause(this.backoff(failures - 1));
        continue;
      }
      const message = status === 0 ? `the upload failed: ${transportMessage(error)}` : `the upload URL answered HTTP ${status}`;
      return { kind: 'error', status, code: status === 0 ? 'network_error' : codeForStatus(status), message };
    }
  }

  /** One page of `GET /v3/avatars/looks` (at most 50 a page); public and private looks unless `ownership` is set. */
  listLooks(query: { ownership?: 'public' | 'private'; limit?: number; token?: string } = {}): Promise<Outcome<Page<AvatarLook>>> {
    return this.page<AvatarLook>({
      method: 'GET',
      path: '/v3/avatars/looks',
      query: { ownership: query.ownership, limit: query.limit ?? 50, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** One page of `GET /v3/voices`; HeyGen lists `public` voices unless `type: 'private'` is asked for. */
  listVoices(query: { type?: 'public' | 'private'; language?: string; gender?: string; limit?: number; token?: string } = {}): Promise<Outcome<Page<VoiceInfo>>> {
    return this.page<VoiceInfo>({
      method: 'GET',
      path: '/v3/voices',
      query: { type: query.type, language: query.language, gender: query.gender, limit: query.limit ?? 100, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /**
   * `POST /v3/voices/speech` (API.md §2.21): synchronous text to speech. Billed per second of audio
   * and with no documented Idempotency-Key, so an ambiguous failure is never resent.
   */
  createSpeech(body: { text: string; voice_id: string; speed?: number; locale?: string }): Promise<Outcome<Speech>> {
    return this.call({ method: 'POST', path: '/v3/voices/speech', json: body, retry: 'never', timeoutMs: this.timeouts.writeMs });
  }

  /** One page of `GET /v3/video-agents/styles`. */
  listStyles(query: { tag?: string; limit?: number; token?: string } = {}): Promise<Outcome<Page<StyleInfo>>> {
    return this.page<StyleInfo>({
      method: 'GET',
      path: '/v3/video-agents/styles',
      query: { tag: query.tag, limit: query.limit ?? 100, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  // ---- video translation and proofreads (API.md §2.18, §2.19) ------------------------------------

  /**
   * `POST /v3/video-translations` with an Idempotency-Key (documented for this endpoint): an
   * ambiguous failure is resent with the same key. One id per output language.
   */
  createTranslation(body: Record<string, unknown>, idempotencyKey: string): Promise<Outcome<{ video_translation_ids: string[] }>> {
    return this.call({ method: 'POST', path: '/v3/video-translations', json: body, idempotencyKey, retry: 'keyed', timeoutMs: this.timeouts.writeMs });
  }

  getTranslation(id: string): Promise<Outcome<Translation>> {
    return this.call({ method: 'GET', path: `/v3/video-translations/${encodeURIComponent(id)}`, retry: 'idempotent', timeoutMs: this.timeouts.readMs });
  }

  /** One page of `GET /v3/video-translations`. */
  listTranslations(query: { limit?: number; token?: string } = {}): Promise<Outcome<Page<Translation>>> {
    return this.page<Translation>({
      method: 'GET',
      path: '/v3/video-translations',
      query: { limit: query.limit ?? 100, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** `GET /v3/video-translations/statuses` for at most MAX_STATUS_IDS ids; rows carry the id in `video_id`. */
  translationStatuses(ids: readonly string[]): Promise<Outcome<StatusRow[]>> {
    if (ids.length === 0 || ids.length > MAX_STATUS_IDS) throw new RangeError(`translationStatuses takes 1-${MAX_STATUS_IDS} ids, got ${ids.length}`);
    return this.call({
      method: 'GET',
      path: '/v3/video-translations/statuses',
      query: { video_translation_ids: ids.join(',') },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /** `GET /v3/video-translations/languages`: the exact names `output_languages` takes. */
  translationLanguages(): Promise<Outcome<{ languages: string[] }>> {
    return this.call({ method: 'GET', path: '/v3/video-translations/languages', retry: 'idempotent', timeoutMs: this.timeouts.readMs });
  }

  deleteTranslation(id: string): Promise<Outcome<{ id: string }>> {
    return this.call({ method: 'DELETE', path: `/v3/video-translations/${encodeURIComponent(id)}`, retry: 'idempotent', timeoutMs: this.timeouts.writeMs });
  }

  /**
   * `POST /v3/video-translations/proofreads`. Idempotency is UNCONFIRMED here: the key is sent (a
   * server that honours it replays), but an ambiguous answer is never resent.
   */
  createProofreads(body: Record<string, unknown>, idempotencyKey: string): Promise<Outcome<CreatedProofreads>> {
    return this.call({ method: 'POST', path: '/v3/video-translations/proofreads', json: body, idempotencyKey, retry: 'never', timeoutMs: this.timeouts.writeMs });
  }

  getProofread(id: string): Promise<Outcome<Proofread>> {
    return this.call({ method: 'GET', path: `/v3/video-translations/proofreads/${encodeURIComponent(id)}`, retry: 'idempotent', timeoutMs: this.timeouts.readMs });
  }

  getProofreadSrt(id: string): Promise<Outcome<{ srt_url: string; original_srt_url?: string | null }>> {
    return this.call({ method: 'GET', path: `/v3/video-translations/proofreads/${encodeURIComponent(id)}/srt`, retry: 'idempotent', timeoutMs: this.timeouts.readMs });
  }

  /** `PUT …/srt`: replacing the subtitles twice with the same file is harmless, so it is resent. */
  putProofreadSrt(id: string, srt: Record<string, unknown>): Promise<Outcome<Proofread>> {
    return this.call({ method: 'PUT', path: `/v3/video-translations/proofreads/${encodeURIComponent(id)}/srt`, json: { srt }, retry: 'harmless', timeoutMs: this.timeouts.writeMs });
  }

  /**
   * `POST …/generate`: the billed render of a proofread. The key is sent (UNCONFIRMED whether it is
   * honoured) and an ambiguous answer is never resent: the caller falls back to a keyed create.
   */
  generateProofread(id: string, body: Record<string, unknown>, idempotencyKey: string): Promise<Outcome<{ video_translation_id: string; status: string }>> {
    return this.call({
      method: 'POST',
      path: `/v3/video-translations/proofreads/${encodeURIComponent(id)}/generate`,
      json: body,
      idempotencyKey,
      retry: 'never',
      timeoutMs: this.timeouts.writeMs,
    });
  }

  /** One page of `GET /v3/brand-glossaries`. */
  listGlossaries(query: { limit?: number; token?: string } = {}): Promise<Outcome<Page<BrandGlossary>>> {
    return this.page<BrandGlossary>({
      method: 'GET',
      path: '/v3/brand-glossaries',
      query: { limit: query.limit ?? 100, token: query.token },
      retry: 'idempotent',
      timeoutMs: this.timeouts.readMs,
    });
  }

  /**
   * One request exactly as given, never retried, for `reel doctor`: what HeyGen answered, how fast,
   * and whether it said the answer was replayed under the Idempotency-Key. Only cancellation throws.
   */
  async probe(method: 'GET' | 'POST', path: string, options: { query?: Record<string, string | number | undefined>; json?: unknown; idempotencyKey?: string } = {}): Promise<ProbeAnswer> {
    const kind = method === 'GET' ? 'read' : 'write';
    await this.gate.wait(kind, this.signal).catch((error: unknown) => this.cancelled(error));
    const spec: RequestSpec = {
      method,
      path,
      ...(options.query ? { query: options.query } : {}),
      ...(options.json !== undefined ? { json: options.json } : {}),
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      retry: 'never',
      timeoutMs: method === 'GET' ? this.timeouts.readMs : this.timeouts.writeMs,
    };
    const started = Date.now();
    const attempt = await this.attempt(spec);
    if (attempt.type === 'transport') {
      return { status: 0, ms: Date.now() - started, replayed: false, code: attempt.timedOut ? 'timeout' : 'network_error', message: transportMessage(attempt.error) };
    }
    const { status, envelope } = attempt;
    const answer: ProbeAnswer = { status, ms: attempt.ms, replayed: attempt.replayed, data: envelope.data, hasMore: envelope.has_more === true };
    if (attempt.requestId) answer.requestId = attempt.requestId;
    if (status >= 400 || envelope.error) {
      const failed = this.errorOutcome(status, envelope);
      if (failed.kind === 'error') {
        answer.code = failed.code;
        answer.message = failed.message;
      }
    }
    return answer;
  }

  private async page<T>(spec: RequestSpec): Promise<Outcome<Page<T>>> {
    const outcome = await this.send(spec);
    if (outcome.kind !== 'ok') return outcome;
    const env = outcome.value;
    const items = Array.isArray(env.data) ? (env.data as T[]) : [];
    const nextToken = typeof env.next_token === 'string' && env.next_token !== '' ? env.next_token : null;
    return {
      kind: 'ok',
      status: outcome.status,
      requestId: outcome.requestId,
      value: { items, hasMore: env.has_more === true && nextToken !== null, nextToken },
    };
  }

  private async call<T>(spec: RequestSpec): Promise<Outcome<T>> {
    const outcome = await this.send(spec);
    if (outcome.kind !== 'ok') return outcome;
    return { kind: 'ok', status: outcome.status, requestId: outcome.requestId, value: outcome.value.data as T };
  }

  /** One logical call: attempts, 429 waits and safe retries. */
  private async send(spec: RequestSpec): Promise<Outcome<Envelope>> {
    const kind = spec.method === 'GET' ? 'read' : 'write';
    let failures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      await this.gate.wait(kind, this.signal).catch((error: unknown) => this.cancelled(error));
      const attempt = await this.attempt(spec);
      if (attempt.type === 'response') {
        const { status, envelope, requestId, retryAfterMs } = attempt;
        if (status === 429) {
          // Rejected without processing: safe to resend for every method, after Retry-After.
          rateLimitWaits += 1;
          const wait = Math.min(retryAfterMs ?? this.backoff(rateLimitWaits - 1), this.retry.maxRetryAfterMs);
          this.gate.pause(wait, kind === 'read' ? 'all' : 'write');
          if (rateLimitWaits <= this.retry.maxRateLimitWaits) continue;
          return this.errorOutcome(status, envelope, requestId);
        }
        if (status === 409 && spec.retry === 'keyed' && errorCode(envelope) === 'request_in_progress') {
          // The first request with this key is still being handled: ask again later, same key.
          failures += 1;
          if (failures <= this.retry.maxRetries + 3) {
            await this.pause(this.backoff(failures - 1));
            continue;
          }
          return { kind: 'ambiguous', message: 'HeyGen still reports the request in progress (409 request_in_progress)' };
        }
        if (status >= 500) {
          failures += 1;
          if (spec.retry !== 'never' && failures <= this.retry.maxRetries) {
            await this.pause(this.backoff(failures - 1));
            continue;
          }
          if (spec.method === 'POST' && spec.retry !== 'harmless') {
            return { kind: 'ambiguous', message: `HeyGen answered ${status}${describe(envelope)}; the request may have been processed` };
          }
          return this.errorOutcome(status, envelope, requestId);
        }
        if (status >= 400) return this.errorOutcome(status, envelope, requestId);
        if (envelope.error) return this.errorOutcome(status, envelope, requestId);
        return { kind: 'ok', status, value: envelope, requestId };
      }
      // Transport failure: no HTTP answer.
      const { error, timedOut, refused } = attempt;
      failures += 1;
      // A refused connection never reached HeyGen, so even a billing POST may be sent again.
      const resend = refused || spec.retry !== 'never';
      if (resend && failures <= this.retry.maxRetries) {
        await this.pause(this.backoff(failures - 1));
        continue;
      }
      if (spec.method === 'POST' && spec.retry !== 'harmless' && !refused) {
        return {
          kind: 'ambiguous',
          message: timedOut ? 'the request timed out; it may have been processed' : `the connection failed (${transportMessage(error)}); the request may have been processed`,
          cause: error,
        };
      }
      return {
        kind: 'error',
        status: 0,
        code: timedOut ? 'timeout' : 'network_error',
        message: timedOut ? `${spec.method} ${spec.path} timed out` : `cannot reach ${redactedOrigin(new URL(this.baseUrl))}: ${transportMessage(error)}`,
      };
    }
  }

  private async attempt(
    spec: RequestSpec,
  ): Promise<
    | { type: 'response'; status: number; envelope: Envelope; requestId?: string; retryAfterMs?: number; replayed: boolean; ms: number }
    | { type: 'transport'; error: unknown; timedOut: boolean; refused: boolean }
  > {
    let url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      'x-api-key': this.apiKey,
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    let body: string | FormData | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.form) {
      body = spec.form;
    }
    if (spec.idempotencyKey) headers['idempotency-key'] = spec.idempotencyKey;
    const linked = linkedSignal(this.signal, spec.timeoutMs);
    const signal = linked.signal;
    const started = Date.now();
    try {
      let response = await this.fetchImpl(url, { method: spec.method, headers, body, signal, redirect: 'manual' });
      // Redirects are followed by hand, and only within the API's own origin: fetch would carry the
      // key and the body to wherever a Location header points.
      for (let hops = 0; REDIRECTS.has(response.status); hops += 1) {
        const location = response.headers.get('location');
        await response.body?.cancel().catch(() => {});
        const target = location ? new URL(location, url) : undefined;
        const keepsMethod = response.status === 307 || response.status === 308 || spec.method === 'GET';
        if (!target || target.origin !== url.origin || !keepsMethod || hops >= MAX_REDIRECTS) {
          this.onRequest?.({ method: spec.method, path: spec.path, status: response.status, ms: Date.now() - started });
          const where = target ? (target.origin === url.origin ? target.pathname : redactedOrigin(target)) : 'nowhere (no Location)';
          return {
            type: 'response',
            status: response.status,
            envelope: {
              error: {
                code: 'redirect_refused',
                message: `the API answered ${response.status}, redirecting to ${where}; reel follows redirects only within ${redactedOrigin(url)} and never sends the key elsewhere — set HEYGEN_API_URL to the API's address`,
              },
            },
            replayed: false,
            ms: Date.now() - started,
          };
        }
        url = target;
        response = await this.fetchImpl(url, { method: spec.method, headers, body, signal, redirect: 'manual' });
      }
      this.clock.observe(response.headers.get('date'));
      const text = await response.text();
      const requestId = response.headers.get('x-request-id') ?? undefined;
      this.onRequest?.({ method: spec.method, path: spec.path, status: response.status, ms: Date.now() - started });
      return {
        type: 'response',
        status: response.status,
        envelope: parseEnvelope(text),
        requestId,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        replayed: response.headers.get('idempotent-replayed') === 'true',
        ms: Date.now() - started,
      };
    } catch (error) {
      if (this.signal?.aborted) this.cancelled(error);
      this.onRequest?.({ method: spec.method, path: spec.path, status: 0, ms: Date.now() - started, error: transportMessage(error) });
      return { type: 'transport', error, timedOut: linked.timedOut(), refused: causeCode(error) === 'ECONNREFUSED' };
    } finally {
      linked.dispose();
    }
  }

  private errorOutcome(status: number, envelope: Envelope, requestId?: string): Outcome<never> {
    const err = envelope.error ?? {};
    const code = typeof err.code === 'string' && err.code !== '' && err.code !== 'error' ? err.code : codeForStatus(status);
    const message = typeof err.message === 'string' && err.message !== '' ? err.message : `HTTP ${status}`;
    const out: Outcome<never> = { kind: 'error', status, code, message, requestId };
    if (typeof err.param === 'string') out.param = err.param;
    return out;
  }

  private backoff(n: number): number {
    const base = Math.min(this.retry.baseDelayMs * 2 ** n, this.retry.maxDelayMs);
    return Math.round(base * (0.75 + this.random() * 0.5));
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, this.signal).catch((error: unknown) => this.cancelled(error));
  }

  private cancelled(cause: unknown): never {
    throw new CancelledError('cancelled', { cause });
  }
}

/**
 * `POST /v3/assets` takes "32 MB" (API.md §2.17): read as 32,000,000 bytes, the smaller reading, so
 * no file near the limit is refused whichever HeyGen means. Larger files go through direct uploads.
 */
export const MAX_MULTIPART_ASSET_BYTES = 32_000_000;

/**
 * A definite refusal: HeyGen answered a 4xx that means it processed the request and created nothing.
 * Not 409 (in progress, or a conflict that may concern a created job) and not 429 (not processed,
 * retried under the same key).
 */
export function isRefusal(outcome: Outcome<unknown>): outcome is Extract<Outcome<unknown>, { kind: 'error' }> {
  return outcome.kind === 'error' && outcome.status >= 400 && outcome.status < 500 && outcome.status !== 409 && outcome.status !== 429;
}

/**
 * A new Idempotency-Key for the same logical create after a refusal: the key's own part (up to a
 * previous renewal) plus `-r` and 8 random hex digits. Random, because a refusal replayed under a
 * derived key would be replayed again the next time the same derivation is made.
 */
export function freshKey(key: string): string {
  const base = key.replace(/-r[0-9a-f]{8}$/, '');
  return `${base}-r${randomBytes(4).toString('hex')}`;
}

/** API.md §4: the code HeyGen's CLI derives when the body carries none. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'validation_error';
    case 401:
      return 'unauthorized';
    case 402:
      return 'insufficient_credit';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limit_exceeded';
    default:
      return status >= 500 ? 'unclassified_server_error' : 'unclassified_client_error';
  }
}

/** `Retry-After` as integer seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function parseEnvelope(text: string): Envelope {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Envelope) : {};
  } catch {
    // Gateways answer HTML or plain text; the status alone classifies those.
    return {};
  }
}

function errorCode(envelope: Envelope): string | undefined {
  return typeof envelope.error?.code === 'string' ? envelope.error.code : undefined;
}

function describe(envelope: Envelope): string {
  const code = errorCode(envelope);
  return code ? ` (${code})` : '';
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** HTTP redirects; fetch runs with `redirect: 'manual'` and the client decides. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** An origin for messages, without any user:password it may carry. */
export function redactedOrigin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function transportMessage(error: unknown): string {
  const code = causeCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message}` : message;
}

/** Against a loopback API (the emulator, a local proxy): the same retry rules with short waits. */
export const LOCAL_RETRY: Partial<RetryPolicy> = { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 2000 };

/**
 * The client every command uses: key and base URL from `settings`, Ctrl-C threaded into every
 * fetch, reel's user agent, and short retry waits when the API is on this machine.
 */
export function connect(settings: { baseUrl: string; apiKey: string }, signal: AbortSignal, extra: Omit<Partial<ClientOptions>, 'baseUrl' | 'apiKey' | 'signal'> = {}): HeyGenClient {
  return new HeyGenClient({
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    signal,
    userAgent: 'reel-cli',
    retry: isLocalUrl(settings.baseUrl) ? LOCAL_RETRY : {},
    ...extra,
  });
}
