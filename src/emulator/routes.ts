/**
 * The HeyGen v3 endpoints. Each handler gets the parsed request and returns a Reply or throws an
 * HttpError; the server (server.ts) does auth, faults, idempotency and the wire format around them.
 */
import { createHash } from 'node:crypto';
import type { Look } from './catalog.js';
import type { BatchRecord, EndpointRecord, SessionRecord, World } from './world.js';
import { newId } from './ids.js';
import { HttpError, type Reply, idList, invalid, limitOf, listReply, notFound, ok, paginate } from './http.js';
import { checkRequest } from './schemas.js';
import { sniff } from './media.js';
import { TRANSLATION_ROUTES } from './translations.js';
import { AGENT_FILES_MAX, BATCH_MAX, MESSAGE_MAX, PROMPT_MAX, STATUS_IDS_MAX, agentDuration, checkAssetInput, checkUrl, checkVideoBody, speechSeconds, videoDuration } from './videos.js';

type Body = Record<string, unknown>;

/** What a handler sees of a request. */
export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  owner: string;
  /** Reads and parses the JSON body (validated against the endpoint's request schema). */
  json(): Promise<Body>;
  /** The raw body bytes, for multipart and direct uploads. */
  raw(limit: number): Promise<Buffer>;
  contentType: string;
}

export type Handler = (world: World, req: RouteRequest) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  /** Path with `{param}` segments, exactly as the contract keys it. */
  pattern: string;
  handler: Handler;
  /** A create that may be answered with `reset-after` and replayed by Idempotency-Key. */
  create?: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const EVENT_TYPES: Array<[string, string]> = [
  ['avatar_video.success', 'An avatar video finished rendering.'],
  ['avatar_video.fail', 'An avatar video failed to render.'],
  ['avatar_video_gif.success', 'The GIF preview of a video is ready.'],
  ['avatar_video_gif.fail', 'The GIF preview of a video failed.'],
  ['video_translate.success', 'A video translation finished.'],
  ['video_translate.fail', 'A video translation failed.'],
  ['video_translate.preflight.validation_failed', 'A translation request failed validation.'],
  ['video_translate.preflight.download_failed', 'A translation source could not be downloaded.'],
  ['personalized_video', 'A personalized video event.'],
  ['instant_avatar.success', 'An instant avatar is ready.'],
  ['instant_avatar.fail', 'An instant avatar failed.'],
  ['photo_avatar_generation.success', 'A photo avatar was generated.'],
  ['photo_avatar_generation.fail', 'A photo avatar generation failed.'],
  ['photo_avatar_train.success', 'A photo avatar was trained.'],
  ['photo_avatar_train.fail', 'A photo avatar training failed.'],
  ['photo_avatar_add_motion.success', 'Motion was added to a photo avatar.'],
  ['photo_avatar_add_motion.fail', 'Adding motion to a photo avatar failed.'],
  ['proofread_creation.success', 'A proofread was created.'],
  ['proofread_creation.fail', 'A proofread creation failed.'],
  ['live_avatar.success', 'A live avatar session succeeded.'],
  ['live_avatar.fail', 'A live avatar session failed.'],
  ['avatar_video_caption.success', 'Captions of a video are ready.'],
  ['avatar_video_caption.fail', 'Captions of a video failed.'],
  ['video_agent.success', 'A Video Agent session produced its video.'],
  ['video_agent.fail', 'A Video Agent session failed.'],
  ['hyperframes_video.success', 'A hyperframes video finished.'],
  ['hyperframes_video.fail', 'A hyperframes video failed.'],
  ['ai_clipping.success', 'An AI clipping job finished.'],
  ['ai_clipping.fail', 'An AI clipping job failed.'],
  ['batch.finished', 'Every item of a video batch is finished.'],
];

// ---- videos ---------------------------------------------------------------------------------

const createVideo: Handler = async (world, req) => {
  const body = await req.json();
  checkVideoBody(body, world.lookup(req.owner));
  world.admit(req.owner);
  world.charge(req.owner, videoDuration(body));
  const video = world.createDirectVideo(req.owner, body, req.path);
  return ok({ video_id: video.id, status: 'waiting', output_format: video.outputFormat });
};

