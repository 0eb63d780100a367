import { inside, isAbsolute, relativePath, resolve as resolvePath } from '../util/path.js';
import { isMap, isScalar, type Document, type Node } from 'yaml';
import type { SourcePosition } from '../errors.js';
import { assetPlaceholder } from '../util/placeholder.js';
import { classify, type FileCache, type FileFacts, type Reference } from './assets.js';
import type { ProjectConfig } from './config.js';
import { readRows, type DataResult } from './data.js';
import { fieldMode, wrongModeMessage } from './fields.js';
import { expand, hasTemplate, templateSyntaxError, type Row } from './template.js';
import type { Diagnostic, DraftEntry, Mode, ResolvedEntry } from './types.js';
import { descend } from './yaml.js';

/** A video id must be usable as a file name on every OS and in URLs. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const MAX_ID_LENGTH = 200;
export const SCRIPT_MAX = 5000;
export const PROMPT_MAX = 10000;

/** Direct-mode fields copied into the request under the same name. */
const PASS_THROUGH = ['voice_settings', 'aspect_ratio', 'resolution', 'fit', 'remove_background', 'output_format', 'motion_prompt', 'expressiveness'] as const;
/** Agent-mode manifest field → request field. */
const AGENT_RENAMES: ReadonlyArray<readonly [string, string]> = [['avatar', 'avatar_id'], ['voice', 'voice_id'], ['style', 'style_id'], ['brand_kit', 'brand_kit_id'], ['orientation', 'orientation'], ['incognito', 'incognito_mode']];

/** Object fields merged key by key with defaults; every other field is replaced whole. */
const DEEP_MERGED = new Set(['voice_settings', 'output', 'api']);

type Json = Record<string, unknown>;

/** Where a merged field came from: its YAML value node. */
interface Field {
  value: unknown;
  node: Node | undefined;
  /** Position of `node`, computed on first use (defaults' fields are shared by every entry). */
  pos?: SourcePosition;
}

/** A local file a request refers to; filled in once the file is hashed. */
interface Slot {
  ref: string;
  path: string;
  relPath: string;
  pos: SourcePosition;
  fill: (placeholder: string) => void;
}

interface Pending {
  entry: ResolvedEntry;
  slots: Slot[];
}

function isPlainObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/**
 * Resolves the entries of one parsed, schema-valid manifest. Per-file state only, so `reel watch`
 * can reload one file without the others.
 */
export class FileResolver {
  readonly diagnostics: Diagnostic[] = [];
  /** Entries marked `draft: true`, in file order. */
  readonly drafts: DraftEntry[] = [];
  readonly dependencies = new Set<string>();
  private readonly pending: Pending[] = [];
  private readonly defaults: Map<string, Field>;

  constructor(
    private readonly root: string,
    private readonly config: ProjectConfig,
    private readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly at: (offset: number) => { line: number; col: number },
    private readonly cache: FileCache,
    manifest: Json,
  ) {
    this.defaults = this.fields(isPlainObject(manifest['defaults']) ? manifest['defaults'] : {}, this.child(doc.contents as Node, 'defaults'));
  }

  /** Classified references by text: a shared background is resolved once per file. */
  private readonly refs = new Map<string, Reference>();

  private classify(ref: string): Reference {
    let r = this.refs.get(ref);
    if (!r) {
      r = classify(this.root, this.file, ref);
      this.refs.set(ref, r);
    }
    return r;
  }

  /** Positions are shared between entries (defaults!): treat them as read-only. */
  private readonly positions = new Map<number, SourcePosition>();

  private pos(node: Node | undefined): SourcePosition {
    const offset = node?.range?.[0] ?? 0;
    let p = this.positions.get(offset);
    if (!p) {
      const { line, col } = this.at(offset);
      p = { file: this.file, line, col };
      this.positions.set(offset, p);
    }
    return p;
  }

  private error(node: Node | undefined, message: string, id?: string): void {
    this.diagnostics.push({ ...this.pos(node), ...(id !== undefined ? { id } : {}), message, severity: 'error' });
  }

