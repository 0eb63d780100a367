/**
 * Video translation and proofreads (API.md §2.18, §2.19): jobs that dub an existing video into one
 * language each, on the same clock, concurrency count, credits and faults as videos. A translated
 * "video" is a real MP4 and its captions a real SRT whose text is marked with the target language.
 */
import { randomBytes } from 'node:crypto';
import { HttpError, type Reply, idList, invalid, limitOf, listReply, notFound, ok } from './http.js';
import { mp4, srt } from './media.js';
import type { Handler, Route } from './routes.js';
import { FAIL_TRIGGER } from './videos.js';
import { isSrt } from '../util/srt.js';
import { newId } from './ids.js';
import type { Failure, World } from './world.js';

type Body = Record<string, unknown>;

/**
 * The names `GET /v3/video-translations/languages` lists (HeyGen lists 175+; these are enough to
 * exercise exact names, close matches and regional variants).
 */
export const LANGUAGES: readonly string[] = [
  'Arabic',
  'Chinese (Mandarin, Simplified)',
  'Dutch',
  'English',
  'English (United Kingdom)',
  'English (United States)',
  'French',
  'French (Canada)',
  'French (France)',
  'German',
  'German (Germany)',
  'Hindi',
  'Italian',
  'Japanese',
  'Korean',
  'Polish',
  'Portuguese',
  'Portuguese (Brazil)',
  'Spanish',
  'Spanish (Mexico)',
  'Spanish (Spain)',
  'Swedish',
  'Turkish',
];

/** Source length assumed for a URL the emulator did not serve itself. */
const FOREIGN_SOURCE_SECONDS = 30;

export interface TranslationRecord {
  id: string;
  owner: string;
  seq: number;
  title: string | null;
  language: string;
  mode: 'speed' | 'precision';
  audioOnly: boolean;
  captions: boolean;
  createdAt: number;
  startAt: number;
  doneAt: number;
  duration: number;
  /** The subtitles of the translated video (the reviewed SRT when one was given). */
  subtitles: string;
  failure: Failure | null;
  callbackUrl: string | null;
  callbackId: string | null;
  deleted: boolean;
}

export interface ProofreadRecord {
  id: string;
  owner: string;
  seq: number;
  title: string;
  language: string;
  createdAt: number;
  doneAt: number;
  duration: number;
  /** The editable target-language SRT (replaced by `PUT …/srt`). */
  srt: string;
  original: string;
  body: Body;
}

/** Per-world state, kept beside the World so world.ts stays about videos and sessions. */
export class Translations {
  records = new Map<string, TranslationRecord>();
  proofreads = new Map<string, ProofreadRecord>();

  constructor(private readonly world: World) {}

  reset(): void {
    this.records = new Map();
    this.proofreads = new Map();
  }

  /** Unfinished translations of a key (they count toward the concurrent job limit, §5). */
  active(owner: string, now = this.world.now()): number {
    let n = 0;
    for (const t of this.records.values()) if (t.owner === owner && !t.deleted && now < t.doneAt) n += 1;
    return n;
  }

  /** GET speaks `pending → running → completed|failed`; the finished word is configurable (UNCONFIRMED). */
  status(t: TranslationRecord, now = this.world.now()): string {
    if (now < t.startAt) return 'pending';
    if (now < t.doneAt) return 'running';
    return t.failure ? 'failed' : this.world.options.translationDoneStatus;
  }

  /** `/statuses` speaks the batch vocabulary: `queued`, `processing`, `completed`, `failed`. */
  rowStatus(t: TranslationRecord, now = this.world.now()): string {
    const s = this.status(t, now);
    return s === 'pending' ? 'queued' : s === 'running' ? 'processing' : s === 'failed' ? 'failed' : 'completed';
  }

  owned(owner: string, id: string): TranslationRecord | undefined {
    const t = this.records.get(id);
    return t && t.owner === owner && !t.deleted ? t : undefined;
  }

  /** What a source AssetInput points at: a video this emulator rendered, an uploaded asset, or elsewhere. */
  source(owner: string, video: unknown): { duration: number; text: string } {
    const v = video as Body | null | undefined;
    if (!v || typeof v !== 'object') throw invalid('video', 'video is required: {"type":"url","url":…} or {"type":"asset_id","asset_id":…}');
    if (v.type === 'asset_id') {
      const id = String(v.asset_id ?? '');
      if (!this.world.lookup(owner).hasAsset(id)) throw invalid('video', `asset ${id} was not found`);
      return { duration: FOREIGN_SOURCE_SECONDS, text: '' };
    }
    if (v.type !== 'url' || typeof v.url !== 'string') throw invalid('video', 'video must be {"type":"url"} or {"type":"asset_id"} (base64 is not accepted here)');
    const own = /\/files\/([0-9a-f]+)\/video\.(mp4|webm)\?/.exec(v.url);
    const rendered = own ? this.world.ownedVideo(owner, own[1]!) : undefined;
    if (own && (!rendered || this.world.videoStatus(rendered) !== 'completed')) {
      throw invalid('video', 'the source video URL does not point at a completed video of this account');
    }
    return rendered ? { duration: rendered.duration, text: rendered.text } : { duration: FOREIGN_SOURCE_SECONDS, text: '' };
  }