const getVideo: Handler = (world, req) => {
  const video = world.ownedVideo(req.owner, req.params.video_id!);
  if (!video) throw notFound('video_not_found', `Video ${req.params.video_id} was not found.`, 'video_id');
  return ok(world.videoJson(video));
};

const listVideos: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 10, 100);
  const title = req.query.get('title');
  const folder = req.query.get('folder_id');
  const needle = title?.toLowerCase();
  const items = [...world.videos.values()]
    .filter((v) => v.owner === req.owner && !v.deleted)
    .filter((v) => !needle || (v.title ?? '').toLowerCase().includes(needle))
    .filter(() => !folder)
    .sort((a, b) => b.seq - a.seq);
  const now = world.now();
  return listReply(items, `videos:${title ?? ''}:${folder ?? ''}`, limit, req.query.get('token'), (v) => world.videoJson(v, now));
};

const deleteVideo: Handler = (world, req) => {
  const video = world.ownedVideo(req.owner, req.params.video_id!);
  if (!video) throw notFound('video_not_found', `Video ${req.params.video_id} was not found.`, 'video_id');
  video.deleted = true;
  return ok({ id: video.id, deleted: true });
};

const createBatch: Handler = async (world, req) => {
  const body = await req.json();
  const videos = body.videos as Body[];
  if (videos.length < 1 || videos.length > BATCH_MAX) throw invalid('videos', `videos must have 1 to ${BATCH_MAX} items`);
  checkUrl(body.callback_url, 'callback_url');
  const batch: BatchRecord = {
    id: newId('vb_', 5),
    owner: req.owner,
    seq: world.nextSeq(),
    title: str(body.title) ?? null,
    createdAt: world.now(),
    callbackUrl: str(body.callback_url) ?? null,
    items: videos.map((v, index) => ({ index, body: v, videoId: null, error: null })),
    notified: false,
  };
  world.batches.set(batch.id, batch);
  // Items are created asynchronously, as HeyGen does: they show `queued` with no video_id first.
  world.later(Math.min(50, world.options.renderSeconds * 50), () => {
    for (const item of batch.items) {
      try {
        checkVideoBody(item.body, world.lookup(req.owner));
        world.charge(req.owner, videoDuration(item.body));
        item.videoId = world.createDirectVideo(req.owner, item.body, req.path, batch.id).id;
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        item.error = { code: error.code, message: error.message };
      }
    }
    world.maybeFinishBatch(batch);
  });
  return ok({ batch_id: batch.id }, 202);
};

const getBatch: Handler = (world, req) => {
  const batch = world.batches.get(req.params.batch_id!);
  if (!batch || batch.owner !== req.owner) throw notFound('not_found', `Batch ${req.params.batch_id} was not found.`, 'batch_id');
  const limit = limitOf(req.query.get('limit'), 100, 100);
  const now = world.now();
  const counts: Record<string, number> = { queued: 0, processing: 0, completed: 0, failed: 0 };
  for (const item of batch.items) counts[world.batchItemStatus(item, now)]! += 1;
  // Items go oldest index first; the cursor helper pages by descending seq, so invert the index.
  const ordered = batch.items.map((item) => ({ item, seq: -item.index }));
  const { page, has_more, next_token } = paginate(ordered, `batch:${batch.id}`, limit, req.query.get('token'));
  return ok({
    batch_id: batch.id,
    title: batch.title,
    status: world.batchStatus(batch, now),
    total_items: batch.items.length,
    counts_by_status: counts,
    created_at: Math.floor(batch.createdAt / 1000),
    items: page.map(({ item }) => ({
      item_index: item.index,
      video_id: item.videoId,
      status: world.batchItemStatus(item, now),
      error: world.batchItemError(item),
    })),
    has_more,
    next_token,
  });
};

