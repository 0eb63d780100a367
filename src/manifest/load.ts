import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relativePath, resolve } from '../util/path.js';
import { isMap, isScalar, type Node } from 'yaml';
import { CancelledError, type SourcePosition } from '../errors.js';
import { FileCache } from './assets.js';
import { loadConfig, type ProjectConfig } from './config.js';
import { CONFIG_FILES } from './names.js';
import { findManifests } from './find.js';
import { outputKey } from './output.js';
import { FileResolver } from './resolve.js';
import { validateAgainst } from './schema.js';
import type { Diagnostic, DraftEntry, ResolvedEntry } from './types.js';
import { decodeUtf8, nodeAt, offsetOf, parseYaml } from './yaml.js';
import { append } from '../util/array.js';
import { BREATHE_EVERY, breathe } from '../util/signal.js';

/** One manifest file, loaded on its own. */
export interface FileResult {
  /** Absolute path. */
  file: string;
  entries: ResolvedEntry[];
  /** Entries marked `draft: true`: never resolved, never rendered. */
  drafts: DraftEntry[];
  diagnostics: Diagnostic[];
  /** Absolute paths of the data files and local assets it read. */
  dependencies: string[];
}

/** Everything `reel validate`, `plan`, `build` and `watch` need from the manifests of a project. */
export interface LoadResult {
  root: string;
  config: ProjectConfig;
  configFile?: string;
  /** Manifest files found: absolute, sorted. */
  files: string[];
  /** Every entry that resolved (even when other entries have errors), sorted by id. */
  entries: ResolvedEntry[];
  /** Entries marked `draft: true`, sorted by id: shown by `plan`, never rendered. */
  drafts: DraftEntry[];
  /** Every problem, sorted by file, line, col. */
  diagnostics: Diagnostic[];
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

/**
 * Loads one manifest file: parse safely, validate against the schema, apply defaults, expand `each`,
 * hash local assets. Never throws for bad input; every problem is a Diagnostic. `bytes` lets a
 * caller that already read the file (watch) skip the read. `cache` shares file hashes across files.
 */
export async function loadManifestFile(root: string, config: ProjectConfig, file: string, bytes?: Uint8Array, cache?: FileCache, signal?: AbortSignal): Promise<FileResult> {
  root = resolve(root);
  file = resolve(root, file);
  const result: FileResult = { file, entries: [], drafts: [], diagnostics: [], dependencies: [] };
  const fail = (line: number, col: number, message: string, id?: string): FileResult => {
    result.diagnostics.push({ file, line, col, message, severity: 'error', ...(id !== undefined ? { id } : {}) });
    return result;
  };
  if (!bytes) {
    try {
      bytes = await readFile(file);
    } catch (e) {
      return fail(1, 1, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const decoded = decodeUtf8(bytes);
  if (!('text' in decoded)) return fail(decoded.line, decoded.col, 'invalid UTF-8 byte; save the file as UTF-8');
  const parsed = parseYaml(decoded.text.replace(/^\uFEFF/, ''));
  const at = (offset: number): { line: number; col: number } => parsed.lineCounter.linePos(offset);
  for (const e of parsed.errors) {
    const p = at(e.offset);
    fail(p.line, p.col, e.message);
  }
  if (result.diagnostics.length > 0 || !parsed.doc) return result;
  const doc = parsed.doc;
  const manifest = parsed.value;

  const badEntries = new Set<string>();
  let fatal = false;
  for (const p of validateAgainst('manifest', manifest)) {
    let node = nodeAt(doc, p.path, p.key);
    // An empty value (`intro:` with nothing after it) has no text of its own: point at its key.
    if (!p.key && p.path.length > 0 && isScalar(node) && node.value === null) node = nodeAt(doc, p.path, true);
    const pos = at(offsetOf(node));
    const id = p.path[0] === 'videos' && p.path.length >= 2 ? p.path[1] : undefined;
    if (id !== undefined) badEntries.add(id);
    else fatal = true;
    fail(pos.line, pos.col, p.message, id);
  }
  if (fatal || manifest === null || typeof manifest !== 'object') {
    result.diagnostics = sortDiagnostics(result.diagnostics);
    return result;
  }

  const resolver = new FileResolver(root, config, file, doc, at, cache ?? new FileCache(root), manifest as Record<string, unknown>, signal);
  const videosNode = nodeAt(doc, ['videos']);
  const videos = (manifest as { videos: Record<string, Record<string, unknown> | null> }).videos;
  if (isMap(videosNode)) {
    let n = 0;
    for (const pair of videosNode.items) {
      if (++n % BREATHE_EVERY === 0) await breathe(signal);
      if (!isScalar(pair.key)) {
        const p = at(offsetOf(pair.key as Node | undefined));
        fail(p.line, p.col, 'a video id must be plain text (a YAML scalar), not a list or mapping');
        continue;
      }
      const id = String(pair.key.value);
      const written = pair.key.source;
      if (typeof pair.key.value !== 'string' && typeof written === 'string' && written !== id) {
        // `0x10:` is the number 16 and `007:` is 7 to YAML: the id must be what the file says.
        const p = at(offsetOf(pair.key as Node));
        fail(p.line, p.col, `YAML reads the id \`${written}\` as ${typeof pair.key.value === 'number' ? `the number ${id}` : `\`${id}\``}; quote it ("${written}") to keep it as written`, written);
        continue;
      }
      if (badEntries.has(id)) continue;
      const raw = videos[id];
      resolver.add(id, raw ?? {}, pair.key as Node, (pair.value ?? undefined) as Node | undefined);
    }
  }
  result.entries = await resolver.finish();
  result.drafts = resolver.drafts;
  append(result.diagnostics, resolver.diagnostics);
  result.diagnostics = sortDiagnostics(result.diagnostics);
  result.dependencies = [...resolver.dependencies].sort();
  return result;
}

/**
 * Cross-file checks: an id defined twice (in one file via `each`, or in two files) names both places
 * (paths in messages relative to `root`; absolute without it).
 */
export function checkProject(results: FileResult[], root?: string, out = 'out'): Diagnostic[] {
  // One map entry per id; lists only for the rare duplicates.
  const first = new Map<string, ResolvedEntry>();
  const byId = new Map<string, ResolvedEntry[]>();
  for (const r of results) {
    // A draft's id is taken too: completing it must not make a duplicate.
    for (const e of [...r.entries, ...(r.drafts ?? []).map(draftAsEntry)]) {
      const seen = first.get(e.id);
      if (seen === undefined) first.set(e.id, e);
      else {
        const list = byId.get(e.id);
        if (list) list.push(e);
        else byId.set(e.id, [seen, e]);
      }
    }
  }
  const outDir = out;
  const found: Diagnostic[] = [];
  for (const [id, list] of byId) {
    if (list.length < 2) continue;
    for (const e of list) {
      const others = list
        .filter((o) => o !== e)
        .map((o) => `${root === undefined ? o.source.file : relativePath(root, o.source.file)}:${o.source.line}:${o.source.col}${o.origin ? ` (row ${o.origin.row} of ${o.origin.data})` : ''}`);
      const row = e.origin ? ` (row ${e.origin.row} of ${e.origin.data})` : '';
      found.push({ ...e.source, id, severity: 'error', message: `duplicate id \`${id}\`${row}: also defined at ${others.join(', ')}; ids must be unique across the project` });
    }
  }
  append(found, outputCollisions(results, root, outDir));
  return sortDiagnostics(found);
}

/**
 * Two entries writing one file would overwrite each other's video (and share a temporary file on
 * the way): an error at each, naming the other. Default outputs (`<out>/<id>.mp4`) count too.
 */
function outputCollisions(results: FileResult[], root: string | undefined, outDir: string): Diagnostic[] {
  const dir = outDir
    .replace(/\\/g, '/')
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  const byKey = new Map<string, ResolvedEntry[]>();
  const shown = new Map<ResolvedEntry, string>();
  for (const r of results) {
    for (const e of r.entries) {
      const rel = e.output.file ?? `${dir}/${e.id}.${e.request.output_format === 'webm' ? 'webm' : 'mp4'}`;
      const key = outputKey(rel);
      const list = byKey.get(key);
      if (list) list.push(e);
      else byKey.set(key, [e]);
      shown.set(e, rel);
    }
  }
  const at = (e: ResolvedEntry): SourcePosition => e.fieldSources['output.file'] ?? e.source;
  const where = (e: ResolvedEntry): string => {
    const p = at(e);
    return `${root === undefined ? p.file : relativePath(root, p.file)}:${p.line}:${p.col}`;
  };
  const diagnostics: Diagnostic[] = [];
  for (const list of byKey.values()) {
    // Same id twice is already reported as a duplicate id.
    if (list.length < 2 || list.every((e) => e.id === list[0]!.id)) continue;
    for (const e of list) {
      const others = list.filter((o) => o !== e).map((o) => `\`${o.id}\` (${where(o)})`);
      diagnostics.push({
        ...at(e),
        id: e.id,
        severity: 'error',
        message: `\`${e.id}\` writes ${shown.get(e)}${e.output.file ? '' : ' (its default output)'}, as does ${others.join(', ')}; give each entry its own \`output.file\``,
      });
    }
  }
  return diagnostics;
}

/** Enough of an entry for the duplicate-id check. */
function draftAsEntry(d: DraftEntry): ResolvedEntry {
  return { id: d.id, mode: d.mode, request: {}, assets: [], output: {}, source: d.source, fieldSources: {} };
}

/** Loads every manifest of the project at `root`; never throws for bad input. */
/**
 * The error of a project whose manifest globs match no file. plan, build and watch refuse it: with
 * no manifests, every locked video would look removed (a moved folder, a renamed glob), and a
 * build would delete them all and later render them all again.
 */
export function noManifestsDiagnostic(root: string, config: ProjectConfig, configFile: string | undefined): Diagnostic {
  const position = config.sources?.manifests;
  const where = position ?? { file: configFile ?? join(root, CONFIG_FILES[0]), line: 1, col: 1 };
  return {
    file: where.file,
    line: where.line,
    col: where.col,
    severity: 'error',
    message: `no manifests match ${config.manifests.join(', ')}; nothing is planned (every video in reel.lock would look removed). Run \`reel init\`, or set \`manifests\` in reel.config.yaml to where the manifests are.`,
  };
}

export interface LoadOptions {
  signal?: AbortSignal;
}

export async function loadProject(root: string, options: LoadOptions = {}): Promise<LoadResult> {
  root = resolve(root);
  const { config, configFile, diagnostics } = await loadConfig(root);
  const result: LoadResult = { root, config, files: [], entries: [], drafts: [], diagnostics: [...diagnostics] };
  if (configFile) result.configFile = configFile;
  if (diagnostics.some((d) => d.severity === 'error')) return result;
  result.files = await findManifests(root, config);
  if (result.files.length === 0) {
    result.diagnostics.push(noManifestsDiagnostic(root, config, configFile));
    return result;
  }
  const cache = new FileCache(root);
  // Manifests are small and almost always in the page cache: a synchronous read costs a few
  // microseconds, an async one ten times that in promise and thread-pool overhead (measured with
  // bench/validate.bench.mjs). Files are parsed one at a time anyway (parsing is CPU-bound).
  const results: FileResult[] = [];
  for (const file of result.files) {
    if (options.signal?.aborted) throw new CancelledError('cancelled while loading manifests');
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileSync(file);
    } catch {
      bytes = undefined; // loadManifestFile reads again and reports why it cannot
    }
    results.push(await loadManifestFile(root, config, file, bytes, cache, options.signal));
    await breathe(options.signal);
  }
  for (const r of results) {
    append(result.entries, r.entries);
    append(result.drafts, r.drafts);
    append(result.diagnostics, r.diagnostics);
  }
  append(result.diagnostics, checkProject(results, root, config.out));
  result.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.source.file < b.source.file ? -1 : 1));
  result.drafts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  sortDiagnostics(result.diagnostics);
  return result;
}
