/**
 * Rules about direct video requests that schemas.json cannot express: API.md's prose limits,
 * mutual exclusions, engine/avatar-type rules, and ids checked against the catalog and the uploaded
 * assets. Also how long a requested video will be.
 */
import type { Catalog, Engine, Look, Voice } from './catalog.js';
import { invalid, notFound } from './http.js';

type Body = Record<string, unknown>;

export const SCRIPT_MAX = 5000;
export const PROMPT_MAX = 10_000;
export const MESSAGE_MAX = 10_000;
export const AGENT_FILES_MAX = 20;
export const BATCH_MAX = 100;
export const STATUS_IDS_MAX = 100;
export const WORDS_PER_MINUTE = 150;
/** A test trigger: a direct `script` containing it renders `failed`. */
export const FAIL_TRIGGER = '[emulator:fail]';
/** A test trigger: a generate-mode agent `prompt` containing it stops at `waiting_for_input`. */
export const ASK_TRIGGER = '[emulator:ask]';

/** Read-only view of what the request may refer to. */
export interface Lookup {
  looks: Map<string, Look>;
  voices: Map<string, Voice>;
  styles: Map<string, Catalog['styles'][number]>;
  hasAsset(id: string): boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Body | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : undefined);

export function checkUrl(value: unknown, param: string): void {
  const s = str(value);
  if (s === undefined) return;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw invalid(param, `${param} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(param, `${param} must be an absolute http(s) URL`);
}

/** An AssetInput (url | asset_id | base64): the asset must exist here, a URL must be absolute. */
export function checkAssetInput(value: unknown, param: string, lookup: Lookup): void {
  const input = obj(value);
  if (!input) return;
  if (input.type === 'asset_id') {
    const id = str(input.asset_id) ?? '';
    if (!lookup.hasAsset(id)) throw notFound('asset_not_found', `Asset ${id} was not found. Upload it with POST /v3/assets first.`, `${param}.asset_id`);
  } else if (input.type === 'url') {
    checkUrl(input.url, `${param}.url`);
  } else if (input.type === 'base64') {
    const data = str(input.data) ?? '';
    if (data.length === 0 || !/^[A-Za-z0-9+/=\s]+$/.test(data)) throw invalid(`${param}.data`, `${param}.data must be base64`);
  }
}

function checkVoiceId(id: string | undefined, param: string, lookup: Lookup): Voice | undefined {
  if (id === undefined) return undefined;
  const voice = lookup.voices.get(id);
  if (!voice) throw notFound('voice_not_found', `Voice ${id} was not found.`, param);
  return voice;
}

function checkLookId(id: string, param: string, lookup: Lookup): Look {
  const look = lookup.looks.get(id);
  if (!look) throw notFound('avatar_not_found', `Avatar look ${id} was not found.`, param);
  return look;
}

function checkVoiceSettings(settings: Body | undefined, voice: Voice | undefined, prefix: string): void {
  if (!settings) return;
  const range = (key: string, min: number, max: number): void => {
    const v = settings[key];
    if (typeof v === 'number' && (v < min || v > max)) {
      throw invalid(`${prefix}voice_settings.${key}`, `${prefix}voice_settings.${key} must be between ${min} and ${max}`);
    }
  };
  range('speed', 0.5, 1.5);
  range('pitch', -50, 50);
  range('volume', 0, 1);
  const engine = obj(settings.engine_settings);
  const type = str(engine?.engine_type);
  if (type && voice?.engines && !voice.engines.includes(type)) {
    throw invalid(`${prefix}voice_settings.engine_settings.engine_type`, `Voice ${voice.voice_id} does not support the ${type} engine (supported: ${voice.engines.join(', ')})`);
  }
}

/** Checks the parts shared by `avatar` and `image` bodies. `prefix` is e.g. `videos[2].` in a batch. */
function checkSpoken(body: Body, lookup: Lookup, prefix: string, voiceRequired: boolean): void {
  const script = str(body.script);
  const audio = str(body.audio_url) ?? str(body.audio_asset_id);
  if (script !== undefined && script.length > SCRIPT_MAX) throw invalid(`${prefix}script`, `${prefix}script must be at most ${SCRIPT_MAX} characters`);
  if (script !== undefined && script.trim() === '') throw invalid(`${prefix}script`, `${prefix}script must not be empty`);
  if (script !== undefined && audio !== undefined) {
    throw invalid(`${prefix}script`, `${prefix}script cannot be combined with audio_url or audio_asset_id`);
  }
  if (str(body.audio_url) !== undefined && str(body.audio_asset_id) !== undefined) {
    throw invalid(`${prefix}audio_url`, `${prefix}audio_url and audio_asset_id are mutually exclusive`);
  }
  if (script === undefined && audio === undefined) {
    throw invalid(`${prefix}script`, `${prefix}script (with voice_id) or audio_url / audio_asset_id is required`);
  }
  checkUrl(body.audio_url, `${prefix}audio_url`);
  const audioAsset = str(body.audio_asset_id);
  if (audioAsset !== undefined && !lookup.hasAsset(audioAsset)) {
    throw notFound('asset_not_found', `Asset ${audioAsset} was not found.`, `${prefix}audio_asset_id`);
  }
  if (script !== undefined && voiceRequired && str(body.voice_id) === undefined) {
    throw invalid(`${prefix}voice_id`, `${prefix}voice_id is required when script is given`);
  }
  const voice = checkVoiceId(str(body.voice_id), `${prefix}voice_id`, lookup);
  checkVoiceSettings(obj(body.voice_settings), voice, prefix);

  const background = obj(body.background);
  if (background) {
    if (background.type === 'color') {
      const value = str(background.value);
      if (!value || !/^#[0-9a-fA-F]{6}$/.test(value)) throw invalid(`${prefix}background.value`, `${prefix}background.value must be a hex color like #0B1F3A`);
    } else if (background.type === 'image') {
      const url = str(background.url);
      const asset = str(background.asset_id);
      if ((url === undefined) === (asset === undefined)) throw invalid(`${prefix}background.url`, `${prefix}background needs exactly one of url or asset_id`);
      checkUrl(url, `${prefix}background.url`);
      if (asset !== undefined && !lookup.hasAsset(asset)) throw notFound('asset_not_found', `Asset ${asset} was not found.`, `${prefix}background.asset_id`);
    }
    if (body.output_format === 'webm') throw invalid(`${prefix}background`, `${prefix}background cannot be used with output_format webm`);
  }
  const watermark = obj(body.watermark);
  if (watermark) checkAssetInput(watermark.image, `${prefix}watermark.image`, lookup);
  checkUrl(body.callback_url, `${prefix}callback_url`);
}

