import type { AvatarLook, SessionMessage, SessionResource, StyleInfo, VoiceInfo } from '../heygen/types.js';

/**
 * What the Video Agent chose for a session (avatar, voice, script, style), found from every source
 * there is, each value with where it came from; and, for what nothing exposes, the likeliest
 * catalog candidates. Pure: `reel eject` (and the studio) fetch the session and the catalog.
 *
 * HeyGen documents no field that returns an agent video's avatar, voice or script (API.md
 * §2.8–2.11). The sources, in order of trust:
 * 1. the agent entry's own overrides (`avatar`, `voice`, `style`): the agent was told to use them;
 * 2. the session's `avatar`/`voice` resources: ids in their (undocumented) `metadata` when present
 *    and in the catalog, else their preview URLs or names matched against the catalog;
 * 3. the agent's own messages naming a look or voice of the catalog;
 * 4. the script in a storyboard `draft` (or `script`) resource's `metadata.script`.
 * Nothing is guessed: a value is recorded only when one catalog item fits.
 */

export type ChoiceField = 'avatar' | 'voice' | 'script' | 'style';

export interface Choice {
  value: string;
  /** Where it came from, in words: "the agent entry (`avatar`)", "session resource res_1 (metadata.voice_id)". */
  source: string;
  /** The catalog name of the look, voice or style, when known. */
  name?: string;
}

export interface Candidate {
  id: string;
  name: string;
  /** Why it is a candidate, in a few words. */
  why: string;
  /** The look's preview image, or the voice's preview audio. */
  preview?: string;
}

export interface AgentFindings {
  choices: Partial<Record<ChoiceField, Choice>>;
  /** Likeliest catalog items for an avatar or voice nothing exposed (empty when it was found). */
  candidates: { avatar: Candidate[]; voice: Candidate[] };
  /** What was seen but could not be used, e.g. an id the catalog does not have. */
  notes: string[];
}

export interface FindInput {
  /** The agent entry's create request (`avatar_id`, `voice_id`, `style_id`, `orientation`). */
  request: Record<string, unknown>;
  /** The session's messages, in any order. */
  messages: readonly SessionMessage[];
  resources: readonly SessionResource[];
  looks: readonly AvatarLook[];
  voices: readonly VoiceInfo[];
  styles?: readonly StyleInfo[];
}