const statuses: Handler = (world, req) => {
  // Behaviour statusesFailing: the endpoint is new and keeps failing (API.md §2.6).
  if (world.behaviours.statusesFailing) throw new HttpError(500, 'internal_error', 'An internal error occurred. Please retry.');
  const videoIds = idList(req.query.get('video_ids'));
  const batchIds = idList(req.query.get('batch_ids'));
  if (videoIds.length + batchIds.length === 0) throw invalid('video_ids', 'video_ids or batch_ids is required');
  if (videoIds.length + batchIds.length > STATUS_IDS_MAX) {
    throw invalid('video_ids', `at most ${STATUS_IDS_MAX} ids per request (video_ids and batch_ids together)`);
  }
  const now = world.now();
  const lagMs = world.behaviours.statusLagSeconds * 1000;
  const data: Body[] = [];
  for (const id of videoIds) {
    const video = world.ownedVideo(req.owner, id);
    // Behaviour statusLagSeconds: this read model has not heard of a young video yet.
    if (!video || now - video.createdAt < lagMs) {
      data.push({ video_id: id, status: 'not_found' });
      continue;
    }
    const status = world.videoStatus(video, now);
    const row: Body = { video_id: id, status };
    if (status === 'failed') row.error = video.failure;
    data.push(row);
  }
  for (const id of batchIds) {
    const batch = world.batches.get(id);
    if (!batch || batch.owner !== req.owner) {
      data.push({ batch_id: id, video_id: null, status: 'not_found' });
      continue;
    }
    for (const item of batch.items) {
      const status = world.batchItemStatus(item, now);
      const row: Body = { batch_id: id, item_index: item.index, video_id: item.videoId, status };
      if (status === 'failed') row.error = world.batchItemError(item);
      data.push(row);
    }
  }
  return { status: 200, body: { data, has_more: false, next_token: null } };
};

// ---- video agents ---------------------------------------------------------------------------

function checkAgentIds(world: World, req: RouteRequest, body: Body): void {
  const lookup = world.lookup(req.owner);
  const avatar = str(body.avatar_id);
  if (avatar !== undefined && !lookup.looks.has(avatar)) throw notFound('avatar_not_found', `Avatar look ${avatar} was not found.`, 'avatar_id');
  const voice = str(body.voice_id);
  if (voice !== undefined && !lookup.voices.has(voice)) throw notFound('voice_not_found', `Voice ${voice} was not found.`, 'voice_id');
  const style = str(body.style_id);
  if (style !== undefined && !lookup.styles.has(style)) throw notFound('not_found', `Style ${style} was not found.`, 'style_id');
  const files = Array.isArray(body.files) ? (body.files as unknown[]) : [];
  if (files.length > AGENT_FILES_MAX) throw invalid('files', `files must have at most ${AGENT_FILES_MAX} items`);
  files.forEach((f, i) => checkAssetInput(f, `files[${i}]`, lookup));
}

const createSession: Handler = async (world, req) => {
  const body = await req.json();
  const prompt = String(body.prompt);
  if (prompt.trim().length < 1 || prompt.length > PROMPT_MAX) throw invalid('prompt', `prompt must be 1 to ${PROMPT_MAX} characters`);
  checkAgentIds(world, req, body);
  checkUrl(body.callback_url, 'callback_url');
  world.admit(req.owner);
  world.charge(req.owner, agentDuration(prompt));
  const session = world.createSession(req.owner, body);
  return ok({ session_id: session.id, status: session.status, video_id: session.videoId, created_at: Math.floor(session.createdAt / 1000) });
};

function ownedSession(world: World, req: RouteRequest): SessionRecord {
  const session = world.sessions.get(req.params.session_id!);
  if (!session || session.owner !== req.owner) throw notFound('not_found', `Session ${req.params.session_id} was not found.`, 'session_id');
  return session;
}

const getSession: Handler = (world, req) => ok(world.sessionJson(ownedSession(world, req)));

const sendMessage: Handler = async (world, req) => {
  const session = ownedSession(world, req);
  const body = await req.json();
  const message = String(body.message);
  if (message.trim().length < 1 || message.length > MESSAGE_MAX) throw invalid('message', `message must be 1 to ${MESSAGE_MAX} characters`);
  checkAgentIds(world, req, body);
  const runId = world.sendMessage(session, message);
  return ok({ session_id: session.id, run_id: runId, title: session.title });
};

const stopSession: Handler = async (world, req) => {
  const session = ownedSession(world, req);
  await req.json();
  world.stopSession(session);
  return ok({ session_id: session.id });
};