/**
 * Checks a `POST /v3/videos` body (already valid against the schema) the way HeyGen's server does.
 * Throws an HttpError (400 invalid_parameter, 404 *_not_found) on the first problem.
 */
export function checkVideoBody(body: Body, lookup: Lookup, prefix = ''): void {
  switch (body.type) {
    case 'avatar': {
      const look = checkLookId(String(body.avatar_id), `${prefix}avatar_id`, lookup);
      checkSpoken(body, lookup, prefix, false);
      if (str(body.script) !== undefined && str(body.voice_id) === undefined && !look.default_voice_id) {
        throw invalid(`${prefix}voice_id`, `Avatar look ${look.id} has no default voice: voice_id is required when script is given`);
      }
      const engine = (str(obj(body.engine)?.type) ?? 'avatar_iv') as Engine;
      if (!look.supported_api_engines.includes(engine)) {
        throw invalid(`${prefix}engine.type`, `Avatar look ${look.id} does not support the ${engine} engine (supported: ${look.supported_api_engines.join(', ')})`);
      }
      const photo = look.avatar_type === 'photo_avatar';
      if (str(body.motion_prompt) !== undefined) {
        if (engine === 'avatar_iii' || (!photo && engine !== 'avatar_v')) {
          throw invalid(`${prefix}motion_prompt`, `${prefix}motion_prompt is not supported for this avatar with the ${engine} engine`);
        }
      }
      if (str(body.expressiveness) !== undefined && (!photo || engine !== 'avatar_iv')) {
        throw invalid(`${prefix}expressiveness`, `${prefix}expressiveness is only supported for photo avatars with the avatar_iv engine`);
      }
      const reference = str(obj(body.engine)?.reference_look_id);
      if (reference !== undefined) checkLookId(reference, `${prefix}engine.reference_look_id`, lookup);
      return;
    }
    case 'image':
      checkAssetInput(body.image, `${prefix}image`, lookup);
      checkSpoken(body, lookup, prefix, true);
      return;
    case 'cinematic_avatar': {
      const ids = Array.isArray(body.avatar_id) ? (body.avatar_id as unknown[]) : [];
      if (ids.length < 1 || ids.length > 3) throw invalid(`${prefix}avatar_id`, `${prefix}avatar_id must list 1 to 3 looks`);
      ids.forEach((id, i) => checkLookId(String(id), `${prefix}avatar_id[${i}]`, lookup));
      const duration = body.duration;
      if (typeof duration === 'number' && (!Number.isInteger(duration) || duration < 4 || duration > 15)) {
        throw invalid(`${prefix}duration`, `${prefix}duration must be an integer between 4 and 15`);
      }
      if (typeof body.prompt !== 'string' || body.prompt.trim() === '') throw invalid(`${prefix}prompt`, `${prefix}prompt is required`);
      const refs = Array.isArray(body.references) ? (body.references as unknown[]) : [];
      refs.forEach((r, i) => checkAssetInput(r, `${prefix}references[${i}]`, lookup));
      return;
    }
    case 'studio': {
      const scenes = Array.isArray(body.scenes) ? (body.scenes as unknown[]) : [];
      if (scenes.length < 1 || scenes.length > 50) throw invalid(`${prefix}scenes`, `${prefix}scenes must have 1 to 50 items`);
      scenes.forEach((raw, i) => {
        const scene = obj(raw) ?? {};
        const p = `${prefix}scenes[${i}].`;
        const input = obj(scene.input);
        if (scene.type === 'avatar_video' && input?.type === 'avatar') checkLookId(String(input.avatar_id), `${p}input.avatar_id`, lookup);
        if (scene.type === 'avatar_video' && input?.type === 'image') checkAssetInput(input.image, `${p}input.image`, lookup);
        if (scene.type === 'image' || scene.type === 'video') checkAssetInput(scene.source, `${p}source`, lookup);
        const d = scene.duration;
        if (scene.type === 'image' && typeof d === 'number' && (d <= 0 || d > 300)) throw invalid(`${p}duration`, `${p}duration must be greater than 0 and at most 300`);
        checkVoiceId(str(input?.voice_id ?? scene.voice_id), `${p}voice_id`, lookup);
      });
      checkUrl(body.callback_url, `${prefix}callback_url`);
      return;
    }
    default:
      throw invalid(`${prefix}type`, `${prefix}type must be one of: avatar, image, cinematic_avatar, studio`);
  }
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Seconds of speech: words at 150 a minute divided by the voice speed, at least one second. */
export function speechSeconds(script: string, speed = 1): number {
  return Math.max(1, Math.round(((words(script) / WORDS_PER_MINUTE) * 60 * 100) / (speed || 1)) / 100);
}

/** How long the video a direct body asks for will be, in seconds. */
export function videoDuration(body: Body): number {
  const speed = typeof obj(body.voice_settings)?.speed === 'number' ? (obj(body.voice_settings)!.speed as number) : 1;
  switch (body.type) {
    case 'avatar':
    case 'image':
      return typeof body.script === 'string' ? speechSeconds(body.script, speed) : 30;
    case 'cinematic_avatar':
      return typeof body.duration === 'number' ? body.duration : 10;
    case 'studio': {
      const scenes = Array.isArray(body.scenes) ? (body.scenes as Body[]) : [];
      let total = 0;
      for (const scene of scenes) {
        const script = str(obj(scene.input)?.script ?? scene.script);
        if (script) total += speechSeconds(script);
        else if (typeof scene.duration === 'number') total += scene.duration;
        else total += 5;
      }
      return Math.round(total * 100) / 100 || 5;
    }
    default:
      return 30;
  }
}

/** The text captions are made from, when the body has one. */
export function spokenText(body: Body): string {
  if (typeof body.script === 'string') return body.script;
  if (body.type === 'studio' && Array.isArray(body.scenes)) {
    return (body.scenes as Body[]).map((s) => str(obj(s.input)?.script ?? s.script) ?? '').join(' ');
  }
  if (typeof body.prompt === 'string') return body.prompt;
  return '';
}

/** Length of an agent video: the prompt's own "45-second"/"2 minute" if it says so, else 60 s. */
export function agentDuration(prompt: string): number {
  const seconds = /(\d{1,4})\s*-?\s*(?:seconds?|secs?|s)\b/i.exec(prompt);
  if (seconds) return Math.min(1800, Math.max(5, Number(seconds[1])));
  const minutes = /(\d{1,3})\s*-?\s*(?:minutes?|mins?)\b/i.exec(prompt);
  if (minutes) return Math.min(1800, Math.max(5, Number(minutes[1]) * 60));
  return 60;
}

/** A sentence-case title the "model" gives a session: the prompt's first words, tags removed. */
export function sessionTitle(prompt: string): string {
  const clean = prompt
    .replace(/\[emulator:[a-z]+\]/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
  const first = clean.split(/[.!?\n]/)[0] ?? clean;
  const short = first.split(' ').slice(0, 8).join(' ');
  return short.length > 0 ? short.charAt(0).toUpperCase() + short.slice(1) : 'Untitled video';
}
