/**
 * What the emulated Video Agent picks when a request leaves it to the agent (avatar, voice, the
 * script), and how a session shows those choices. HeyGen documents no field for them (API.md
 * §2.8–2.11): its sessions list `avatar` and `voice` resources (`preview_url`, `thumbnail_url`, an
 * undocumented `metadata`) and the agent names its choices in a message. `agentResources` says how
 * much of that a session exposes, so clients are tested against every plausible answer.
 */
import type { Look, Voice } from './catalog.js';
import type { Lookup } from './videos.js';

/**
 * How much an agent session tells about its choices:
 * - `ids`: `avatar`/`voice` resources whose `metadata` has `avatar_id`/`voice_id` and `name`, a
 *   message naming them, and the script in the storyboard draft's `metadata.script`;
 * - `no-ids`: the same resources without `metadata` (only preview URLs) and the naming message;
 * - `hidden`: no avatar/voice resources, a message that names nothing, no script (only what
 *   HeyGen's documented schema guarantees).
 */
export type AgentResources = 'ids' | 'no-ids' | 'hidden';

export const AGENT_RESOURCES: readonly AgentResources[] = ['ids', 'no-ids', 'hidden'];

export interface AgentPick {
  look: Look;
  voice: Voice;
  /** What the agent will say: what a direct entry would need as `script`. */
  script: string;
}

/** A small deterministic hash, so the same prompt picks the same look. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/**
 * The agent's choice: the request's ids when it gave them, otherwise a look that suits the
 * orientation (chosen by the prompt) and that look's default voice (else a voice of its gender).
 * Undefined when the catalog has no look or no voice.
 */
export function pickChoices(lookup: Lookup, body: Record<string, unknown>, prompt: string): AgentPick | undefined {
  const looks = [...lookup.looks.values()];
  const voices = [...lookup.voices.values()];
  const given = typeof body.avatar_id === 'string' ? lookup.looks.get(body.avatar_id) : undefined;
  const orientation = typeof body.orientation === 'string' ? body.orientation : undefined;
  const suited = looks.filter((l) => !orientation || l.preferred_orientation === orientation);
  const pool = suited.length > 0 ? suited : looks;
  const look = given ?? pool[hash(prompt) % Math.max(1, pool.length)];
  if (!look) return undefined;
  const asked = typeof body.voice_id === 'string' ? lookup.voices.get(body.voice_id) : undefined;
  const byDefault = look.default_voice_id ? lookup.voices.get(look.default_voice_id) : undefined;
  const voice = asked ?? byDefault ?? voices.find((v) => v.gender === look.gender) ?? voices[0];
  if (!voice) return undefined;
  return { look, voice, script: agentScript(prompt) };
}

/** The script the emulated agent writes: the brief, as a presenter would say it. */
export function agentScript(prompt: string): string {
  const clean = prompt
    .replace(/\[emulator:[a-z]+\]/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
  const text = clean.length > 0 ? clean : 'Here is your video.';
  return `Hello! ${text.slice(0, 1500)}${/[.!?]$/.test(text) ? '' : '.'} Thanks for watching.`;
}

/** The message in which the agent names its choices (naming nothing when `hidden`). */
export function choiceMessage(pick: AgentPick, exposure: AgentResources): string {
  if (exposure === 'hidden') return 'I picked an avatar and a voice that fit your brief and wrote the script.';
  return `I chose the avatar "${pick.look.name}" with the voice "${pick.voice.name}" for this video.`;
}

/** The `avatar` and `voice` resources of a session (none when `hidden`), without ids when `no-ids`. */
export function choiceResources(
  pick: AgentPick,
  exposure: AgentResources,
): Array<{ type: 'avatar' | 'voice'; preview_url: string | null; thumbnail_url: string | null; url: string | null; metadata: Record<string, unknown> | null }> {
  if (exposure === 'hidden') return [];
  const withIds = exposure === 'ids';
  return [
    {
      type: 'avatar',
      url: pick.look.preview_video_url ?? null,
      preview_url: pick.look.preview_image_url ?? null,
      thumbnail_url: pick.look.preview_image_url ?? null,
      metadata: withIds ? { avatar_id: pick.look.id, name: pick.look.name } : null,
    },
    {
      type: 'voice',
      url: null,
      preview_url: pick.voice.preview_audio_url ?? null,
      thumbnail_url: null,
      metadata: withIds ? { voice_id: pick.voice.voice_id, name: pick.voice.name } : null,
    },
  ];
}
