/**
 * The subset of HeyGen v3 response shapes reel reads (see ../shared/heygen-v3/API.md §2). Nullable
 * fields may be null or absent; callers treat both alike.
 */

export type VideoStatus = 'pending' | 'processing' | 'completed' | 'failed';

/** `GET /v3/videos/{id}` and list items. */
export interface Video {
  id: string;
  status: VideoStatus | 'waiting';
  title?: string | null;
  created_at?: number | null;
  completed_at?: number | null;
  duration?: number | null;
  video_url?: string | null;
  captioned_video_url?: string | null;
  subtitle_url?: string | null;
  thumbnail_url?: string | null;
  failure_code?: string | null;
  failure_message?: string | null;
}

/** `POST /v3/videos` answer. `waiting` is the usual first status. */
export interface CreatedVideo {
  video_id: string;
  status: string;
  output_format?: string;
}

/** One row of `GET /v3/videos/statuses`. */
export interface StatusRow {
  video_id?: string | null;
  /** `queued`, `waiting`, `pending`, `processing`, `completed`, `failed` or `not_found`. */
  status: string;
  error?: { code?: string; message?: string } | null;
}

export type SessionStatus = 'thinking' | 'waiting_for_input' | 'reviewing' | 'generating' | 'completed' | 'failed';

export interface SessionMessage {
  role: 'user' | 'model' | string;
  type: 'text' | 'resource' | 'error' | string;
  content: string;
  created_at?: number | null;
  /** Resources (storyboard drafts, videos, avatars, voices…) the message refers to. */
  resource_ids?: string[] | null;
}

/** `GET /v3/video-agents/{id}/resources/{rid}`. */
export interface SessionResource {
  resource_id: string;
  resource_type: string;
  source_type?: string | null;
  url?: string | null;
  preview_url?: string | null;
  thumbnail_url?: string | null;
  metadata?: Record<string, unknown> | null;
  created_at?: number | null;
}

/** `POST /v3/video-agents` answer. */
export interface CreatedSession {
  session_id: string;
  status: string;
  created_at: number;
  video_id?: string | null;
}

/** `GET /v3/video-agents/{id}`. Messages are newest first. */
export interface Session {
  session_id: string;
  status: SessionStatus;
  created_at: number;
  progress?: number;
  title?: string | null;
  video_id?: string | null;
  messages?: SessionMessage[];
}

/** `GET /v3/video-agents` items. */
export interface SessionSummary {
  session_id: string;
  created_at: number;
  title?: string | null;
}

export interface Asset {
  asset_id: string;
  url: string;
  mime_type: string;
  size_bytes: number;
}

/** `POST /v3/assets/direct-uploads` answer (API.md §2.17). */
export interface DirectUpload {
  asset_id: string;
  upload_url: string;
  /** Sent verbatim with the PUT. */
  upload_headers?: Record<string, string> | null;
  max_bytes?: number | null;
  expires_in_seconds?: number | null;
  status?: string;
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  nextToken: string | null;
}

/** `GET /v3/users/me` (only what reel reads). */
export interface Me {
  username: string;
  email?: string | null;
  billing_type?: string;
  /** API-key accounts: a prepaid balance in dollars, or in credits (Enterprise). */
  wallet?: { currency?: string; remaining_balance?: number | null } | null;
  /** Metered billing with an optional spending cap, in dollars. */
  usage_based?: { spending_cap_usd?: number | null; spending_current_usd?: number | null; remaining_credits?: number | null } | null;
}

/** `GET /v3/avatars/looks` items (API.md §2.13); `id` is what a manifest's `avatar` names. */
export interface AvatarLook {
  id: string;
  name: string;
  avatar_type: string;
  supported_api_engines?: string[];
  tags?: string[];
  group_id?: string | null;
  gender?: string | null;
  default_voice_id?: string | null;
  preview_image_url?: string | null;
  preview_video_url?: string | null;
  preferred_orientation?: string | null;
  status?: string | null;
}

/** `GET /v3/voices` items (API.md §2.14). */
export interface VoiceInfo {
  voice_id: string;
  name: string;
  language: string;
  gender: string;
  type: 'public' | 'private' | string;
  support_pause?: boolean;
  support_locale?: boolean;
  preview_audio_url?: string | null;
}

/** `POST /v3/voices/speech` data (API.md §2.21). */
export interface Speech {
  audio_url: string;
  /** Seconds of audio. */
  duration: number;
  request_id?: string | null;
  word_timestamps?: Array<{ word: string; start: number; end: number }> | null;
}

/** `GET /v3/video-agents/styles` items (API.md §2.12). */
export interface StyleInfo {
  style_id: string;
  name: string;
  aspect_ratio?: string | null;
  preview_video_url?: string | null;
  thumbnail_url?: string | null;
  tags?: string[] | null;
}

/** `GET /v3/video-translations/{id}` (API.md §2.18). Whether a finished job says `completed` or `succeeded` is UNCONFIRMED. */
export interface Translation {
  id: string;
  status: string;
  title?: string | null;
  output_language?: string | null;
  duration?: number | null;
  created_at?: number | null;
  video_url?: string | null;
  audio_url?: string | null;
  srt_caption_url?: string | null;
  vtt_caption_url?: string | null;
  failure_message?: string | null;
}

/** `POST /v3/video-translations/proofreads` answer. */
export interface CreatedProofreads {
  proofread_ids: string[];
  status: string;
}

/** `GET /v3/video-translations/proofreads/{id}` (API.md §2.19). */
export interface Proofread {
  id: string;
  status: string;
  title?: string | null;
  output_language?: string | null;
  failure_message?: string | null;
}

/** `GET /v3/brand-glossaries` items. */
export interface BrandGlossary {
  brand_glossary_id: string;
  name: string;
}