  private child(node: Node | undefined, key: string): Node | undefined {
    if (!isMap(node)) return undefined;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    return (pair?.value ?? undefined) as Node | undefined;
  }

  private keyNode(node: Node | undefined, key: string): Node | undefined {
    if (!isMap(node)) return undefined;
    return node.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.key as Node | undefined;
  }

  private fields(value: Json, node: Node | undefined): Map<string, Field> {
    const out = new Map<string, Field>();
    // Keys come from the YAML map (one pass, no second lookup table); the schema already checked
    // them and toValue built `value` from the same pairs.
    if (isMap(node)) {
      for (const p of node.items) {
        if (!isScalar(p.key)) continue;
        const k = String(p.key.value);
        if (Object.hasOwn(value, k)) out.set(k, { value: value[k], node: (p.value ?? p.key) as Node });
      }
    }
    return out;
  }

  /** Entries waiting for their data file (`each`). */
  private readonly waiting: Array<Promise<void>> = [];

  /** Queues one `videos:` entry; `keyNode` is its key in the YAML. Synchronous unless the entry reads a data file. */
  add(id: string, raw: Json, keyNodeArg: Node | undefined, valueNode: Node | undefined): void {
    const before = this.diagnostics.length;
    const own = this.fields(raw, valueNode);
    const mode: Mode = (own.get('mode')?.value ?? this.defaults.get('mode')?.value ?? 'direct') as Mode;
    for (const key of own.keys()) {
      const m = fieldMode(key);
      if (m && m !== mode) this.error(this.keyNode(valueNode, key), wrongModeMessage(key, mode), id);
    }
    const merged = new Map<string, Field>();
    for (const [k, f] of this.defaults) {
      const m = fieldMode(k);
      if (m && m !== mode) continue; // defaults for the other mode are skipped silently
      if ((k === 'avatar' && own.has('image')) || (k === 'image' && own.has('avatar'))) continue;
      if ((k === 'script' || k === 'voice') && own.has('audio')) continue;
      if (k === 'audio' && own.has('script')) continue;
      merged.set(k, f);
    }
    for (const [k, f] of own) {
      const base = merged.get(k);
      merged.set(k, DEEP_MERGED.has(k) && base && isPlainObject(base.value) && isPlainObject(f.value) ? { value: deepMerge(base.value, f.value), node: f.node } : f);
    }
    merged.delete('mode');
    const draft = merged.get('draft');
    merged.delete('draft');
    if (draft?.value === true) {
      this.draft(id, mode, merged, keyNodeArg, draft.node);
      return;
    }
    const each = merged.get('each');
    merged.delete('each');
    const allowEmpty = merged.get('allow_empty');
    merged.delete('allow_empty');
    if (allowEmpty && !each) this.error(allowEmpty.node, '`allow_empty` only applies to an entry with `each:`; remove it, or add `each:`', id);

    // Template text is checked once, before any row.
    let templated = hasTemplate(id);
    if (templated) {
      const problem = templateSyntaxError(id);
      if (problem) this.error(keyNodeArg, problem, id);
    }
    let field = '';
    let fieldNode: Node | undefined;
    const visit = (s: string, path: Array<string | number>): void => {
      templated = true;
      const node = descend(this.doc, fieldNode, path);
      const problem = templateSyntaxError(s);
      if (problem) this.error(node, `\`${field}\`: ${problem}`, id);
      else if (!each) this.error(node, `\`${field}\` uses a \`{{ row.… }}\` template, but the entry has no \`each:\` data file; add \`each:\` or remove the template`, id);
    };
    const path: Array<string | number> = [];
    for (const [k, f] of merged) {
      field = k;
      fieldNode = f.node;
      walkStrings(f.value, path, visit);
    }
    if (this.diagnostics.length > before) return;

    if (!each) {
      this.build(id, mode, merged, keyNodeArg, undefined);
      return;
    }
    const allowed = new Set(Array.isArray(allowEmpty?.value) ? allowEmpty.value.map(String) : []);
    if (!templated || !hasTemplate(id)) {
      this.error(keyNodeArg, `an \`each\` entry's id must use a column, e.g. \`${id}-{{ row.slug }}\`, so every row gets its own id`, id);
      return;
    }
    this.waiting.push(this.rows(String(each.value), each.node, id).then((rows) => rows && this.expandRows(id, mode, merged, keyNodeArg, rows, allowed)));
  }