const listSessions: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 20, 100);
  // Behaviour sessionListLagSeconds: a new session is not listed at once.
  const listedBefore = world.now() - world.behaviours.sessionListLagSeconds * 1000;
  const items = [...world.sessions.values()].filter((s) => s.owner === req.owner && (world.behaviours.sessionListLagSeconds === 0 || s.createdAt <= listedBefore)).sort((a, b) => b.seq - a.seq);
  return listReply(items, 'sessions', limit, req.query.get('token'), (s) => ({ session_id: s.id, created_at: Math.floor(s.createdAt / 1000), title: s.title }));
};

const sessionVideos: Handler = (world, req) => {
  const session = ownedSession(world, req);
  const now = world.now();
  const data = [...session.videoIds]
    .reverse()
    .map((id) => world.videos.get(id))
    .filter((v) => v !== undefined && !v.deleted)
    .map((v) => world.videoJson(v!, now));
  return { status: 200, body: { data, has_more: false, next_token: null } };
};

const sessionResource: Handler = (world, req) => {
  const session = ownedSession(world, req);
  const resource = session.resources.get(req.params.resource_id!);
  if (resource) return ok(resource);
  const video = session.videoIds.includes(req.params.resource_id!) ? world.videos.get(req.params.resource_id!) : undefined;
  if (video) {
    const done = world.videoStatus(video) === 'completed';
    return ok({
      resource_id: video.id,
      resource_type: 'video',
      source_type: 'generated',
      url: done ? world.signedUrl(video.id, 'video.mp4') : null,
      preview_url: null,
      thumbnail_url: done ? world.signedUrl(video.id, 'thumbnail.jpg') : null,
      metadata: { duration: video.duration },
      created_at: Math.floor(video.createdAt / 1000),
    });
  }
  throw notFound('resource_not_found', `Resource ${req.params.resource_id} was not found in this session.`, 'resource_id');
};

// ---- catalog --------------------------------------------------------------------------------

const listStyles: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 20, 100);
  const tag = req.query.get('tag');
  const items = [...world.styles.values()].filter((s) => !tag || (s.tags ?? []).includes(tag)).map((s, i) => ({ s, seq: -i }));
  return listReply(items, `styles:${tag ?? ''}`, limit, req.query.get('token'), ({ s }) => ({
    style_id: s.style_id,
    name: s.name,
    aspect_ratio: s.aspect_ratio ?? null,
    preview_video_url: s.preview_video_url ?? null,
    thumbnail_url: s.thumbnail_url ?? null,
    tags: s.tags ?? [],
  }));
};

function lookJson(look: Look): Body {
  return {
    id: look.id,
    name: look.name,
    avatar_type: look.avatar_type,
    supported_api_engines: look.supported_api_engines,
    tags: look.tags,
    group_id: look.group_id ?? null,
    gender: look.gender ?? null,
    default_voice_id: look.default_voice_id ?? null,
    preview_image_url: look.preview_image_url ?? null,
    preview_video_url: look.preview_video_url ?? null,
    image_width: look.image_width ?? null,
    image_height: look.image_height ?? null,
    preferred_orientation: look.preferred_orientation ?? null,
  };
}

const listLooks: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 20, 50);
  const group = req.query.get('group_id');
  const type = req.query.get('avatar_type');
  const ownership = req.query.get('ownership');
  if (type && !['studio_avatar', 'digital_twin', 'photo_avatar'].includes(type)) throw invalid('avatar_type', 'avatar_type must be one of: studio_avatar, digital_twin, photo_avatar');
  if (ownership && !['public', 'private'].includes(ownership)) throw invalid('ownership', 'ownership must be one of: public, private');
  const items = [...world.looks.values()]
    .filter((l) => !group || l.group_id === group)
    .filter((l) => !type || l.avatar_type === type)
    .filter((l) => !ownership || (ownership === 'private') === (l.avatar_type === 'digital_twin'))
    .map((l, i) => ({ l, seq: -i }));
  return listReply(items, `looks:${group ?? ''}:${type ?? ''}:${ownership ?? ''}`, limit, req.query.get('token'), ({ l }) => lookJson(l));
};

