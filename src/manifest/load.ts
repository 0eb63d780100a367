import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import pLimit from 'p-limit';
import { CancelledError } from '../errors.js';
import { FileCache, toPosix } from './assets.js';
import { loadConfig, type ProjectConfig } from './config.js';
import { findManifests } from './find.js';
import { FileResolver } from './resolve.js';
import { validateAgainst } from './schema.js';
import type { Diagnostic, ResolvedEntry } from './types.js';
import { decodeUtf8, nodeAt, offsetOf, parseYaml } from './yaml.js';

/** One manifest file, loaded on its own. */
export interface FileResult {
  /** Absolute path. */
  file: string;
  entries: ResolvedEntry[];
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
  /** Every problem, sorted by file, line, col. */
  diagnostics: Diagnostic[];
}

/** Files read at once while loading a project. */
const READ_CONCURRENCY = 64;

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

/**
 * Loads one manifest file: parse safely, validate against the schema, apply defaults, expand `each`,
 * hash local assets. Never throws for bad input; every problem is a Diagnostic. `bytes` lets a
 * caller that already read the file (watch) skip the read. `cache` shares file hashes across files.
 */
export async function loadManifestFile(root: string, config: ProjectConfig, file: string, bytes?: Uint8Array, cache?: FileCache): Promise<FileResult> {
  root = resolve(root);
  file = resolve(root, file);
  const result: FileResult = { file, entries: [], diagnostics: [], dependencies: [] };
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
    const pos = at(offsetOf(nodeAt(doc, p.path, p.key)));
    const id = p.path[0] === 'videos' && p.path.length >= 2 ? p.path[1] : undefined;
    if (id !== undefined) badEntries.add(id);
    else fatal = true;
    fail(pos.line, pos.col, p.message, id);
  }
  if (fatal || manifest === null || typeof manifest !== 'object') {
    result.diagnostics = sortDiagnostics(result.diagnostics);
    return result;
  }

  const resolver = new FileResolver(root, config, file, doc, at, cache ?? new FileCache(root), manifest as Record<string, unknown>);
  const videosNode = nodeAt(doc, ['videos']);
  const videos = (manifest as { videos: Record<string, Record<string, unknown> | null> }).videos;
  if (isMap(videosNode)) {
    for (const pair of videosNode.items) {
      if (!isScalar(pair.key)) continue;
      const id = String(pair.key.value);
      if (badEntries.has(id)) continue;
      const raw = videos[id];
      resolver.add(id, raw ?? {}, pair.key as Node, (pair.value ?? undefined) as Node | undefined);
    }
  }
  result.entries = await resolver.finish();
  result.diagnostics.push(...resolver.diagnostics);
  result.diagnostics = sortDiagnostics(result.diagnostics);
  result.dependencies = [...resolver.dependencies].sort();
  return result;
}

/**
 * Cross-file checks: an id defined twice (in one file via `each`, or in two files) names both places
 * (paths in messages relative to `root`).
 */
export function checkProject(results: FileResult[], root: string = process.cwd()): Diagnostic[] {
  const byId = new Map<string, ResolvedEntry[]>();
  for (const r of results) {
    for (const e of r.entries) {
      const list = byId.get(e.id);
      if (list) list.push(e);
      else byId.set(e.id, [e]);
    }
  }
  const out: Diagnostic[] = [];
  for (const [id, list] of byId) {
    if (list.length < 2) continue;
    for (const e of list) {
      const others = list
        .filter((o) => o !== e)
        .map((o) => `${toPosix(relative(root, o.source.file))}:${o.source.line}:${o.source.col}${o.origin ? ` (row ${o.origin.row} of ${o.origin.data})` : ''}`);
      const row = e.origin ? ` (row ${e.origin.row} of ${e.origin.data})` : '';
      out.push({ ...e.source, id, severity: 'error', message: `duplicate id \`${id}\`${row}: also defined at ${others.join(', ')}; ids must be unique across the project` });
    }
  }
  return sortDiagnostics(out);
}

/** Loads every manifest of the project at `root`; never throws for bad input. */
export async function loadProject(root: string, options: { signal?: AbortSignal } = {}): Promise<LoadResult> {
  root = resolve(root);
  const { config, configFile, diagnostics } = await loadConfig(root);
  const result: LoadResult = { root, config, files: [], entries: [], diagnostics: [...diagnostics] };
  if (configFile) result.configFile = configFile;
  if (diagnostics.some((d) => d.severity === 'error')) return result;
  result.files = await findManifests(root, config);
  const cache = new FileCache(root);
  // Files are read with bounded concurrency and each is parsed as soon as its bytes arrive (in
  // completion order; results stay in file order), so reading overlaps parsing.
  const limit = pLimit(READ_CONCURRENCY);
  const results = await Promise.all(
    result.files.map((file) =>
      limit(async () => {
        if (options.signal?.aborted) throw new CancelledError('cancelled while loading manifests');
        const bytes = await readFile(file).then((b) => b as Uint8Array, () => undefined);
        return loadManifestFile(root, config, file, bytes, cache);
      }),
    ),
  ).catch((error: unknown) => {
    limit.clearQueue();
    throw error;
  });
  for (const r of results) {
    result.entries.push(...r.entries);
    result.diagnostics.push(...r.diagnostics);
  }
  result.diagnostics.push(...checkProject(results, root));
  result.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.source.file < b.source.file ? -1 : 1));
  sortDiagnostics(result.diagnostics);
  return result;
}
