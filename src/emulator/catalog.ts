/**
 * The avatars, voices and styles the emulator knows. Ids in requests are checked against it, as
 * HeyGen checks them against the account. `--catalog FILE` replaces it with a JSON file of the same
 * shape (see docs/emulator.md).
 */
import { readFile } from 'node:fs/promises';

export type Engine = 'avatar_v' | 'avatar_iv' | 'avatar_iii';
export type AvatarType = 'studio_avatar' | 'digital_twin' | 'photo_avatar';

/** A look as `GET /v3/avatars/looks` returns it. */
export interface Look {
  id: string;
  name: string;
  avatar_type: AvatarType;
  supported_api_engines: Engine[];
  tags: string[];
  group_id?: string | null;
  gender?: string | null;
  default_voice_id?: string | null;
  preview_image_url?: string | null;
  preview_video_url?: string | null;
  image_width?: number | null;
  image_height?: number | null;
  preferred_orientation?: 'portrait' | 'landscape' | 'square' | null;
}

/** A voice as `GET /v3/voices` returns it, plus the TTS engines it supports (never sent). */
export interface Voice {
  voice_id: string;
  name: string;
  language: string;
  gender: string;
  type: 'public' | 'private';
  support_pause: boolean;
  support_locale: boolean;
  preview_audio_url?: string | null;
  /** `voice_settings.engine_settings.engine_type` values this voice accepts; default all. */
  engines?: string[];
}

/** A video-agent style as `GET /v3/video-agents/styles` returns it. */
export interface Style {
  style_id: string;
  name: string;
  aspect_ratio?: string | null;
  preview_video_url?: string | null;
  thumbnail_url?: string | null;
  tags?: string[] | null;
}

/** Everything the emulator's account "owns". */
export interface Catalog {
  looks: Look[];
  voices: Voice[];
  styles: Style[];
}

const preview = (name: string): string => `https://files.example.invalid/previews/${name}`;

