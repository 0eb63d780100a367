import type { Mode } from './types.js';

/** Fields only a direct entry (POST /v3/videos) may use. */
export const DIRECT_FIELDS = [
  'image',
  'script',
  'audio',
  'voice_settings',
  'aspect_ratio',
  'resolution',
  'fit',
  'remove_background',
  'output_format',
  'motion_prompt',
  'expressiveness',
  'background',
  'captions',
  'engine',
] as const;

/** Fields only an agent entry (POST /v3/video-agents) may use. */
export const AGENT_FIELDS = ['prompt', 'style', 'brand_kit', 'orientation', 'files', 'incognito', 'review', 'revisions', 'approved'] as const;

/** Fields both modes accept. */
export const COMMON_FIELDS = ['mode', 'each', 'allow_empty', 'title', 'avatar', 'voice', 'callback_url', 'callback_id', 'output', 'api', 'draft', 'locales'] as const;

const direct = new Set<string>(DIRECT_FIELDS);
const agent = new Set<string>(AGENT_FIELDS);

/** The mode a field belongs to, or undefined when both modes accept it. */
export function fieldMode(field: string): Mode | undefined {
  if (direct.has(field)) return 'direct';
  if (agent.has(field)) return 'agent';
  return undefined;
}

/** Advice for a field written on an entry of the other mode. */
export function wrongModeMessage(field: string, entryMode: Mode): string {
  if (entryMode === 'agent') {
    const hint = field === 'script' ? ' — use `prompt`' : field === 'image' ? ' — pass it in `files`' : ' — remove it, or make the entry direct';
    return `\`${field}\` is a direct-mode field; this entry is \`mode: agent\`${hint}`;
  }
  const hint = field === 'prompt' ? ' — use `script`, or add `mode: agent`' : ' — remove it, or add `mode: agent`';
  return `\`${field}\` is an agent-mode field; this entry is direct (the default)${hint}`;
}
