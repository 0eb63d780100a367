import type { PricingConfig } from '../plan/cost.js';
import { readFile } from 'node:fs/promises';
import { join } from '../util/path.js';
import type { SourcePosition } from '../errors.js';
import { CONFIG_FILES } from './names.js';
import { validateAgainst } from './schema.js';
import type { Diagnostic } from './types.js';
import { decodeUtf8, nodeAt, offsetOf, parseYaml } from './yaml.js';

/** `approval_message` when reel.config.yaml sets none. */
export const DEFAULT_APPROVAL_MESSAGE = 'Approved. Please render the video.';

/** reel.config.yaml, with every default applied. */
export interface ProjectConfig {
  /** Globs relative to the project root. */
  manifests: string[];
  /** Output directory relative to the project root. */
  out: string;
  callback_url?: string;
  callback_id?: string;
  /** Build appends a fingerprint tag to titles. */
  title_tag: boolean;
  /** Message that approves an agent storyboard. */
  approval_message: string;
  concurrency?: number;
  /** Target languages for every entry (see docs/localization.md); entries and defaults override them key by key. */
  locales?: Record<string, Record<string, unknown>>;
  /** `pricing:` as written (rates that differ from HeyGen's defaults); see `resolvePricing`. */
  pricing?: PricingConfig;
  /** `share_renders: false`: identical requests render once per entry instead of once. */
  share_renders?: boolean;
  /** Minutes a build waits for a direct render before leaving it unconfirmed (DEFAULT_RENDER_DEADLINE_MINUTES). */
  render_deadline_minutes?: number;
  /** The same for an agent session and its render (DEFAULT_AGENT_DEADLINE_MINUTES). */
  agent_deadline_minutes?: number;
  /** `reel studio`'s open-in-editor command ({file}, {line}, {col} are replaced). */
  editor?: string;
  /** Where each key was written in the config file (for `reel explain` and diagnostics). */
  sources?: Record<string, SourcePosition>;
}

/** Renders take 5–20 minutes (API.md §2.2): 90 is generous. */
export const DEFAULT_RENDER_DEADLINE_MINUTES = 90;
/** Agent videos take 20–45 minutes and may think for long when many are queued (API.md §2.8). */
export const DEFAULT_AGENT_DEADLINE_MINUTES = 180;
export const DEFAULT_MANIFEST_GLOBS = ['videos/**/*.{yaml,yml}'];

export function defaultConfig(): ProjectConfig {
  return { manifests: [...DEFAULT_MANIFEST_GLOBS], out: 'out', title_tag: true, approval_message: DEFAULT_APPROVAL_MESSAGE };
}

/** Loads and validates reel.config.yaml; a missing file is not an error (every key has a default). */
export async function loadConfig(root: string): Promise<{ config: ProjectConfig; configFile?: string; diagnostics: Diagnostic[] }> {
  const config = defaultConfig();
  for (const name of CONFIG_FILES) {
    const file = join(root, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { config, configFile: file, diagnostics: [{ file, line: 1, col: 1, severity: 'error', message: `cannot read the config: ${(e as NodeJS.ErrnoException).code ?? 'error'}` }] };
    }
    const diagnostics: Diagnostic[] = [];
    const decoded = decodeUtf8(bytes);
    if (!('text' in decoded)) {
      return { config, configFile: file, diagnostics: [{ file, line: decoded.line, col: decoded.col, severity: 'error', message: 'invalid UTF-8 byte; save the file as UTF-8' }] };
    }
    const parsed = parseYaml(decoded.text.replace(/^\uFEFF/, ''), 'config', { allowEmpty: true });
    const at = (offset: number): { line: number; col: number } => parsed.lineCounter.linePos(offset);
    for (const e of parsed.errors) diagnostics.push({ file, ...at(e.offset), severity: 'error', message: e.message });
    if (diagnostics.length > 0) return { config, configFile: file, diagnostics };
    // An empty file (only comments) means "all defaults".
    const value = parsed.value ?? {};
    for (const p of validateAgainst('config', value)) {
      diagnostics.push({ file, ...at(offsetOf(nodeAt(parsed.doc, p.path, p.key))), severity: 'error', message: p.message });
    }
    if (diagnostics.length > 0) return { config, configFile: file, diagnostics };
    const v = value as Partial<ProjectConfig>;
    const sources: Record<string, SourcePosition> = {};
    for (const key of Object.keys(v)) sources[key] = { file, ...at(offsetOf(nodeAt(parsed.doc, [key]))) };
    for (const glob of v.manifests ?? []) {
      if (glob.startsWith('/') || glob.split('/').includes('..')) {
        diagnostics.push({ file, ...at(offsetOf(nodeAt(parsed.doc, ['manifests']))), severity: 'error', message: `manifest glob \`${glob}\` must be relative to the project root and stay inside it` });
      }
    }
    if (typeof v.out === 'string') {
      const problem = outDirProblem(v.out);
      if (problem) diagnostics.push({ file, ...at(offsetOf(nodeAt(parsed.doc, ['out']))), severity: 'error', message: problem });
    }
    return { config: { ...config, ...v, sources }, configFile: file, diagnostics };
  }
  return { config, diagnostics: [] };
}

/**
 * `out` is a folder of the project that reel fills with videos and never searches for manifests:
 * the project root itself would hide every manifest, and git's, reel's and npm's folders are not
 * reel's to write.
 */
function outDirProblem(out: string): string | undefined {
  const parts = out
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (out.startsWith('/') || /^[A-Za-z]:/.test(out) || parts.includes('..')) return `\`out\` (${out}) must be a folder inside the project, relative to its root (e.g. \`out\`)`;
  if (parts.length === 0) return `\`out\` (${out}) is the project root: reel would skip every manifest in it; use a sub-folder such as \`out\``;
  const bad = parts.find((p) => ['.git', '.reel', 'node_modules'].includes(p.toLowerCase()));
  if (bad) return `\`out\` (${out}) may not be inside \`${bad}\`; use a folder of its own such as \`out\``;
  return undefined;
}
