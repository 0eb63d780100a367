import { inside, resolve as resolvePath } from '../util/path.js';
import { isMap, isScalar, type Document, type Node } from 'yaml';
import type { SourcePosition } from '../errors.js';
import { assetPlaceholder } from '../util/placeholder.js';
import { classify, type FileCache, type FileFacts, type Reference } from './assets.js';
import type { ProjectConfig } from './config.js';
import { readRows, type DataResult } from './data.js';
import { fieldMode, wrongModeMessage } from './fields.js';
import { expand, hasTemplate, templateSyntaxError, type Row } from './template.js';
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { fingerprint } from '../plan/fingerprint.js';
import { estimateSeconds } from '../plan/estimate.js';
import { realTarget } from '../util/confine.js';
import { BREATHE_EVERY, breathe } from '../util/signal.js';
import { checkOutputFile } from './output.js';
import type { Diagnostic, DraftEntry, LocaleOf, Mode, ResolvedEntry } from './types.js';
import { decodeUtf8, descend, parseYaml } from './yaml.js';

/** A video id must be usable as a file name on every OS and in URLs. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
export const MAX_ID_LENGTH = 200;
/** Names Windows reserves for devices, with or without an extension (`con`, `con.intro`, `lpt1`). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(\.|$)/;
export const SCRIPT_MAX = 5000;
export const PROMPT_MAX = 10000;

/** Direct-mode fields copied into the request under the same name. */
const PASS_THROUGH = ['voice_settings', 'aspect_ratio', 'resolution', 'fit', 'remove_background', 'output_format', 'motion_prompt', 'expressiveness'] as const;
/** Agent-mode manifest field → request field. */
const AGENT_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['avatar', 'avatar_id'],
  ['voice', 'voice_id'],
  ['style', 'style_id'],
  ['brand_kit', 'brand_kit_id'],
  ['orientation', 'orientation'],
  ['incognito', 'incognito_mode'],
];

/** Object fields merged key by key with defaults; every other field is replaced whole. */
const DEEP_MERGED = new Set(['voice_settings', 'output', 'api', 'locales']);

/** Locale fields that only a `rerender` locale takes, and those only a `translate` locale takes. */
const RERENDER_ONLY = ['script', 'catalog', 'voice', 'voice_settings', 'avatar'] as const;
const TRANSLATE_ONLY = ['language', 'mode', 'captions', 'audio_only', 'speakers', 'glossary', 'proofread'] as const;

/**
 * A locale's id: its source's id, a dot and the locale key in lower case (`welcome` + `de-DE` →
 * `welcome.de-de`), so it is as file-safe as the source's and sorts next to it.
 */