  /**
   * A `draft: true` entry: what it still needs (the fields a complete entry of its mode requires),
   * as a warning at the marker. It is not built, so nothing downstream can render it.
   */
  private draft(id: string, mode: Mode, f: Map<string, Field>, keyNode: Node | undefined, marker: Node | undefined): void {
    const needs = draftNeeds(mode, (k) => f.has(k));
    this.drafts.push({ id, mode, needs, source: this.pos(keyNode) });
    const message = needs.length > 0
      ? `\`${id}\` is a draft and is not rendered: it needs ${needs.map((n) => `\`${n}\``).join(', ')}; fill ${needs.length === 1 ? 'it' : 'them'} in, then remove \`draft: true\``
      : `\`${id}\` is a draft and is not rendered; it looks complete: remove \`draft: true\` to render it`;
    this.diagnostics.push({ ...this.pos(marker), id, message, severity: 'warning' });
  }

  private expandRows(
    id: string, mode: Mode, merged: Map<string, Field>, keyNodeArg: Node | undefined, rows: { rows: Row[]; relPath: string }, allowEmpty: ReadonlySet<string>,
  ): void {
    const dataRel = rows.relPath;
    const reported = new Set<string>();
    const columns = (row: Row): string => Object.keys(row).join(', ') || '(none)';
    const missingError = (node: Node | undefined, row: Row, i: number, missing: string[], what: string): void => {
      const key = `${what}|${missing.join(',')}`;
      if (reported.has(key)) return;
      reported.add(key);
      const names = missing.map((m) => `\`${m}\``).join(', ');
      this.error(node, `${what}: row ${i + 1} of ${dataRel} has no column ${names}; columns: ${columns(row)}`, id);
    };
    const emptyError = (node: Node | undefined, row: Row, i: number, empty: string[], what: string): boolean => {
      const blank = empty.filter((c) => !allowEmpty.has(c));
      if (blank.length === 0) return false;
      const names = blank.map((c) => `\`${c}\` (column ${Object.keys(row).indexOf(c) + 1})`).join(', ');
      this.error(node, `${what}: row ${i + 1} of ${dataRel} leaves ${names} empty; fill the cell, or add the column to \`allow_empty:\` to use an empty value on purpose`, id);
      return true;
    };
    rows.rows.forEach((row, i) => {
      const rowId = expand(id, row);
      if (rowId.missing.length > 0) return missingError(keyNodeArg, row, i, rowId.missing, 'id');
      if (rowId.empty.length > 0 && emptyError(keyNodeArg, row, i, rowId.empty, 'id')) return;
      const expanded = new Map<string, Field>();
      let ok = true;
      for (const [k, f] of merged) {
        const value = mapStrings(f.value, [], (s, path) => {
          if (!hasTemplate(s)) return s;
          const r = expand(s, row);
          if (r.missing.length > 0) {
            ok = false;
            missingError(descend(this.doc, f.node, path), row, i, r.missing, `\`${k}\``);
          } else if (r.empty.length > 0 && emptyError(descend(this.doc, f.node, path), row, i, r.empty, `\`${k}\``)) {
            ok = false;
          }
          return r.value;
        });
        expanded.set(k, { value, node: f.node });
      }
      if (ok) this.build(rowId.value, mode, expanded, keyNodeArg, { data: dataRel, row: i + 1 });
    });
  }

  private async rows(ref: string, node: Node | undefined, id: string): Promise<{ rows: Row[]; relPath: string } | undefined> {
    const where = this.classify(ref);
    if (where.kind !== 'path') {
      this.error(node, where.kind === 'url' ? '`each` must be a local data file (CSV, JSON or YAML), not a URL' : `\`each\`: ${where.message}`, id);
      return undefined;
    }
    const checked = await this.cache.check(where.path, ref);
    this.dependencies.add(where.path);
    if ('error' in checked) {
      this.error(node, `\`each\` data file ${checked.error}`, id);
      return undefined;
    }
    const result: DataResult = await this.cache.rows(checked.real, () => readRows(checked.real));
    if ('problem' in result) {
      const p = result.problem;
      const pos = p.line !== undefined ? `${where.relPath}:${p.line}${p.col !== undefined ? `:${p.col}` : ''}` : where.relPath;
      this.error(node, `\`each\` data file ${pos} ${p.message}`, id);
      return undefined;
    }
    if (result.rows.length === 0) {
      this.error(node, `\`each\` data file ${where.relPath} has no rows`, id);
      return undefined;
    }
    return { rows: result.rows, relPath: where.relPath };
  }

  private build(id: string, mode: Mode, f: Map<string, Field>, keyNode: Node | undefined, origin: ResolvedEntry['origin']): void {
    const before = this.diagnostics.length;
    const err = (node: Node | undefined, message: string): void => this.error(node, message, id);
    if (!ID_PATTERN.test(id) || id.length > MAX_ID_LENGTH) {
      const slug = id.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, MAX_ID_LENGTH);
      err(keyNode, `id \`${id}\`${origin ? ` (row ${origin.row} of ${origin.data})` : ''} is not safe as a file name; use lower-case letters, digits, \`.\`, \`_\` and \`-\`, starting with a letter or digit${slug ? ` (e.g. \`${slug}\`)` : ''}`);
    }
    const request: Json = {};
    const fieldSources: Record<string, SourcePosition> = {};
    const slots: Slot[] = [];
    const entryPos = this.pos(keyNode);
    const get = (k: string): unknown => f.get(k)?.value;
    const node = (k: string): Node | undefined => f.get(k)?.node;
    const set = (reqKey: string, value: unknown, from: string | undefined): void => {
      request[reqKey] = value;
      const field = from === undefined ? undefined : f.get(from);
      fieldSources[reqKey] = field ? (field.pos ??= this.pos(field.node)) : entryPos;
    };
    /** A local path or https URL; local paths become slots filled with the asset placeholder. */
    const ref = (value: string, at: Node | undefined, asUrl: (url: string) => unknown, asAsset: (placeholder: string) => void): unknown => {
      const where = this.classify(value);
      if (where.kind === 'error') {
        err(at, where.message);
        return undefined;
      }
      if (where.kind === 'url') return asUrl(where.url);
      slots.push({ ref: value, path: where.path, relPath: where.relPath, pos: this.pos(at), fill: asAsset });
      return null;
    };

    if (mode === 'direct') {
      const avatar = get('avatar');
      const image = get('image');
      if (avatar !== undefined && image !== undefined) err(node('image'), 'use either `avatar` (a look id) or `image`, not both');
      else if (image !== undefined) {
        set('type', 'image', 'image');
        const v = ref(String(image), node('image'), (url) => ({ type: 'url', url }), (p) => (request['image'] = { type: 'asset_id', asset_id: p }));
        set('image', v, 'image');
      } else if (avatar !== undefined) {
        set('type', 'avatar', 'avatar');
        set('avatar_id', avatar, 'avatar');
      } else err(keyNode, 'a direct entry needs `avatar` (a look id) or `image`; set one here or in `defaults`');

      const script = get('script');
      const voice = get('voice');
      const audio = get('audio');
      if (audio !== undefined && (script !== undefined || voice !== undefined)) {
        err(node('audio'), `use either \`script\` + \`voice\` or \`audio\`, not both; remove \`${script !== undefined ? 'script' : 'voice'}\` or \`audio\``);
      } else if (audio !== undefined) {
        const v = ref(String(audio), node('audio'), (url) => url, (p) => {
          delete request['audio_url'];
          request['audio_asset_id'] = p;
        });
        if (typeof v === 'string') set('audio_url', v, 'audio');
        else if (v === null) set('audio_asset_id', null, 'audio');
      } else if (script === undefined) {
        err(keyNode, 'a direct entry needs `script` + `voice`, or `audio`');
      } else {
        if (typeof script === 'string' && script.length > SCRIPT_MAX) {
          err(node('script'), `\`script\` is ${script.length.toLocaleString('en-US')} characters; HeyGen allows at most 5,000 — shorten it or split the video`);
        }
        set('script', script, 'script');
        if (voice === undefined) err(node('script'), '`script` needs a `voice` (a voice id); set it here or in `defaults`');
        else set('voice_id', voice, 'voice');
      }
      for (const k of PASS_THROUGH) {
        if (f.has(k)) set(k, get(k), k);
      }
      const bg = get('background');
      if (isPlainObject(bg)) {
        const bgNode = node('background');
        if (typeof bg['color'] === 'string') set('background', { type: 'color', value: bg['color'] }, 'background');
        else if (typeof bg['url'] === 'string') set('background', { type: 'image', url: bg['url'] }, 'background');
        else if (typeof bg['image'] === 'string') {
          const v = ref(bg['image'], descend(this.doc, bgNode, ['image']), (url) => ({ type: 'image', url }), (p) => (request['background'] = { type: 'image', asset_id: p }));
          set('background', v, 'background');
        }
      }
      if (get('captions') === true) set('caption', { file_format: 'srt', style: 'default' }, 'captions');
      const engine = get('engine');
      if (typeof engine === 'string') set('engine', { type: engine }, 'engine');
      else if (isPlainObject(engine)) set('engine', { ...engine }, 'engine');
      if (f.has('title')) set('title', get('title'), 'title');
    } else {
      const prompt = get('prompt');
      if (prompt === undefined) err(keyNode, 'an agent entry needs a `prompt` (1–10,000 characters) describing the video');
      else {
        if (typeof prompt === 'string' && prompt.length > PROMPT_MAX) {
          err(node('prompt'), `\`prompt\` is ${prompt.length.toLocaleString('en-US')} characters; HeyGen allows at most 10,000 — shorten it`);
        }
        if (typeof prompt === 'string' && prompt.trim() === '') err(node('prompt'), '`prompt` must not be blank');
        set('prompt', prompt, 'prompt');
      }
      const review = get('review') === true;
      set('mode', review ? 'chat' : 'generate', f.has('review') ? 'review' : undefined);
      for (const [k, reqKey] of AGENT_RENAMES) if (f.has(k)) set(reqKey, get(k), k);
      const files = get('files');
      if (Array.isArray(files)) {
        const filesNode = node('files');
        const list: unknown[] = files.map((item, i) => {
          const v = ref(String(item), descend(this.doc, filesNode, [i]), (url) => ({ type: 'url', url }), (p) => (list[i] = { type: 'asset_id', asset_id: p }));
          return v;
        });
        set('files', list, 'files');
      }
      const revisions = get('revisions');
      if (!review && f.has('revisions')) err(node('revisions'), '`revisions` need a chat session; add `review: true`');
      if (!review && f.has('approved')) err(node('approved'), '`approved` only applies with `review: true`');
      for (const [i, r] of (Array.isArray(revisions) ? revisions : []).entries()) {
        if (typeof r === 'string' && r.trim() === '') err(descend(this.doc, node('revisions'), [i]), `\`revisions[${i}]\` must not be blank`);
      }
    }

    const callbackUrl = get('callback_url') ?? this.config.callback_url;
    const callbackId = get('callback_id') ?? this.config.callback_id;
    const configPos = (k: string): SourcePosition => this.config.sources?.[k] ?? entryPos;
    if (callbackUrl !== undefined) {
      request['callback_url'] = callbackUrl;
      fieldSources['callback_url'] = f.has('callback_url') ? this.pos(node('callback_url')) : configPos('callback_url');
    }
    if (callbackId !== undefined || callbackUrl !== undefined) {
      request['callback_id'] = callbackId ?? id;
      fieldSources['callback_id'] = f.has('callback_id') ? this.pos(node('callback_id')) : callbackId !== undefined ? configPos('callback_id') : entryPos;
    }

    const output: ResolvedEntry['output'] = {};
    const out = get('output');
    if (isPlainObject(out) && typeof out['file'] === 'string') {
      const file = out['file'];
      const abs = resolvePath(this.root, file);
      if (isAbsolute(file) || !inside(this.root, abs) || abs === this.root) err(descend(this.doc, node('output'), ['file']), '`output.file` must be a path relative to the project root, inside it');
      else output.file = relativePath(this.root, abs);
    }

    const api = get('api');
    if (isPlainObject(api)) {
      Object.assign(request, deepMerge(request, api));
      for (const k of Object.keys(api)) fieldSources[k] = this.pos(descend(this.doc, node('api'), [k], true));
    }
    if (this.diagnostics.length > before) return;

    const entry: ResolvedEntry = { id, mode, request, assets: [], output, source: entryPos, fieldSources };
    if (f.has('title')) entry.title = String(get('title'));
    if (mode === 'agent') {
      entry.agent = {
        review: get('review') === true,
        revisions: Array.isArray(get('revisions')) ? (get('revisions') as unknown[]).map(String) : [],
        approved: get('approved') === true,
      };
    }
    if (origin) entry.origin = origin;
    this.pending.push({ entry, slots });
  }

  /** Hashes every local file the queued entries refer to and returns the entries that resolved. */
  async finish(): Promise<ResolvedEntry[]> {
    // Most files wait for nothing: skip the awaits (two promise turns per file) when there is nothing to wait for.
    if (this.waiting.length > 0) await Promise.all(this.waiting);
    // Hash each distinct file once (the cache also shares them across files), then fill slots synchronously.
    const facts = new Map<string, FileFacts | { error: string }>();
    const distinct = new Map<string, string>();
    for (const { slots } of this.pending) for (const slot of slots) if (!distinct.has(slot.path)) distinct.set(slot.path, slot.ref);
    if (distinct.size > 0) await Promise.all([...distinct].map(async ([path, ref]) => facts.set(path, await this.cache.hash(path, ref))));
    const out: ResolvedEntry[] = [];
    for (const { entry, slots } of this.pending) {
      let ok = true;
      for (const slot of slots) {
        this.dependencies.add(slot.path);
        const f = facts.get(slot.path)!;
        if ('error' in f) {
          this.diagnostics.push({ ...slot.pos, id: entry.id, message: f.error, severity: 'error' });
          ok = false;
          continue;
        }
        const placeholder = assetPlaceholder(f.sha256);
        slot.fill(placeholder);
        entry.assets.push({ placeholder, path: slot.path, relPath: slot.relPath, sha256: f.sha256, size: f.size, source: slot.pos });
      }
      if (ok) out.push(entry);
    }
    return out;
  }
}

/** The fields a draft of `mode` still needs before it can be a normal entry. */
export function draftNeeds(mode: Mode, has: (field: string) => boolean): string[] {
  if (mode === 'agent') return has('prompt') ? [] : ['prompt'];
  const needs: string[] = [];
  if (!has('avatar') && !has('image')) needs.push('avatar');
  if (!has('audio')) {
    if (!has('voice')) needs.push('voice');
    if (!has('script')) needs.push('script');
  }
  return needs;
}

/** Calls `visit` for every string containing `{{`; the path is built only for those. */
function walkStrings(value: unknown, path: Array<string | number>, visit: (s: string, path: Array<string | number>) => void): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) visit(value, [...path]);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walkStrings(value[i], path, visit);
      path.pop();
    }
  } else if (isPlainObject(value)) {
    for (const k in value) {
      path.push(k);
      walkStrings(value[k], path, visit);
      path.pop();
    }
  }
}

function mapStrings(value: unknown, path: Array<string | number>, fn: (s: string, path: Array<string | number>) => string): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, [...path, i], fn));
  if (isPlainObject(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, [...path, k], fn);
    return out;
  }
  return value;
}