const getLook: Handler = (world, req) => {
  const look = world.looks.get(req.params.look_id!);
  if (!look) throw notFound('avatar_not_found', `Avatar look ${req.params.look_id} was not found.`, 'look_id');
  return ok(lookJson(look));
};

const listVoices: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 20, 100);
  const type = req.query.get('type') ?? 'public';
  if (!['public', 'private'].includes(type)) throw invalid('type', 'type must be one of: public, private');
  const engine = req.query.get('engine');
  const language = req.query.get('language')?.toLowerCase();
  const gender = req.query.get('gender')?.toLowerCase();
  const items = [...world.voices.values()]
    .filter((v) => v.type === type)
    .filter((v) => !engine || !v.engines || v.engines.includes(engine))
    .filter((v) => !language || v.language.toLowerCase() === language)
    .filter((v) => !gender || v.gender.toLowerCase() === gender)
    .map((v, i) => ({ v, seq: -i }));
  return listReply(items, `voices:${type}:${engine ?? ''}:${language ?? ''}:${gender ?? ''}`, limit, req.query.get('token'), ({ v }) => ({
    voice_id: v.voice_id,
    name: v.name,
    language: v.language,
    gender: v.gender,
    type: v.type,
    support_pause: v.support_pause,
    support_locale: v.support_locale,
    preview_audio_url: v.preview_audio_url ?? null,
  }));
};

/**
 * `POST /v3/voices/speech` (API.md §2.21): synchronous, the audio is ready in the answer. The voice
 * must support the starfish engine; the error for one that does not is UNCONFIRMED (here: 400
 * `invalid_parameter` on `voice_id`). The audio is a WAV of the text's length at 150 words a minute.
 */
const createSpeech: Handler = async (world, req) => {
  const body = (await req.json()) as Record<string, unknown>;
  const text = typeof body.text === 'string' ? body.text : '';
  if (text.trim().length === 0 || [...text].length > 5000) throw invalid('text', 'text must be 1-5000 characters');
  const voice = world.voices.get(String(body.voice_id));
  if (!voice) throw notFound('voice_not_found', `Voice ${String(body.voice_id)} was not found.`, 'voice_id');
  if (voice.engines && !voice.engines.includes('starfish')) {
    throw invalid('voice_id', `Voice ${voice.voice_id} (${voice.name}) does not support the starfish engine, the only text-to-speech engine.`);
  }
  const inputType = body.input_type ?? 'text';
  if (inputType !== 'text' && inputType !== 'ssml') throw invalid('input_type', 'input_type must be one of: text, ssml');
  const speed = body.speed === undefined ? 1 : body.speed;
  if (typeof speed !== 'number' || speed < 0.5 || speed > 2) throw invalid('speed', 'speed must be between 0.5 and 2.0');
  const speech = world.createSpeech(req.owner, text, speechSeconds(text, speed));
  const words = text.split(/\s+/).filter(Boolean);
  const step = speech.duration / Math.max(1, words.length);
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return ok({
    audio_url: world.signedUrl(speech.id, 'speech.wav'),
    duration: speech.duration,
    request_id: speech.id,
    word_timestamps: words.map((word, i) => ({ word, start: round(i * step), end: round((i + 1) * step) })),
  });
};

const me: Handler = (world, req) =>
  ok({
    username: `emulator-${req.owner.slice(0, 4)}`,
    email: 'emulator@example.invalid',
    first_name: 'Reel',
    last_name: 'Emulator',
    billing_type: 'wallet',
    wallet: {
      currency: world.options.credits === null ? 'usd' : 'credits',
      remaining_balance: world.creditsLeft(req.owner) ?? world.options.walletUsd,
      auto_reload: { enabled: false, threshold_usd: null, amount_usd: null },
    },
    subscription: null,
    usage_based: null,
  });

// ---- webhooks -------------------------------------------------------------------------------

function endpointJson(e: EndpointRecord, withSecret: boolean): Body {
  return {
    endpoint_id: e.id,
    url: e.url,
    events: e.events,
    status: e.status,
    created_at: new Date(e.createdAt).toISOString(),
    secret: withSecret ? e.secret : null,
  };
}