  checkLanguages(value: unknown): string[] {
    if (!Array.isArray(value) || value.length === 0) throw invalid('output_languages', 'output_languages must list at least one language');
    for (const name of value) {
      if (typeof name !== 'string' || !LANGUAGES.includes(name)) {
        throw invalid('output_languages', `unsupported language ${JSON.stringify(name)}; GET /v3/video-translations/languages lists the names`);
      }
    }
    return value as string[];
  }

  /** The reviewed SRT from an `srt` AssetInput (asset ids only are read; URLs are trusted). */
  private givenSrt(owner: string, value: unknown): string | undefined {
    const v = value as Body | null | undefined;
    if (v?.type !== 'asset_id') return undefined;
    const asset = this.world.assets.get(String(v.asset_id));
    if (!asset || !this.world.lookup(owner).hasAsset(asset.id) || !asset.bytes) throw invalid('srt', `asset ${String(v.asset_id)} was not found`);
    if (asset.mime !== 'application/x-subrip') throw invalid('srt', `asset ${asset.id} is not an SRT file`);
    return asset.bytes.toString('utf8');
  }

  create(owner: string, body: Body, requestPath: string, reviewed?: string): TranslationRecord[] {
    const languages = this.checkLanguages(body.output_languages);
    const source = this.source(owner, body.video);
    const subtitles = reviewed ?? (body.srt_role === 'output' ? this.givenSrt(owner, body.srt) : undefined);
    // Each language is a job of its own: all must fit under the limit, and all are charged.
    for (let i = 0; i < languages.length; i++) this.world.admit(owner, i);
    for (let i = 0; i < languages.length; i++) this.world.charge(owner, source.duration);
    const now = this.world.now();
    const total = this.world.options.renderSeconds * 1000;
    return languages.map((language) => {
      const failure =
        source.text.includes(FAIL_TRIGGER) || this.world.faults.renderFails('POST', requestPath) ? { code: 'translation_failed', message: 'The speech track could not be translated.' } : null;
      const t: TranslationRecord = {
        id: `${randomBytes(16).toString('hex')}-${language
          .toLowerCase()
          .replace(/[^a-z]+/g, '')
          .slice(0, 2)}`,
        owner,
        seq: this.world.nextSeq(),
        title: typeof body.title === 'string' ? body.title : null,
        language,
        mode: body.mode === 'precision' ? 'precision' : 'speed',
        audioOnly: body.translate_audio_only === true,
        captions: body.enable_caption === true || subtitles !== undefined,
        createdAt: now,
        startAt: now + total * 0.25,
        doneAt: now + total,
        duration: source.duration,
        subtitles: subtitles ?? translatedSrt(language, source.text, source.duration),
        failure,
        callbackUrl: typeof body.callback_url === 'string' ? body.callback_url : null,
        callbackId: typeof body.callback_id === 'string' ? body.callback_id : null,
        deleted: false,
      };
      this.records.set(t.id, t);
      this.world.later(total, () => this.finished(t));
      return t;
    });
  }

  private finished(t: TranslationRecord): void {
    if (t.failure) this.world.refund(t.owner, t.duration);
    if (t.deleted) return;
    const data: Body = t.failure
      ? { video_translate_id: t.id, message: t.failure.message, callback_id: t.callbackId, output_language: t.language }
      : { video_translate_id: t.id, url: this.world.signedUrl(t.id, 'video.mp4'), callback_id: t.callbackId, output_language: t.language };
    this.world.emit(t.owner, t.failure ? 'video_translate.fail' : 'video_translate.success', data, t.id, t.callbackUrl);
  }

  json(t: TranslationRecord, now = this.world.now()): Body {
    const status = this.status(t, now);
    const done = status !== 'pending' && status !== 'running' && status !== 'failed';
    const out: Body = {
      id: t.id,
      status,
      title: t.title,
      input_language: 'English',
      output_language: t.language,
      duration: done ? t.duration : null,
      created_at: Math.floor(t.createdAt / 1000),
      callback_id: t.callbackId,
      translate_audio_only: t.audioOnly,
      video_url: done && !t.audioOnly ? this.world.signedUrl(t.id, 'video.mp4', now) : null,
      audio_url: done ? this.world.signedUrl(t.id, 'audio.mp3', now) : null,
      srt_caption_url: done && t.captions ? this.world.signedUrl(t.id, 'captions.srt', now) : null,
      vtt_caption_url: null,
      failure_message: status === 'failed' && t.failure ? t.failure.message : null,
    };
    return out;
  }