export function localeId(source: string, key: string): string {
  return `${source}.${key.toLowerCase()}`;
}

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
  /** `translate` locales: their source, whose fingerprint they carry once its files are hashed. */
  after?: Pending;
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
    private readonly signal?: AbortSignal,
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
    const message =
      needs.length > 0
        ? `\`${id}\` is a draft and is not rendered: it needs ${needs.map((n) => `\`${n}\``).join(', ')}; fill ${needs.length === 1 ? 'it' : 'them'} in, then remove \`draft: true\``
        : `\`${id}\` is a draft and is not rendered; it looks complete: remove \`draft: true\` to render it`;
    this.diagnostics.push({ ...this.pos(marker), id, message, severity: 'warning' });
  }

  private async expandRows(id: string, mode: Mode, merged: Map<string, Field>, keyNodeArg: Node | undefined, rows: { rows: Row[]; relPath: string }, allowEmpty: ReadonlySet<string>): Promise<void> {
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
    for (let i = 0; i < rows.rows.length; i++) {
      if (i > 0 && i % BREATHE_EVERY === 0) await breathe(this.signal);
      const row = rows.rows[i]!;
      const rowId = expand(id, row);
      if (rowId.missing.length > 0) {
        missingError(keyNodeArg, row, i, rowId.missing, 'id');
        continue;
      }
      if (rowId.empty.length > 0 && emptyError(keyNodeArg, row, i, rowId.empty, 'id')) continue;
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
    }
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

  private build(id: string, mode: Mode, f: Map<string, Field>, keyNode: Node | undefined, origin: ResolvedEntry['origin'], locale?: LocaleOf): void {
    const before = this.diagnostics.length;
    const err = (node: Node | undefined, message: string): void => this.error(node, message, id);
    if (!ID_PATTERN.test(id) || id.length > MAX_ID_LENGTH) {
      const slug = id
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '')
        .slice(0, MAX_ID_LENGTH);
      err(
        keyNode,
        `id \`${id}\`${origin ? ` (row ${origin.row} of ${origin.data})` : ''} is not safe as a file name; use lower-case letters, digits, \`.\`, \`_\` and \`-\`, starting with a letter or digit${slug ? ` (e.g. \`${slug}\`)` : ''}`,
      );
    } else if (WINDOWS_RESERVED.test(id) || id.endsWith('.')) {
      const reason = id.endsWith('.') ? 'ends with `.`, which Windows drops from file names' : `is a device name on Windows (\`${id.split('.')[0]}\`), so \`${id}.mp4\` cannot be created there`;
      err(keyNode, `id \`${id}\`${origin ? ` (row ${origin.row} of ${origin.data})` : ''} ${reason}; choose another id (e.g. \`${id.replace(/\.+$/, '')}-video\`)`);
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
        const v = ref(
          String(image),
          node('image'),
          (url) => ({ type: 'url', url }),
          (p) => (request['image'] = { type: 'asset_id', asset_id: p }),
        );
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
        const v = ref(
          String(audio),
          node('audio'),
          (url) => url,
          (p) => {
            delete request['audio_url'];
            request['audio_asset_id'] = p;
          },
        );
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
          const v = ref(
            bg['image'],
            descend(this.doc, bgNode, ['image']),
            (url) => ({ type: 'image', url }),
            (p) => (request['background'] = { type: 'image', asset_id: p }),
          );
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
          const v = ref(
            String(item),
            descend(this.doc, filesNode, [i]),
            (url) => ({ type: 'url', url }),
            (p) => (list[i] = { type: 'asset_id', asset_id: p }),
          );
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
      const checked = checkOutputFile(this.root, out['file'], request['output_format']);
      const at = descend(this.doc, node('output'), ['file']);
      if ('problem' in checked) err(at, checked.problem);
      else {
        output.file = checked.rel;
        fieldSources['output.file'] = this.pos(at);
      }
    }

    const api = get('api');
    const proto = protoPath(api);
    if (proto) err(descend(this.doc, node('api'), proto, true), `\`api.${proto.join('.')}\`: \`__proto__\` cannot be sent as a request field (JavaScript would drop it silently); remove it`);
    else if (isPlainObject(api)) {
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
    if (locale) entry.locale = locale;
    const pending: Pending = { entry, slots };
    this.pending.push(pending);
    if (!locale) this.locales(pending, f, keyNode, origin);
  }

  // ---- locales (docs/localization.md) ------------------------------------------------------------

  /** The entry's `locales:` (over the config's), each queued as its own derived entry. */
  private locales(source: Pending, f: Map<string, Field>, keyNode: Node | undefined, origin: ResolvedEntry['origin']): void {
    const own = f.get('locales');
    const base = this.config.locales;
    if (!own && !base) return;
    const all = deepMerge(base ?? {}, isPlainObject(own?.value) ? own.value : {});
    const configPos = this.config.sources?.['locales'] ?? source.entry.source;
    const id = source.entry.id;
    for (const key of Object.keys(all)) {
      const spec = all[key];
      if (!isPlainObject(spec)) continue;
      const specNode = own ? descend(this.doc, own.node, [key]) : undefined;
      const keyPos = own && specNode ? this.pos(descend(this.doc, own.node, [key], true)) : configPos;
      const at = (field: string): { node?: Node; pos: SourcePosition } => {
        const n = specNode ? descend(this.doc, specNode, [field]) : undefined;
        return n && n !== specNode ? { node: n, pos: this.pos(n) } : { pos: keyPos };
      };
      const fail = (field: string, message: string): void => {
        this.diagnostics.push({ ...at(field).pos, id, message, severity: 'error' });
      };
      const lid = localeId(id, key);
      const strategy = spec['strategy'] === 'rerender' ? 'rerender' : 'translate';
      const wrong = (strategy === 'translate' ? RERENDER_ONLY : TRANSLATE_ONLY).filter((k) => k in spec);
      for (const k of wrong)
        fail(k, `locale \`${key}\`: \`${k}\` is for ${strategy === 'translate' ? '`strategy: rerender`' : '`strategy: translate` (the default)'} locales; remove it or change the strategy`);
      if (wrong.length > 0) continue;
      const title = typeof spec['title'] === 'string' ? spec['title'] : typeof source.entry.title === 'string' ? `${source.entry.title} (${key})` : undefined;
      if (strategy === 'translate') this.translateLocale(source, lid, key, spec, title, at, fail, keyPos);
      else this.rerenderLocale(source, lid, key, spec, title, f, keyNode, origin, specNode, at, fail);
    }
  }

  private translateLocale(
    source: Pending,
    lid: string,
    key: string,
    spec: Json,
    title: string | undefined,
    at: (field: string) => { node?: Node; pos: SourcePosition },
    fail: (field: string, message: string) => void,
    keyPos: SourcePosition,
  ): void {
    const language = spec['language'];
    if (typeof language !== 'string') {
      fail('language', `locale \`${key}\` needs \`language:\`, the HeyGen language name (e.g. \`German (Germany)\`); \`reel validate --remote\` lists close matches`);
      return;
    }
    const request: Json = {
      output_languages: [language],
      mode: spec['mode'] === 'precision' ? 'precision' : 'speed',
      translate_audio_only: spec['audio_only'] === true,
      enable_caption: spec['captions'] === true,
    };
    // `source` is where the source video is defined: editing it is what re-translates (`reel explain`).
    const fieldSources: Record<string, SourcePosition> = {
      output_languages: at('language').pos,
      mode: at('mode').pos,
      enable_caption: at('captions').pos,
      translate_audio_only: at('audio_only').pos,
      source: source.entry.source,
    };
    if (typeof spec['speakers'] === 'number') {
      request['speaker_num'] = spec['speakers'];
      fieldSources['speaker_num'] = at('speakers').pos;
    }
    if (typeof spec['glossary'] === 'string') {
      request['brand_glossary_id'] = spec['glossary'];
      fieldSources['brand_glossary_id'] = at('glossary').pos;
    }
    if (title !== undefined) request['title'] = title;
    const slots: Slot[] = [];
    const locale: LocaleOf = { source: source.entry.id, key, strategy: 'translate' };
    const proofread = spec['proofread'];
    if (typeof proofread === 'string') {
      const where = this.classify(proofread);
      if (where.kind !== 'path') {
        fail('proofread', `locale \`${key}\`: \`proofread\` must be an SRT file in the repository${where.kind === 'error' ? ` (${where.message})` : ', not a URL'}`);
        return;
      }
      // The reviewed subtitles go with the translation, for the translated video (`srt_role: output`).
      request['srt_role'] = 'output';
      request['srt'] = null;
      fieldSources['srt'] = at('proofread').pos;
      locale.proofread = where.relPath;
      if (!existsSync(where.path)) {
        // Not translated until the reviewed file exists (the plan leaves it out), but `reel l10n
        // pull` finds the locale here and writes the file.
        locale.awaitingProofread = true;
        this.dependencies.add(where.path);
        this.diagnostics.push({
          ...at('proofread').pos,
          id: lid,
          severity: 'warning',
          message: `locale \`${key}\` waits for its reviewed subtitles: ${where.relPath} does not exist yet; run \`reel l10n pull ${lid}\` once ${source.entry.id} is rendered, correct the file and commit it (or remove \`proofread\`)`,
        });
      } else slots.push({ ref: proofread, path: where.path, relPath: where.relPath, pos: at('proofread').pos, fill: (p) => (request['srt'] = { type: 'asset_id', asset_id: p }) });
    }
    const entry: ResolvedEntry = { id: lid, mode: 'translate', request, assets: [], output: {}, source: keyPos, fieldSources, locale };
    if (title !== undefined) entry.title = title;
    if (source.entry.origin) entry.origin = source.entry.origin;
    this.pending.push({ entry, slots, after: source });
  }

  private rerenderLocale(
    source: Pending,
    lid: string,
    key: string,
    spec: Json,
    title: string | undefined,
    f: Map<string, Field>,
    keyNode: Node | undefined,
    origin: ResolvedEntry['origin'],
    specNode: Node | undefined,
    at: (field: string) => { node?: Node; pos: SourcePosition },
    fail: (field: string, message: string) => void,
  ): void {
    if (source.entry.mode !== 'direct' || typeof source.entry.request['script'] !== 'string') {
      fail(
        'strategy',
        `locale \`${key}\`: \`strategy: rerender\` renders a localized script, so its source must be a direct entry with \`script\`; use \`strategy: translate\` for ${source.entry.mode === 'agent' ? 'agent entries' : 'audio-driven entries'}`,
      );
      return;
    }
    if (typeof spec['script'] !== 'string' && typeof spec['catalog'] !== 'string') {
      fail('strategy', `locale \`${key}\` (\`strategy: rerender\`) needs its \`script\`, or a \`catalog\` file mapping entry ids to scripts`);
      return;
    }
    if (typeof spec['voice'] !== 'string') {
      fail('strategy', `locale \`${key}\` (\`strategy: rerender\`) needs a native \`voice\` for the language`);
      return;
    }
    const overrides = this.fields(spec, specNode);
    const g = new Map(f);
    for (const k of ['locales', 'output', 'callback_id']) g.delete(k);
    for (const k of ['voice', 'avatar', 'script'] as const) {
      const o = overrides.get(k) ?? (typeof spec[k] === 'string' ? { value: spec[k], node: at(k).node } : undefined);
      if (o) g.set(k, o);
    }
    const vs = spec['voice_settings'];
    if (isPlainObject(vs)) {
      const base = g.get('voice_settings');
      g.set('voice_settings', { value: isPlainObject(base?.value) ? deepMerge(base.value, vs) : vs, node: at('voice_settings').node });
    }
    if (title !== undefined) g.set('title', { value: title, node: at('title').node ?? keyNode });
    else g.delete('title');
    const locale: LocaleOf = { source: source.entry.id, key, strategy: 'rerender' };
    const catalog = spec['catalog'];
    if (typeof spec['script'] === 'string' || typeof catalog !== 'string') {
      this.build(lid, 'direct', g, specNode ?? keyNode, origin, locale);
      return;
    }
    const id = source.entry.id;
    this.waiting.push(
      this.catalog(catalog).then((read) => {
        if ('error' in read) return fail('catalog', `locale \`${key}\`: catalog ${read.error}`);
        const script = read.scripts[id];
        if (typeof script !== 'string' || script.trim() === '') {
          return fail('catalog', `locale \`${key}\`: catalog ${read.relPath} has no script for \`${id}\`; add \`${id}: <translated script>\` to it`);
        }
        g.set('script', { value: script, node: at('catalog').node });
        this.build(lid, 'direct', g, specNode ?? keyNode, origin, locale);
      }),
    );
  }

  /** Per-language catalogs read once per file: a map from entry id to localized script. */
  private readonly catalogs = new Map<string, Promise<{ scripts: Record<string, unknown>; relPath: string } | { error: string }>>();

  private catalog(ref: string): Promise<{ scripts: Record<string, unknown>; relPath: string } | { error: string }> {
    let p = this.catalogs.get(ref);
    if (p) return p;
    p = (async () => {
      const where = this.classify(ref);
      if (where.kind !== 'path') return { error: where.kind === 'error' ? where.message : `\`${ref}\` must be a local YAML or JSON file, not a URL` };
      this.dependencies.add(where.path);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(where.path);
      } catch (e) {
        return { error: `${where.relPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
      }
      const decoded = decodeUtf8(bytes);
      if (!('text' in decoded)) return { error: `${where.relPath}:${decoded.line}:${decoded.col} has an invalid UTF-8 byte; save it as UTF-8` };
      const parsed = parseYaml(decoded.text.replace(/^\uFEFF/, ''), 'catalog', { allowEmpty: true });
      const first = parsed.errors[0];
      if (first) {
        const { line, col } = parsed.lineCounter.linePos(first.offset);
        return { error: `${where.relPath}:${line}:${col}: ${first.message}` };
      }
      if (!isPlainObject(parsed.value)) return { error: `${where.relPath} must map entry ids to scripts (\`welcome: "Willkommen …"\`)` };
      const scripts: Record<string, unknown> = Object.create(null);
      Object.assign(scripts, parsed.value);
      return { scripts, relPath: where.relPath };
    })();
    this.catalogs.set(ref, p);
    return p;
  }

  /** Hashes every local file the queued entries refer to and returns the entries that resolved. */
  async finish(): Promise<ResolvedEntry[]> {
    // Most files wait for nothing: skip the awaits (two promise turns per file) when there is nothing to wait for.
    // Waiting work may queue more (a row's locale reads its catalog): wait until nothing new comes.
    for (let done = 0; done < this.waiting.length; ) {
      const batch = this.waiting.slice(done);
      done = this.waiting.length;
      await Promise.all(batch);
    }
    // Hash each distinct file once (the cache also shares them across files), then fill slots synchronously.
    const facts = new Map<string, FileFacts | { error: string }>();
    const distinct = new Map<string, string>();
    for (const { slots } of this.pending) for (const slot of slots) if (!distinct.has(slot.path)) distinct.set(slot.path, slot.ref);
    if (distinct.size > 0) await Promise.all([...distinct].map(async ([path, ref]) => facts.set(path, await this.cache.hash(path, ref))));
    const out: ResolvedEntry[] = [];
    // An output.file whose folder is a symlink out of the project would carry the download outside
    // (build checks again when it writes; this reports it where it is written).
    const escapes = new Set<ResolvedEntry>();
    const outputs = this.pending.filter((p) => p.entry.output.file !== undefined);
    if (outputs.length > 0) {
      const realRoot = await realpath(this.root).catch(() => this.root);
      await Promise.all(
        outputs.map(async ({ entry }) => {
          const real = await realTarget(resolvePath(this.root, entry.output.file!)).catch(() => undefined);
          if (real === undefined || !inside(realRoot, real)) {
            escapes.add(entry);
            this.diagnostics.push({
              ...(entry.fieldSources['output.file'] ?? entry.source),
              id: entry.id,
              severity: 'error',
              message: `\`output.file\` ${entry.output.file} leads (through a symlink) outside the project; reel writes only inside it`,
            });
          }
        }),
      );
    }
    const failed = new Set<Pending>();
    for (const pending of this.pending) {
      const { entry, slots } = pending;
      if (escapes.has(entry)) {
        failed.add(pending);
        continue;
      }
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
      else failed.add(pending);
    }
    // Sources come before their locales in `pending`, so their requests are complete by now.
    for (const pending of this.pending) {
      const source = pending.after;
      if (!source || !pending.entry.locale) continue;
      if (failed.has(source)) {
        const i = out.indexOf(pending.entry);
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      pending.entry.locale.sourceFingerprint = fingerprint(source.entry);
      pending.entry.locale.sourceSeconds = estimateSeconds(source.entry);
    }
    return out;
  }
}

/** The path to the first `__proto__` key inside `value`, if any. */
function protoPath(value: unknown): Array<string | number> | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    else if (isPlainObject(v)) {
      for (const k of Object.keys(v)) {
        if (k === '__proto__') return [...path, k];
        stack.push({ value: v[k], path: [...path, k] });
      }
    }
  }
  return undefined;
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