function ownedEndpoint(world: World, req: RouteRequest): EndpointRecord {
  const endpoint = world.endpoints.get(req.params.endpoint_id!);
  if (!endpoint || endpoint.owner !== req.owner) throw notFound('not_found', `Webhook endpoint ${req.params.endpoint_id} was not found.`, 'endpoint_id');
  return endpoint;
}

const createEndpoint: Handler = async (world, req) => {
  const body = await req.json();
  checkUrl(body.url, 'url');
  const endpoint: EndpointRecord = {
    id: newId('ep_', 5),
    owner: req.owner,
    seq: world.nextSeq(),
    url: String(body.url),
    events: Array.isArray(body.events) ? (body.events as string[]) : null,
    entityId: str(body.entity_id) ?? null,
    status: 'enabled',
    createdAt: world.now(),
    secret: newId('whsec_', 16),
  };
  world.endpoints.set(endpoint.id, endpoint);
  return ok(endpointJson(endpoint, true));
};

const listEndpoints: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 10, 100);
  const items = [...world.endpoints.values()].filter((e) => e.owner === req.owner).sort((a, b) => b.seq - a.seq);
  return listReply(items, 'endpoints', limit, req.query.get('token'), (e) => endpointJson(e, false));
};

const patchEndpoint: Handler = async (world, req) => {
  const endpoint = ownedEndpoint(world, req);
  const body = await req.json();
  if (body.url !== undefined && body.url !== null) {
    checkUrl(body.url, 'url');
    endpoint.url = String(body.url);
  }
  if (body.events !== undefined) endpoint.events = Array.isArray(body.events) ? (body.events as string[]) : null;
  return ok(endpointJson(endpoint, false));
};

const deleteEndpoint: Handler = (world, req) => {
  const endpoint = ownedEndpoint(world, req);
  world.endpoints.delete(endpoint.id);
  return { status: 200, body: { data: {}, error: null } };
};

const rotateSecret: Handler = (world, req) => {
  const endpoint = ownedEndpoint(world, req);
  endpoint.secret = newId('whsec_', 16);
  return ok({ endpoint_id: endpoint.id, secret: endpoint.secret });
};

const eventTypes: Handler = () => ({
  status: 200,
  body: { data: EVENT_TYPES.map(([event_type, description]) => ({ event_type, description })), has_more: false, next_token: null },
});

const listEvents: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 10, 100);
  const type = req.query.get('event_type');
  if (type && !EVENT_TYPES.some(([t]) => t === type)) throw invalid('event_type', `event_type ${type} is not a known event type`);
  const entity = req.query.get('entity_id');
  const items = world.events.filter((e) => e.owner === req.owner && (!type || e.event_type === type) && (!entity || e.entity_id === entity)).sort((a, b) => b.seq - a.seq);
  return listReply(items, `events:${type ?? ''}:${entity ?? ''}`, limit, req.query.get('token'), (e) => ({
    event_id: e.event_id,
    event_type: e.event_type,
    event_data: e.event_data,
    created_at: e.created_at,
  }));
};

// ---- assets ---------------------------------------------------------------------------------

/** "32 MB" (API.md §2.17), taken as the smaller reading: 32,000,000 bytes. */
export const ASSET_MAX_BYTES = 32_000_000;

function assetUrl(world: World, id: string, name: string): string {
  return `${world.baseUrl}/assets/${id}/${encodeURIComponent(name)}`;
}

const uploadAsset: Handler = async (world, req) => {
  if (!req.contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw invalid('file', 'POST /v3/assets takes multipart/form-data with one part named "file"');
  }
  // Multipart framing adds a little; anything bigger cannot hold a file within the limit.
  const raw = await req.raw(ASSET_MAX_BYTES + 64 * 1024);
  let form: FormData;
  try {
    form = await new Request('http://emulator.invalid/', { method: 'POST', headers: { 'content-type': req.contentType }, body: raw }).formData();
  } catch (error) {
    throw invalid('file', `the multipart body could not be parsed: ${(error as Error).message}`);
  }
  const file = form.get('file');
  if (file === null || typeof file === 'string') throw invalid('file', 'a part named "file" holding a file is required');
  if (file.size > ASSET_MAX_BYTES) throw new HttpError(413, 'payload_too_large', 'Assets uploaded this way are limited to 32 MB; use direct uploads.', 'file');
  const bytes = Buffer.from(await file.arrayBuffer());
  const mime = sniff(bytes);
  if (!mime) throw invalid('file', 'unsupported file type (accepted: png, jpeg, mp4, webm, mp3, wav, pdf, srt)');
  const id = newId('ast_');
  const name = file.name || 'upload';
  world.assets.set(id, { id, owner: req.owner, name, mime, bytes, size: bytes.length, uploadedAt: world.now(), status: 'completed' });
  return ok({ asset_id: id, url: assetUrl(world, id, name), mime_type: mime, size_bytes: bytes.length });
};