  /** The bytes behind a translation's or proofread's file name. */
  fileOf(id: string, file: string): { body: Buffer; type: string } | null {
    const t = this.records.get(id);
    if (t && !t.deleted && this.status(t) !== 'failed' && this.world.now() >= t.doneAt) {
      if (file === 'video.mp4' && !t.audioOnly) return { body: mp4(`${t.id}/${t.language}`, t.duration), type: 'video/mp4' };
      if (file === 'audio.mp3') return { body: mp3(`${t.id}/audio`, t.duration), type: 'audio/mpeg' };
      if (file === 'captions.srt' && t.captions) return { body: Buffer.from(t.subtitles), type: 'application/x-subrip' };
      return null;
    }
    const p = this.proofreads.get(id);
    if (p && this.world.now() >= p.doneAt) {
      if (file === 'proofread.srt') return { body: Buffer.from(p.srt), type: 'application/x-subrip' };
      if (file === 'original.srt') return { body: Buffer.from(p.original), type: 'application/x-subrip' };
    }
    return null;
  }

  createProofreads(owner: string, body: Body): ProofreadRecord[] {
    const languages = this.checkLanguages(body.output_languages);
    if (typeof body.title !== 'string' || body.title === '') throw invalid('title', 'title is required (it also names the SRT files)');
    const source = this.source(owner, body.video);
    const now = this.world.now();
    const total = this.world.options.renderSeconds * 1000;
    return languages.map((language) => {
      const p: ProofreadRecord = {
        id: newId('pr_'),
        owner,
        seq: this.world.nextSeq(),
        title: String(body.title),
        language,
        createdAt: now,
        doneAt: now + total,
        duration: source.duration,
        srt: translatedSrt(language, source.text, source.duration),
        original: srt(source.text || '…', source.duration),
        body,
      };
      this.proofreads.set(p.id, p);
      return p;
    });
  }

  proofreadJson(p: ProofreadRecord, now = this.world.now()): Body {
    return {
      id: p.id,
      status: now < p.doneAt ? 'processing' : 'completed',
      title: p.title,
      input_language: 'English',
      output_language: p.language,
      created_at: Math.floor(p.createdAt / 1000),
      submitted_for_review: false,
    };
  }

  ownedProofread(owner: string, id: string): ProofreadRecord {
    const p = this.proofreads.get(id);
    if (!p || p.owner !== owner) throw notFound('not_found', `Proofread ${id} was not found.`, 'proofread_id');
    return p;
  }
}

/** The dubbed soundtrack: an ID3v2 header (what HeyGen's MP3s and a sniffer recognise) before seeded bytes. */
function mp3(seed: string, duration: number): Buffer {
  const id3 = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  return Buffer.concat([id3, mp4(seed, duration).subarray(8)]);
}

/** An SRT "in" the target language: each cue of the source's text, marked with the language's name. */
export function translatedSrt(language: string, text: string, duration: number): string {
  const words = text.trim() === '' ? ['…'] : text.split(/\s+/).filter(Boolean);
  return srt(`[${language}] ${words.join(' ')}`, duration);
}

// ---- routes --------------------------------------------------------------------------------

const createTranslation: Handler = async (world, req) => {
  const body = await req.json();
  const created = world.translations.create(req.owner, body, req.path);
  return ok({ video_translation_ids: created.map((t) => t.id) });
};

const getTranslation: Handler = (world, req) => {
  const t = world.translations.owned(req.owner, req.params.video_translation_id!);
  if (!t) throw notFound('not_found', `Video translation ${req.params.video_translation_id} was not found.`, 'video_translation_id');
  return ok(world.translations.json(t));
};

const listTranslations: Handler = (world, req) => {
  const limit = limitOf(req.query.get('limit'), 10, 100);
  const items = [...world.translations.records.values()].filter((t) => t.owner === req.owner && !t.deleted).sort((a, b) => b.seq - a.seq);
  const now = world.now();
  return listReply(items, 'video-translations', limit, req.query.get('token'), (t) => world.translations.json(t, now));
};

const deleteTranslation: Handler = (world, req) => {
  const t = world.translations.owned(req.owner, req.params.video_translation_id!);
  if (!t) throw notFound('not_found', `Video translation ${req.params.video_translation_id} was not found.`, 'video_translation_id');
  t.deleted = true;
  return ok({ id: t.id });
};

