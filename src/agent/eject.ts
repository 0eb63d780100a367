import { basename, dirname, join } from '../util/path.js';
import { Document, isMap, isScalar, LineCounter, parseDocument, Scalar, YAMLMap } from 'yaml';
import type { SessionResource } from '../heygen/types.js';

/**
 * `reel eject`: from a completed agent entry, the YAML of a direct entry that renders what the agent
 * chose. Pure: the command reads the session and writes the files.
 *
 * HeyGen v3 documents no field that returns the script, avatar or voice of an agent video. What reel
 * can know: ids the manifest itself passed (`avatar`/`voice` overrides — the agent used exactly
 * those) and, when HeyGen lists them, session resources of type `avatar`/`voice` (and a `script` in
 * a storyboard draft's metadata). Anything else is left as a placeholder that fails validation.
 */

/** The direct-entry fields eject fills. */
export type EjectField = 'avatar' | 'voice' | 'script';

export const EJECT_FIELDS: readonly EjectField[] = ['avatar', 'voice', 'script'];

export interface AgentChoices {
  values: Partial<Record<EjectField, string>>;
  /** Where each value came from, for the comment next to it. */
  sources: Partial<Record<EjectField, string>>;
}

/** What to tell a person about a field HeyGen did not expose. */
export const FILL_HINTS: Record<EjectField, string> = {
  avatar: 'HeyGen does not expose the avatar the agent chose: set an avatar look id (`reel avatars` lists them; compare with the video).',
  voice: 'HeyGen does not expose the voice the agent chose: set a voice id (`reel voices` lists them).',
  script: 'HeyGen does not expose the script the agent wrote: paste it here (from the storyboard in `reel review`, or transcribe the video).',
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * The avatar, voice and script of an agent entry, from its create request and the session's
 * resources (newest last wins). Fields nothing exposes are absent.
 */
export function agentChoices(request: Record<string, unknown>, resources: readonly SessionResource[]): AgentChoices {
  const values: AgentChoices['values'] = {};
  const sources: AgentChoices['sources'] = {};
  const put = (field: EjectField, value: string | undefined, source: string): void => {
    if (value === undefined) return;
    values[field] = value;
    sources[field] = source;
  };
  const ordered = [...resources].sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0));
  for (const r of ordered) {
    const meta = r.metadata ?? {};
    const where = `session resource ${r.resource_id}`;
    if (r.resource_type === 'avatar') put('avatar', text(meta.avatar_id) ?? text(meta.look_id) ?? text(meta.id), where);
    if (r.resource_type === 'voice') put('voice', text(meta.voice_id) ?? text(meta.id), where);
    if (r.resource_type === 'draft' || r.resource_type === 'script') put('script', text(meta.script), where);
  }
  // Ids the manifest passed are what the agent was told to use: they win over anything inferred.
  put('avatar', text(request.avatar_id), 'the manifest (avatar)');
  put('voice', text(request.voice_id), 'the manifest (voice)');
  return { values, sources };
}

/** `videos/launch.yaml` → `videos/launch.ejected.yaml`. */
export function ejectedPath(manifestPath: string): string {
  const name = basename(manifestPath).replace(/\.ya?ml$/i, '');
  return join(dirname(manifestPath), `${name}.ejected.yaml`);
}

/** The id of the pinned entry: never the original's. */
export function ejectedId(id: string): string {
  return `${id}-direct`;
}

export interface EjectInput {
  /** The agent entry's id. */
  id: string;
  /** The new entry's id (`ejectedId(id)`). */
  newId: string;
  title?: string;
  /** `landscape` / `portrait` from the agent request, mapped to an aspect ratio. */
  orientation?: string;
  choices: AgentChoices;
  /** The original manifest, relative to the ejected file's directory (for the header comment). */
  from: string;
  sessionId: string;
  videoId?: string;
}