const directUpload: Handler = async (world, req) => {
  const body = await req.json();
  const size = Number(body.size_bytes);
  if (!Number.isInteger(size) || size < 1) throw invalid('size_bytes', 'size_bytes must be a positive integer');
  const checksum = str(body.checksum_sha256);
  if (checksum !== undefined && !/^[0-9a-f]{64}$/i.test(checksum)) throw invalid('checksum_sha256', 'checksum_sha256 must be 64 hex digits');
  const id = newId('ast_');
  if (checksum !== undefined) world.uploadChecksums.set(id, checksum.toLowerCase());
  world.assets.set(id, {
    id,
    owner: req.owner,
    name: String(body.filename),
    mime: String(body.content_type),
    bytes: null,
    size,
    uploadedAt: world.now(),
    status: 'pending_upload',
  });
  return ok({
    asset_id: id,
    upload_url: `${world.baseUrl}/uploads/${id}`,
    upload_headers: { 'Content-Type': String(body.content_type) },
    expires_in_seconds: 3600,
    max_bytes: size,
    status: 'pending_upload',
  });
};

const completeUpload: Handler = async (world, req) => {
  const asset = world.assets.get(req.params.asset_id!);
  if (!asset || asset.owner !== req.owner) throw notFound('asset_not_found', `Asset ${req.params.asset_id} was not found.`, 'asset_id');
  const body = await req.json();
  if (!asset.bytes) throw new HttpError(409, 'conflict', 'Nothing was uploaded to upload_url yet.');
  // The checksum given at create or here must match the bytes that arrived.
  const expected = str(body.checksum_sha256)?.toLowerCase() ?? world.uploadChecksums.get(asset.id);
  if (expected !== undefined && createHash('sha256').update(asset.bytes).digest('hex') !== expected) {
    throw invalid('checksum_sha256', 'checksum_sha256 does not match the uploaded bytes');
  }
  asset.status = 'completed';
  return ok({ asset_id: asset.id, url: assetUrl(world, asset.id, asset.name), mime_type: asset.mime, size_bytes: asset.size, status: 'completed' });
};

const getAsset: Handler = (world, req) => {
  const asset = world.assets.get(req.params.asset_id!);
  if (!asset || (asset.owner !== null && asset.owner !== req.owner)) throw notFound('asset_not_found', `Asset ${req.params.asset_id} was not found.`, 'asset_id');
  const kind = asset.mime.split('/')[0] ?? 'file';
  return ok({
    id: asset.id,
    name: asset.name,
    type: kind === 'application' ? 'file' : kind,
    owner: asset.owner ?? 'heygen',
    space_id: 'space_emulator',
    uploaded_at: Math.floor(asset.uploadedAt / 1000),
    url: asset.status === 'completed' ? assetUrl(world, asset.id, asset.name) : null,
    folder_id: null,
  });
};

