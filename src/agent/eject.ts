import { basename, dirname, join } from '../util/path.js';
import { Document, isMap, isScalar, LineCounter, parseDocument, Scalar, YAMLMap } from 'yaml';
import type { Candidate, Choice, ChoiceField } from './choices.js';

/**
 * `reel eject`: from a completed agent entry, the YAML of a direct entry that renders what the agent
 * chose (see choices.ts for where the values come from). Pure: the command reads the session and
 * the catalog, and writes the files.
 */

/** The direct-entry fields eject fills; without one of them the entry is written as a draft. */
export type EjectField = 'avatar' | 'voice' | 'script';

export const EJECT_FIELDS: readonly EjectField[] = ['avatar', 'voice', 'script'];

/** What to tell a person about a field nothing exposed. */
export const FILL_HINTS: Record<EjectField, string> = {
  avatar: 'an avatar look id (`reel avatars` lists them; compare with the video), or `reel eject --avatar ID`',
  voice: 'a voice id (`reel voices` lists them), or `reel eject --voice ID`',
  script: 'the script (from the storyboard in `reel review`, or transcribed from the video)',
};

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
  choices: Partial<Record<ChoiceField, Choice>>;
  /** Likeliest catalog items for a field still missing, named in the comment above the entry. */
  candidates?: Partial<Record<'avatar' | 'voice', readonly Candidate[]>>;
  /** The original manifest, relative to the ejected file's directory (for the header comment). */
  from: string;
  sessionId: string;
  videoId?: string;
}

/** Candidates shown in the comment of a draft, at most this many per field. */
const COMMENT_CANDIDATES = 3;

/**
 * The text of the ejected manifest: `existing` (the file as it is, when earlier ejects wrote it)
 * with the new entry added. A field nothing exposed is left out and the entry is written with
 * `draft: true`, so that the project stays valid (a warning names what is missing) and nothing
 * renders until a person fills it in and removes the marker. Throws when the id is already there.
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

  const missing = EJECT_FIELDS.filter((f) => input.choices[f] === undefined);
  const entry = new YAMLMap();
  if (missing.length > 0) {
    const marker = new Scalar(true);
    marker.comment = ` needs ${missing.join(', ')}: fill ${missing.length === 1 ? 'it' : 'them'} in, then remove this line`;
    entry.set('draft', marker);
  }
  if (input.title !== undefined) entry.set('title', input.title);
  for (const field of EJECT_FIELDS) {
    const choice = input.choices[field];
    if (choice === undefined) continue;
    const node = new Scalar(choice.value);
    if (field === 'script' && choice.value.includes('\n')) node.type = Scalar.BLOCK_LITERAL;
    if (field !== 'script' && choice.name && choice.name !== choice.value) node.comment = ` ${choice.name}`;
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
  const known = EJECT_FIELDS.filter((f) => input.choices[f] !== undefined).map((f) => ` ${f}: from ${input.choices[f]!.source}.`);
  const style = input.choices.style;
  const todo = missing.map((f) => {
    const list = (f === 'script' ? [] : (input.candidates?.[f] ?? [])).slice(0, COMMENT_CANDIDATES);
    const shown = list.map((c) => `${c.id} (${c.name}${c.preview ? `, ${c.preview}` : ''})`).join('; ');
    return ` ${f}: ${FILL_HINTS[f]}${shown ? `; likeliest: ${shown}` : ''}.`;
  });
  key.commentBefore = [
    ` Pinned from agent entry ${input.id} (${input.from}): session ${input.sessionId}${input.videoId ? `, video ${input.videoId}` : ''}.`,
    ...known,
    ...(style ? [` The agent's style was ${style.value}${style.name ? ` (${style.name})` : ''}, from ${style.source}; direct videos take no style.`] : []),
    ...(todo.length > 0 ? [' Still to fill in (then remove `draft: true`):', ...todo] : []),
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

/**
 * The manifest without the entry whose key is on `line` (1-based): its lines are cut from the text
 * as it is (comments and formatting elsewhere stay). Should `videos:` be left empty it becomes
 * `videos: {}`, which is still a valid manifest. Throws when the entry cannot be cut cleanly.
 */
export function removeEntry(source: string, line: number): string {
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter });
  const videos = doc.get('videos', true);
  if (!isMap(videos)) throw new Error('the manifest has no `videos:` mapping');
  if (videos.flow) throw new Error('`videos:` is a flow mapping ({ … }); remove the entry by hand');
  for (const pair of videos.items) {
    const key = pair.key;
    if (!isScalar(key) || !key.range) continue;
    const at = counter.linePos(key.range[0]);
    if (at.line !== line) continue;
    const start = key.range[0] - (at.col - 1);
    const value = pair.value as { range?: [number, number, number] } | null;
    let end = value?.range ? value.range[1] : key.range[1];
    const eol = source.indexOf('\n', Math.max(start, end - 1));
    end = eol === -1 ? source.length : eol + 1;
    let out = source.slice(0, start) + source.slice(end);
    const after = parseDocument(out);
    if (after.errors.length > 0) throw new Error(`the file would not parse without the entry: ${after.errors[0]!.message}`);
    if (!isMap(after.get('videos', true))) {
      const videosKey = (after.contents as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === 'videos')?.key as Scalar | undefined;
      if (!videosKey?.range) throw new Error('cannot find `videos:` again');
      const colon = out.indexOf(':', videosKey.range[1]);
      out = `${out.slice(0, colon + 1)} {}${out.slice(colon + 1)}`;
    }
    return out;
  }
  throw new Error(`no entry key on line ${line}`);
}