/** How many candidates a person is shown. */
export const MAX_CANDIDATES = 5;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A URL without query or fragment: presigned URLs of one file differ only there. */
function sameFile(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const strip = (u: string): string => {
    try {
      const url = new URL(u);
      return `${url.origin}${url.pathname}`;
    } catch {
      return u.split(/[?#]/)[0] ?? u;
    }
  };
  return strip(a) === strip(b);
}

const newestFirst = <T extends { created_at?: number | null }>(items: readonly T[]): T[] =>
  items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => (b.item.created_at ?? 0) - (a.item.created_at ?? 0) || b.i - a.i)
    .map((x) => x.item);

interface Kind<T> {
  field: 'avatar' | 'voice';
  noun: string;
  items: readonly T[];
  id(item: T): string;
  metadataIds: readonly string[];
  previews(item: T): Array<string | null | undefined>;
}

/** The one catalog item a resource points to: by metadata id, else by preview URL, else by name. */
function fromResource<T extends { name: string }>(r: SessionResource, kind: Kind<T>, notes: string[]): Choice | undefined {
  const meta = r.metadata ?? {};
  for (const key of kind.metadataIds) {
    const id = text(meta[key]);
    if (id === undefined) continue;
    const item = kind.items.find((i) => kind.id(i) === id);
    if (item) return { value: id, name: item.name, source: `session resource ${r.resource_id} (metadata.${key})` };
    notes.push(`session resource ${r.resource_id} names ${kind.noun} ${id}, which this account's catalog does not list`);
  }
  const urls = [r.preview_url, r.thumbnail_url, r.url].filter((u): u is string => Boolean(u));
  const byUrl = kind.items.filter((i) => kind.previews(i).some((p) => urls.some((u) => sameFile(u, p))));
  if (byUrl.length === 1) return { value: kind.id(byUrl[0]!), name: byUrl[0]!.name, source: `session resource ${r.resource_id} (its preview is this ${kind.noun}'s)` };
  const name = text(meta.name)?.toLowerCase();
  const byName = name ? kind.items.filter((i) => i.name.toLowerCase() === name) : [];
  if (byName.length === 1) return { value: kind.id(byName[0]!), name: byName[0]!.name, source: `session resource ${r.resource_id} (metadata.name)` };
  if (byUrl.length > 1 || byName.length > 1) notes.push(`session resource ${r.resource_id} fits ${byUrl.length || byName.length} ${kind.noun}s of the catalog`);
  return undefined;
}

/**
 * The one catalog item a message names (by id, or by a name as a whole phrase). A name inside a
 * longer matched name ("Daisy" in "Daisy in skirt") does not count twice.
 */
function fromMessages<T extends { name: string }>(messages: readonly SessionMessage[], kind: Kind<T>): Choice | undefined {
  for (const m of newestFirst(messages)) {
    if (m.role !== 'model' || typeof m.content !== 'string') continue;
    const content = m.content.toLowerCase();
    const named = kind.items.filter((i) => {
      const id = kind.id(i).toLowerCase();
      const name = i.name.toLowerCase();
      return (id.length >= 4 && content.includes(id)) || (name.length >= 3 && new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(name)}($|[^\\p{L}\\p{N}])`, 'u').test(content));
    });
    const outer = named.filter((i) => !named.some((o) => o !== i && o.name.toLowerCase().includes(i.name.toLowerCase())));
    if (outer.length === 1) {
      const quote = m.content.length > 80 ? `${m.content.slice(0, 77)}…` : m.content;
      return { value: kind.id(outer[0]!), name: outer[0]!.name, source: `the agent's message "${quote}"` };
    }
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every source, in order; then candidates for what is still missing. */
export function findAgentChoices(input: FindInput): AgentFindings {
  const choices: AgentFindings['choices'] = {};
  const notes: string[] = [];
  const avatars: Kind<AvatarLook> = {
    field: 'avatar',
    noun: 'avatar look',
    items: input.looks,
    id: (l) => l.id,
    metadataIds: ['avatar_id', 'look_id', 'id'],
    previews: (l) => [l.preview_image_url, l.preview_video_url],
  };
  const voices: Kind<VoiceInfo> = {
    field: 'voice',
    noun: 'voice',
    items: input.voices,
    id: (v) => v.voice_id,
    metadataIds: ['voice_id', 'id'],
    previews: (v) => [v.preview_audio_url],
  };
  const nameOf = <T extends { name: string }>(kind: Kind<T>, id: string): string | undefined => kind.items.find((i) => kind.id(i) === id)?.name;

  // 1. The entry's own overrides.
  const avatarId = text(input.request.avatar_id);
  if (avatarId) choices.avatar = { value: avatarId, source: 'the agent entry (`avatar`)', ...named(nameOf(avatars, avatarId)) };
  const voiceId = text(input.request.voice_id);
  if (voiceId) choices.voice = { value: voiceId, source: 'the agent entry (`voice`)', ...named(nameOf(voices, voiceId)) };
  const styleId = text(input.request.style_id);
  if (styleId) choices.style = { value: styleId, source: 'the agent entry (`style`)', ...named(input.styles?.find((s) => s.style_id === styleId)?.name) };

  // 2. Session resources, newest first (a later revision may have changed the pick).
  const resources = newestFirst(input.resources);
  for (const kind of [avatars, voices] as const) {
    if (choices[kind.field]) continue;
    for (const r of resources) {
      if (r.resource_type !== kind.field) continue;
      const found = fromResource<{ name: string }>(r, kind as unknown as Kind<{ name: string }>, notes);
      if (found) {
        choices[kind.field] = found;
        break;
      }
    }
  }
  // 3. The agent's messages.
  if (!choices.avatar) {
    const found = fromMessages(input.messages, avatars);
    if (found) choices.avatar = found;
  }
  if (!choices.voice) {
    const found = fromMessages(input.messages, voices);
    if (found) choices.voice = found;
  }
  // 4. The script of the storyboard.
  for (const r of resources) {
    if (r.resource_type !== 'draft' && r.resource_type !== 'script') continue;
    const script = text(r.metadata?.script);
    if (script) {
      choices.script = { value: script, source: `storyboard ${r.resource_type} resource ${r.resource_id} (metadata.script)` };
      break;
    }
  }

  const orientation = text(input.request.orientation);
  const voice = choices.voice ? input.voices.find((v) => v.voice_id === choices.voice!.value) : undefined;
  const look = choices.avatar ? input.looks.find((l) => l.id === choices.avatar!.value) : undefined;
  return {
    choices,
    candidates: {
      avatar: choices.avatar ? [] : avatarCandidates(input.looks, { orientation, voice }),
      voice: choices.voice ? [] : voiceCandidates(input.voices, { look }),
    },
    notes,
  };
}

function named(name: string | undefined): { name?: string } {
  return name ? { name } : {};
}

/** The candidates worth showing: the highest scores first, ties in the account's order, at most MAX_CANDIDATES. */
function best<T extends { i: number; score: number }>(scored: T[]): T[] {
  return scored.sort((a, b) => b.score - a.score || a.i - b.i).slice(0, MAX_CANDIDATES);
}

/** Looks ranked by how well they fit what is known: the voice's look, the orientation, the gender. */
export function avatarCandidates(looks: readonly AvatarLook[], known: { orientation?: string | undefined; voice?: VoiceInfo | undefined }): Candidate[] {
  const scored = looks
    .filter((l) => !l.status || l.status === 'completed')
    .map((l, i) => {
      const why: string[] = [];
      let score = 0;
      if (known.voice && l.default_voice_id === known.voice.voice_id) {
        score += 4;
        why.push(`its default voice is ${known.voice.name}`);
      }
      if (known.orientation && l.preferred_orientation === known.orientation) {
        score += 2;
        why.push(`made for ${known.orientation}`);
      }
      if (known.voice && l.gender && l.gender === known.voice.gender) {
        score += 1;
        why.push(`${l.gender}, like the voice`);
      }
      return { l, i, score, why };
    });
  return best(scored).map(({ l, why }) => ({ id: l.id, name: l.name, why: why.join('; ') || 'in the account', ...(l.preview_image_url ? { preview: l.preview_image_url } : {}) }));
}

/** Voices ranked by how well they fit the look: its default voice first, then its gender. */
export function voiceCandidates(voices: readonly VoiceInfo[], known: { look?: AvatarLook | undefined }): Candidate[] {
  const scored = voices.map((v, i) => {
    const why: string[] = [];
    let score = 0;
    if (known.look && known.look.default_voice_id === v.voice_id) {
      score += 4;
      why.push(`default voice of ${known.look.name}`);
    }
    if (known.look?.gender && v.gender === known.look.gender) {
      score += 1;
      why.push(`${v.gender}, like the avatar`);
    }
    return { v, i, score, why };
  });
  return best(scored).map(({ v, why }) => ({ id: v.voice_id, name: v.name, why: [v.language, ...why].filter(Boolean).join('; '), ...(v.preview_audio_url ? { preview: v.preview_audio_url } : {}) }));
}