/** The built-in catalog: the ids used in reel's docs and in the HeyGen examples, plus a few more. */
export const BUILTIN_CATALOG: Catalog = {
  looks: [
    {
      id: 'Daisy-inskirt-20220818',
      name: 'Daisy in skirt',
      avatar_type: 'studio_avatar',
      supported_api_engines: ['avatar_iv', 'avatar_iii'],
      tags: ['business', 'standing'],
      group_id: 'grp_daisy',
      gender: 'female',
      default_voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
      preview_image_url: preview('daisy.jpg'),
      preview_video_url: preview('daisy.mp4'),
      image_width: 1920,
      image_height: 1080,
      preferred_orientation: 'landscape',
    },
    {
      id: 'Adriana_BizTalk_Front_public',
      name: 'Adriana Business Talk (front)',
      avatar_type: 'studio_avatar',
      supported_api_engines: ['avatar_v', 'avatar_iv', 'avatar_iii'],
      tags: ['business', 'sitting'],
      group_id: 'grp_adriana',
      gender: 'female',
      default_voice_id: 'f38a635bee7a4d1f9b0a654a31d050d2',
      preview_image_url: preview('adriana.jpg'),
      preview_video_url: preview('adriana.mp4'),
      image_width: 1920,
      image_height: 1080,
      preferred_orientation: 'landscape',
    },
    {
      id: 'Tyler-incasualsuit-20220721',
      name: 'Tyler in casual suit',
      avatar_type: 'studio_avatar',
      supported_api_engines: ['avatar_iv', 'avatar_iii'],
      tags: ['casual'],
      group_id: 'grp_tyler',
      gender: 'male',
      default_voice_id: '1bd001e7e50f421d891986aad5158bc8',
      preview_image_url: preview('tyler.jpg'),
      preview_video_url: preview('tyler.mp4'),
      image_width: 1080,
      image_height: 1920,
      preferred_orientation: 'portrait',
    },
    {
      id: 'Mina_photo_look_public',
      name: 'Mina (photo avatar)',
      avatar_type: 'photo_avatar',
      supported_api_engines: ['avatar_v', 'avatar_iv'],
      tags: ['photo'],
      group_id: 'grp_mina',
      gender: 'female',
      default_voice_id: null,
      preview_image_url: preview('mina.jpg'),
      preview_video_url: null,
      image_width: 1024,
      image_height: 1024,
      preferred_orientation: 'square',
    },
    {
      id: 'Leo_twin_look_private',
      name: 'Leo (digital twin)',
      avatar_type: 'digital_twin',
      supported_api_engines: ['avatar_v', 'avatar_iv'],
      tags: ['twin'],
      group_id: 'grp_leo',
      gender: 'male',
      default_voice_id: '1bd001e7e50f421d891986aad5158bc8',
      preview_image_url: preview('leo.jpg'),
      preview_video_url: preview('leo.mp4'),
      image_width: 1920,
      image_height: 1080,
      preferred_orientation: 'landscape',
    },
  ],
  voices: [
    {
      voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
      name: 'Hope',
      language: 'English',
      gender: 'female',
      type: 'public',
      support_pause: true,
      support_locale: true,
      preview_audio_url: preview('hope.mp3'),
      engines: ['elevenlabs', 'starfish'],
    },
    {
      voice_id: 'f38a635bee7a4d1f9b0a654a31d050d2',
      name: 'Adriana',
      language: 'English',
      gender: 'female',
      type: 'public',
      support_pause: true,
      support_locale: true,
      preview_audio_url: preview('adriana.mp3'),
      engines: ['elevenlabs', 'fish', 'starfish'],
    },
    {
      voice_id: '1bd001e7e50f421d891986aad5158bc8',
      name: 'Paul',
      language: 'English',
      gender: 'male',
      type: 'public',
      support_pause: true,
      support_locale: false,
      preview_audio_url: preview('paul.mp3'),
      engines: ['starfish'],
    },
    {
      voice_id: '6e7d2a1c9b8f4e3d8a7b6c5d4e3f2a1b',
      name: 'Lucía',
      language: 'Spanish',
      gender: 'female',
      type: 'public',
      support_pause: false,
      support_locale: true,
      preview_audio_url: preview('lucia.mp3'),
      engines: ['elevenlabs', 'fish'],
    },
  ],
  styles: [
    { style_id: 'style_cinematic_01', name: 'Cinematic', aspect_ratio: '16:9', preview_video_url: preview('cinematic.mp4'), thumbnail_url: preview('cinematic.jpg'), tags: ['cinematic'] },
    { style_id: 'style_retro_tech_01', name: 'Retro tech', aspect_ratio: '16:9', preview_video_url: preview('retro.mp4'), thumbnail_url: preview('retro.jpg'), tags: ['retro-tech'] },
    { style_id: 'style_handmade_01', name: 'Handmade paper', aspect_ratio: '9:16', preview_video_url: null, thumbnail_url: preview('handmade.jpg'), tags: ['handmade', 'print'] },
  ],
};

/** Checks a parsed catalog file; returns the problems found (empty when it is usable). */
export function catalogProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['the catalog must be a JSON object with looks, voices and styles'];
  const v = value as Record<string, unknown>;
  const lists: Array<[string, string[]]> = [
    ['looks', ['id', 'name', 'avatar_type', 'supported_api_engines']],
    ['voices', ['voice_id', 'name', 'language', 'gender']],
    ['styles', ['style_id', 'name']],
  ];
  for (const [key, required] of lists) {
    const list = v[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(`${key} must be an array`);
      continue;
    }
    list.forEach((item: unknown, i) => {
      for (const field of required) {
        if (typeof item !== 'object' || item === null || (item as Record<string, unknown>)[field] === undefined) {
          problems.push(`${key}[${i}].${field} is required`);
        }
      }
    });
  }
  return problems;
}

/** Fills the optional fields of a user catalog with the defaults the API would show. */
export function normaliseCatalog(value: Partial<Catalog>): Catalog {
  return {
    looks: (value.looks ?? []).map((l) => ({ ...l, tags: l.tags ?? [] })),
    voices: (value.voices ?? []).map((v) => ({
      ...v,
      type: v.type ?? 'public',
      support_pause: v.support_pause ?? true,
      support_locale: v.support_locale ?? false,
    })),
    styles: value.styles ?? [],
  };
}

/** Reads a `--catalog` file. Throws an Error with a readable message when it is unusable. */
export async function loadCatalog(file: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the catalog ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the catalog ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const problems = catalogProblems(parsed);
  if (problems.length > 0) throw new Error(`the catalog ${file} is unusable:\n  ${problems.join('\n  ')}`);
  return normaliseCatalog(parsed as Partial<Catalog>);
}