/** Every endpoint of the contract the emulator serves. */
export const ROUTES: Route[] = [
  { method: 'POST', pattern: '/v3/videos', handler: createVideo, create: true },
  { method: 'GET', pattern: '/v3/videos', handler: listVideos },
  { method: 'GET', pattern: '/v3/videos/statuses', handler: statuses },
  { method: 'POST', pattern: '/v3/videos/batches', handler: createBatch, create: true },
  { method: 'GET', pattern: '/v3/videos/batches/{batch_id}', handler: getBatch },
  { method: 'GET', pattern: '/v3/videos/{video_id}', handler: getVideo },
  { method: 'DELETE', pattern: '/v3/videos/{video_id}', handler: deleteVideo },
  { method: 'POST', pattern: '/v3/video-agents', handler: createSession, create: true },
  { method: 'GET', pattern: '/v3/video-agents', handler: listSessions },
  { method: 'GET', pattern: '/v3/video-agents/styles', handler: listStyles },
  { method: 'GET', pattern: '/v3/video-agents/{session_id}', handler: getSession },
  { method: 'POST', pattern: '/v3/video-agents/{session_id}', handler: sendMessage },
  { method: 'POST', pattern: '/v3/video-agents/{session_id}/stop', handler: stopSession },
  { method: 'GET', pattern: '/v3/video-agents/{session_id}/videos', handler: sessionVideos },
  { method: 'GET', pattern: '/v3/video-agents/{session_id}/resources/{resource_id}', handler: sessionResource },
  { method: 'GET', pattern: '/v3/avatars/looks', handler: listLooks },
  { method: 'GET', pattern: '/v3/avatars/looks/{look_id}', handler: getLook },
  { method: 'GET', pattern: '/v3/voices', handler: listVoices },
  { method: 'POST', pattern: '/v3/voices/speech', handler: createSpeech },
  { method: 'GET', pattern: '/v3/users/me', handler: me },
  { method: 'POST', pattern: '/v3/webhooks/endpoints', handler: createEndpoint },
  { method: 'GET', pattern: '/v3/webhooks/endpoints', handler: listEndpoints },
  { method: 'PATCH', pattern: '/v3/webhooks/endpoints/{endpoint_id}', handler: patchEndpoint },
  { method: 'DELETE', pattern: '/v3/webhooks/endpoints/{endpoint_id}', handler: deleteEndpoint },
  { method: 'POST', pattern: '/v3/webhooks/endpoints/{endpoint_id}/rotate-secret', handler: rotateSecret },
  { method: 'GET', pattern: '/v3/webhooks/event-types', handler: eventTypes },
  { method: 'GET', pattern: '/v3/webhooks/events', handler: listEvents },
  { method: 'POST', pattern: '/v3/assets', handler: uploadAsset },
  { method: 'POST', pattern: '/v3/assets/direct-uploads', handler: directUpload },
  { method: 'POST', pattern: '/v3/assets/{asset_id}/complete', handler: completeUpload },
  { method: 'GET', pattern: '/v3/assets/{asset_id}', handler: getAsset },
  ...TRANSLATION_ROUTES,
];

interface Compiled {
  route: Route;
  segments: string[];
}

/** Finds the route for a method and path: literal segments win over `{param}` ones. */
export class Router {
  private readonly byLength = new Map<number, Compiled[]>();

  constructor(routes: Route[]) {
    for (const route of routes) {
      const segments = route.pattern.split('/').slice(1);
      const list = this.byLength.get(segments.length) ?? [];
      list.push({ route, segments });
      this.byLength.set(segments.length, list);
    }
    for (const list of this.byLength.values()) {
      const literals = (c: Compiled): number => c.segments.filter((s) => !s.startsWith('{')).length;
      list.sort((a, b) => literals(b) - literals(a));
    }
  }

  /** `{ route, params }`, or `{ allowed }` (methods the path accepts) when only the method is wrong. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { route: null; allowed: string[] } {
    const parts = path.split('/').slice(1);
    const allowed: string[] = [];
    for (const candidate of this.byLength.get(parts.length) ?? []) {
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < parts.length; i += 1) {
        const seg = candidate.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith('{')) {
          if (part === '') {
            matched = false;
            break;
          }
          params[seg.slice(1, -1)] = decodeURIComponent(part);
        } else if (seg !== part) {
          matched = false;
          break;
        }
      }
      if (!matched) continue;
      if (candidate.route.method === method) return { route: candidate.route, params };
      allowed.push(candidate.route.method);
    }
    return { route: null, allowed };
  }
}

/** Validates a JSON body against the contract's request schema for `METHOD pattern`. */
export function validateBody(route: Route, body: unknown, strict = false): void {
  const problem = checkRequest(`${route.method} ${route.pattern}`, body, strict);
  if (problem) throw invalid(problem.param, problem.message);
}