/**
 * The text of the ejected manifest: `existing` (the file as it is, when earlier ejects wrote it)
 * with the new entry added. Fields nothing exposed are written as `null` — which the schema rejects
 * ("must be a string") — with a comment saying what to fill in. Throws when the id is already there.
 */
export function ejectedManifest(existing: string | undefined, input: EjectInput): { text: string; missing: EjectField[] } {
  const doc = existing !== undefined ? parseDocument(existing) : new Document({ version: 1, videos: {} });
  if (existing === undefined) {
    doc.commentBefore = ' Direct entries pinned from agent videos by `reel eject`.';
  }
  if (!isMap(doc.contents)) throw new Error('not a manifest (no top-level mapping)');
  let videos = doc.get('videos');
  if (!isMap(videos)) {
    videos = new YAMLMap();
    doc.set('videos', videos);
  }
  const map = videos as YAMLMap;
  if (map.has(input.newId)) throw new Error(`${input.newId} is already there`);

  const entry = new YAMLMap();
  const missing: EjectField[] = [];
  if (input.title !== undefined) entry.set('title', input.title);
  for (const field of EJECT_FIELDS) {
    const value = input.choices.values[field];
    const node = new Scalar(value ?? null);
    if (value === undefined) {
      missing.push(field);
      node.comment = ` FILL ME: ${FILL_HINTS[field]}`;
    } else if (field === 'script' && value.includes('\n')) {
      node.type = Scalar.BLOCK_LITERAL;
    }
    entry.set(field, node);
  }
  const aspect = input.orientation === 'portrait' ? '9:16' : input.orientation === 'landscape' ? '16:9' : undefined;
  if (aspect) {
    // Quoted: YAML 1.1 readers take an unquoted 16:9 for a base-60 number.
    const node = new Scalar(aspect);
    node.type = Scalar.QUOTE_DOUBLE;
    entry.set('aspect_ratio', node);
  }
  const key = new Scalar(input.newId);
  const known = EJECT_FIELDS.filter((f) => input.choices.values[f] !== undefined).map((f) => `${f} from ${input.choices.sources[f]}`);
  key.commentBefore = [
    ` Pinned from agent entry ${input.id} (${input.from}): session ${input.sessionId}${input.videoId ? `, video ${input.videoId}` : ''}.`,
    ...(known.length > 0 ? [` ${known.join('; ')}.`] : []),
    ...(missing.length > 0 ? [` To fill in before it validates: ${missing.join(', ')}.`] : []),
  ].join('\n');
  key.spaceBefore = map.items.length > 0;
  map.add(doc.createPair(key, entry));
  return { text: doc.toString({ lineWidth: 0 }), missing };
}

/**
 * The original manifest with a comment above the entry whose key is on `line` (1-based), pointing to
 * the ejected entry. The yaml Document API finds the key; the comment line is then inserted into
 * the text as it is, because re-serialising the document would also reflow folded scalars and
 * comment spacing elsewhere. Returns the text unchanged when the comment is already there.
 */
export function annotateOriginal(source: string, line: number, comment: string): string {
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter });
  const videos = doc.get('videos');
  if (!isMap(videos)) throw new Error('the manifest has no `videos:` mapping');
  for (const pair of videos.items) {
    const key = pair.key;
    if (!isScalar(key) || !key.range) continue;
    const at = counter.linePos(key.range[0]);
    if (at.line !== line) continue;
    if ((key.commentBefore ?? '').includes(comment.trim())) return source;
    const lineStart = key.range[0] - (at.col - 1);
    // A key inside a flow mapping (`videos: { a: … }`) has no line of its own to comment.
    if (source.slice(lineStart, key.range[0]).trim() !== '') throw new Error(`the key of line ${line} does not start its line`);
    const eol = source.includes('\r\n') ? '\r\n' : '\n';
    return `${source.slice(0, lineStart)}${' '.repeat(at.col - 1)}# ${comment}${eol}${source.slice(lineStart)}`;
  }
  throw new Error(`no entry key on line ${line}`);
}