const translationStatuses: Handler = (world, req) => {
  const ids = idList(req.query.get('video_translation_ids'));
  const batches = idList(req.query.get('batch_ids'));
  if (ids.length + batches.length === 0) throw invalid('video_translation_ids', 'video_translation_ids or batch_ids is required');
  if (ids.length + batches.length > 100) throw invalid('video_translation_ids', 'at most 100 ids per request');
  const now = world.now();
  const data: Body[] = ids.map((id) => {
    const t = world.translations.owned(req.owner, id);
    if (!t) return { video_id: id, status: 'not_found' };
    const status = world.translations.rowStatus(t, now);
    return status === 'failed' ? { video_id: id, status, error: { code: t.failure?.code ?? 'failed', message: t.failure?.message ?? 'failed' } } : { video_id: id, status };
  });
  for (const id of batches) data.push({ batch_id: id, video_id: null, status: 'not_found' });
  return { status: 200, body: { data, has_more: false, next_token: null } };
};

const languages: Handler = () => ok({ languages: [...LANGUAGES] });

const createProofreads: Handler = async (world, req) => {
  const body = await req.json();
  const created = world.translations.createProofreads(req.owner, body);
  return ok({ proofread_ids: created.map((p) => p.id), status: 'processing' });
};

const getProofread: Handler = (world, req) => ok(world.translations.proofreadJson(world.translations.ownedProofread(req.owner, req.params.proofread_id!)));

const getProofreadSrt: Handler = (world, req) => {
  const p = world.translations.ownedProofread(req.owner, req.params.proofread_id!);
  if (world.now() < p.doneAt) throw new HttpError(409, 'resource_not_ready', 'The proofread is still processing; poll it until it is completed.');
  return ok({ srt_url: world.signedUrl(p.id, 'proofread.srt'), original_srt_url: world.signedUrl(p.id, 'original.srt') });
};

const putProofreadSrt: Handler = async (world, req) => {
  const body = await req.json();
  const p = world.translations.ownedProofread(req.owner, req.params.proofread_id!);
  const v = body.srt as Body | null | undefined;
  const asset = v?.type === 'asset_id' ? world.assets.get(String(v.asset_id)) : undefined;
  if (!asset?.bytes || !world.lookup(req.owner).hasAsset(asset.id)) throw invalid('srt', 'srt must be an uploaded SRT asset of this account');
  const text = asset.bytes.toString('utf8');
  if (!isSrt(text)) throw invalid('srt', 'the file is not a valid SRT');
  p.srt = text;
  return ok(world.translations.proofreadJson(p));
};

const generateProofread: Handler = async (world, req): Promise<Reply> => {
  const body = await req.json();
  const p = world.translations.ownedProofread(req.owner, req.params.proofread_id!);
  if (world.now() < p.doneAt) throw new HttpError(409, 'resource_not_ready', 'The proofread is still processing.');
  const [t] = world.translations.create(
    req.owner,
    { ...p.body, output_languages: [p.language], enable_caption: body.captions === true, callback_url: body.callback_url, callback_id: body.callback_id },
    req.path,
    p.srt,
  );
  return ok({ video_translation_id: t!.id, status: 'processing' });
};

/** Glossaries are made in the web app; the API lists them (§2.22). */
export const GLOSSARIES = [{ brand_glossary_id: 'bg_acme', name: 'Acme product names', created_at: '2026-01-05T10:00:00Z', updated_at: '2026-03-01T09:30:00Z' }];

const listGlossaries: Handler = (_world, req) => {
  const limit = limitOf(req.query.get('limit'), 10, 100);
  const items = GLOSSARIES.map((g, i) => ({ ...g, seq: GLOSSARIES.length - i }));
  return listReply(items, 'brand-glossaries', limit, req.query.get('token'), ({ seq: _seq, ...g }) => g);
};

export const TRANSLATION_ROUTES: Route[] = [
  { method: 'POST', pattern: '/v3/video-translations', handler: createTranslation, create: true },
  { method: 'GET', pattern: '/v3/video-translations', handler: listTranslations },
  { method: 'GET', pattern: '/v3/video-translations/statuses', handler: translationStatuses },
  { method: 'GET', pattern: '/v3/video-translations/languages', handler: languages },
  { method: 'POST', pattern: '/v3/video-translations/proofreads', handler: createProofreads, create: true },
  { method: 'GET', pattern: '/v3/video-translations/proofreads/{proofread_id}', handler: getProofread },
  { method: 'GET', pattern: '/v3/video-translations/proofreads/{proofread_id}/srt', handler: getProofreadSrt },
  { method: 'PUT', pattern: '/v3/video-translations/proofreads/{proofread_id}/srt', handler: putProofreadSrt },
  { method: 'POST', pattern: '/v3/video-translations/proofreads/{proofread_id}/generate', handler: generateProofread, create: true },
  { method: 'GET', pattern: '/v3/video-translations/{video_translation_id}', handler: getTranslation },
  { method: 'DELETE', pattern: '/v3/video-translations/{video_translation_id}', handler: deleteTranslation },
  { method: 'GET', pattern: '/v3/brand-glossaries', handler: listGlossaries },
];
