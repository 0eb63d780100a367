import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from '../util/path.js';
import { CancelledError } from '../errors.js';
// Only light modules are imported eagerly: on a warm run nothing is parsed, so the YAML parser, ajv
// and the CSV parser (a good share of a warm run's time) are imported only when a file misses.
import { FileCache } from '../manifest/assets.js';
import type { ProjectConfig } from '../manifest/config.js';
import { CONFIG_FILES } from '../manifest/names.js';
import { findManifests } from '../manifest/find.js';
import type { FileResult, LoadResult } from '../manifest/load.js';
import type { Diagnostic, ResolvedEntry } from '../manifest/types.js';
import { fingerprint, primeFingerprint } from '../plan/fingerprint.js';
import { canonicalJson } from '../util/canonical.js';
import { confinedWrite } from '../util/confine.js';
import { sha256 } from '../util/hash.js';
import { append } from '../util/array.js';

/** Where the cache lives, relative to the project root. Safe to delete at any time. */
export const CACHE_DIR = '.reel/cache';
const PACK = 'manifests.json';
const FORMAT = 4;
const KEY_FILE = 'key';
const READ_CONCURRENCY = 32;

type Loader = typeof import('../manifest/index.js');
let loaderModule: Promise<Loader> | undefined;
const loader = (): Promise<Loader> => (loaderModule ??= import('../manifest/index.js'));

interface CachedFile {
  /** sha256 of the manifest's bytes. */
  key: string;
  /** Data files and local assets the result depends on, with the sha256 of their bytes. */
  deps: Array<[path: string, sha256: string]>;
  /** The file's result with positions packed (see `pack`); only results without diagnostics are cached. */
  result: FileResult;
  /** `fingerprint()` of each entry of `result`, in order. */
  fingerprints: string[];
}

interface Pack {
  format: number;
  /** Everything besides a file's own bytes that its result depends on (see `salt`). */
  salt: string;
  config: ProjectConfig;
  configFile?: string;
  files: Record<string, CachedFile>;
  /** checkProject() of exactly these files (valid only when every file hits). */
  project: { files: string[]; diagnostics: Diagnostic[] };
}

let codeHash: Promise<string> | undefined;

/**
 * A digest of the loader's own code and schemas, so that any change to reel (a release, or a
 * rebuild during development) invalidates the cache without relying on version bumps.
 */
function loaderCodeHash(): Promise<string> {
  codeHash ??= (async () => {
    // `.js` when built, `.ts` when run from source (tests).
    const ext = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
    const dir = new URL('../manifest/', import.meta.url);
    const urls = (await readdir(dir))
      .filter((n) => n.endsWith(ext))
      .sort()
      .map((n) => new URL(n, dir));
    // Cached fingerprints too: the fingerprint code and this module are part of the key.
    urls.push(new URL(`../plan/fingerprint${ext}`, import.meta.url), new URL(import.meta.url));
    urls.push(new URL('../../schema/manifest.schema.json', import.meta.url), new URL('../../schema/config.schema.json', import.meta.url));
    const parts = await Promise.all(urls.map(async (u) => `${u.pathname}:${sha256(await readFile(u).catch(() => new Uint8Array()))}`));
    return sha256(parts.join('\n'));
  })();
  return codeHash;
}

/** The bytes' hash of each config file name, or null when absent (any other error: a miss). */
function configState(root: string): Array<string | null> {
  return CONFIG_FILES.map((name) => {
    try {
      return sha256(readFileSync(join(root, name)));
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : `unreadable:${Math.random()}`;
    }
  });
}

/**
 * The key that signs this project's cache: random bytes in `.reel/cache/key`, bound to that file's
 * identity on disk (device, inode, birth time). A cache committed to git, copied from another
 * clone or edited by hand does not carry a valid signature, so `plan` never trusts what `build`
 * (which loads without the cache) would not see. Undefined when there is none and `create` is off.
 */
async function cacheKey(dir: string, create: boolean): Promise<Buffer | undefined> {
  const path = join(dir, KEY_FILE);
  let bytes = await readFile(path).catch(() => undefined);
  if (!bytes && create) {
    await writeFile(path, randomBytes(32), { flag: 'wx', mode: 0o600 }).catch(() => {});
    bytes = await readFile(path).catch(() => undefined);
  }
  const st = bytes?.length === 32 ? await stat(path).catch(() => undefined) : undefined;
  if (!bytes || !st) return undefined;
  return createHash('sha256').update(bytes).update(`${st.dev}:${st.ino}:${st.birthtimeMs}`).digest();
}

/** The signature line of a pack's text (exported for tests that forge a valid one). */
export function signPack(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** The key `loadProjectCached` signs the cache of `root` with (tests only). */
export function projectCacheKey(root: string): Promise<Buffer | undefined> {
  return cacheKey(join(resolve(root), CACHE_DIR), false);
}

async function readPack(path: string, salt: string, key: Buffer | undefined): Promise<Pack | undefined> {
  if (!key) return undefined;
  try {
    const raw = await readFile(path, 'utf8');
    const newline = raw.indexOf('\n');
    const body = raw.slice(newline + 1);
    if (newline < 0 || !timingSafeEqual(Buffer.from(raw.slice(0, newline)), Buffer.from(signPack(key, body)))) return undefined;
    const pack = JSON.parse(body) as Pack;
    return pack && pack.format === FORMAT && pack.salt === salt && typeof pack.files === 'object' ? pack : undefined;
  } catch {
    // Missing or damaged: the cache is only ever an optimisation.
    return undefined;
  }
}

function readBytes(file: string): Uint8Array | undefined {
  // Manifests are small: a synchronous read skips a thread-pool round trip per file, which is most
  // of the cost of a warm run over a thousand files.
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

type Position = { file: string; line: number; col: number };
type Packed = Position | [line: number, col: number];

// Most positions point into the manifest itself; as [line, col] pairs they make the cache about
// half the size, which is most of the time of reading and writing it.
function packPos(p: Position, file: string): Packed {
  return p.file === file ? [p.line, p.col] : p;
}

function unpackPos(p: Packed, file: string): Position {
  return Array.isArray(p) ? { file, line: p[0], col: p[1] } : p;
}

function mapPositions(entries: readonly ResolvedEntry[], map: (p: never) => unknown): ResolvedEntry[] {
  return entries.map((e) => {
    const fieldSources: Record<string, unknown> = {};
    for (const key in e.fieldSources) fieldSources[key] = map(e.fieldSources[key] as never);
    return {
      ...e,
      source: map(e.source as never),
      fieldSources,
      assets: e.assets.map((a) => ({ ...a, source: map(a.source as never) })),
    } as ResolvedEntry;
  });
}

function packResult(r: FileResult): FileResult {
  return { ...r, entries: mapPositions(r.entries, (p: Position) => packPos(p, r.file)) };
}

function unpackResult(r: FileResult): FileResult {
  return { ...r, entries: mapPositions(r.entries, (p: Packed) => unpackPos(p, r.file)) };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface CachedLoadOptions {
  signal?: AbortSignal;
  /** Set false to load without reading or writing the cache. */
  cache?: boolean;
}

/**
 * `loadProject` with a content-addressed cache of loaded files under `.reel/cache/`: a manifest
 * whose bytes, data files and local assets (by sha256), configuration file, project root and reel
 * code are all unchanged is not parsed or validated again. Files with diagnostics are never
 * cached. The result is the same as `loadProject`'s.
 */
export async function loadProjectCached(rootArg: string, options: CachedLoadOptions = {}): Promise<LoadResult> {
  const root = resolve(rootArg);
  if (options.cache === false) {
    const { loadProject } = await loader();
    return loadProject(root, options.signal ? { signal: options.signal } : {});
  }

  const packPath = join(root, CACHE_DIR, PACK);
  // A `.reel` (or `.reel/cache`) symlinked out of the project is neither read nor written.
  const confined = await confinedWrite(root, packPath).then(
    () => true,
    () => false,
  );
  if (!confined) {
    const { loadProject } = await loader();
    return loadProject(root, options.signal ? { signal: options.signal } : {});
  }
  const salt = sha256(canonicalJson({ root, code: await loaderCodeHash(), config: configState(root) }));
  let pack = await readPack(packPath, salt, await cacheKey(join(root, CACHE_DIR), false));

  let config: ProjectConfig;
  let configFile: string | undefined;
  const result: LoadResult = { root, config: undefined as unknown as ProjectConfig, files: [], entries: [], drafts: [], diagnostics: [] };
  if (pack) {
    config = pack.config;
    configFile = pack.configFile;
  } else {
    const loaded = await (await loader()).loadConfig(root);
    config = loaded.config;
    configFile = loaded.configFile;
    append(result.diagnostics, loaded.diagnostics);
  }
  result.config = config;
  if (configFile) result.configFile = configFile;
  if (result.diagnostics.some((d) => d.severity === 'error')) return result;
  // A config with warnings is not cached (its warnings must be shown every time).
  const cacheable = result.diagnostics.length === 0;
  result.files = await findManifests(root, config);
  if (result.files.length === 0) {
    result.diagnostics.push((await loader()).noManifestsDiagnostic(root, config, configFile));
    return result;
  }

  const cached = pack?.files ?? {};
  const fresh: Record<string, CachedFile> = {};
  let hits = 0;
  const files = new FileCache(root);
  const depHashes = new Map<string, Promise<string | undefined>>();
  const depHash = (path: string): Promise<string | undefined> => {
    let p = depHashes.get(path);
    if (!p) {
      p = files.hash(path, path).then((f) => ('sha256' in f ? f.sha256 : undefined));
      depHashes.set(path, p);
    }
    return p;
  };

  const results: FileResult[] = new Array(result.files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < result.files.length) {
      if (options.signal?.aborted) throw new CancelledError('cancelled while loading manifests');
      const i = next++;
      const file = result.files[i]!;
      const bytes = readBytes(file);
      const key = bytes ? sha256(bytes) : '';
      const hit = bytes ? cached[file] : undefined;
      if (hit && hit.key === key) {
        const deps = await Promise.all(hit.deps.map(([path]) => depHash(path)));
        if (deps.every((d, k) => d === hit.deps[k]![1])) {
          const unpacked = unpackResult(hit.result);
          unpacked.entries.forEach((e, k) => primeFingerprint(e, hit.fingerprints[k]!));
          results[i] = unpacked;
          fresh[file] = hit;
          hits += 1;
          continue;
        }
      }
      const loaded = await (await loader()).loadManifestFile(root, config, file, bytes, files, options.signal);
      results[i] = loaded;
      if (bytes && loaded.diagnostics.length === 0) {
        const deps = await Promise.all(loaded.dependencies.map(async (p) => [p, await depHash(p)] as const));
        if (deps.every(([, d]) => d !== undefined)) {
          const fingerprints = loaded.entries.map((e) => fingerprint(e));
          loaded.entries.forEach((e, k) => primeFingerprint(e, fingerprints[k]!));
          fresh[file] = { key, deps: deps as Array<[string, string]>, result: packResult(loaded), fingerprints };
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, result.files.length) }, worker));

  for (const r of results) {
    append(result.entries, r.entries);
    // Files with drafts have warnings, so they are never cached: a cached result has none.
    append(result.drafts, r.drafts ?? []);
    append(result.diagnostics, r.diagnostics);
  }
  const allHit = pack !== undefined && hits === result.files.length && sameList(pack.project.files, result.files);
  const projectDiagnostics = allHit ? pack!.project.diagnostics : (await loader()).checkProject(results, root, config.out);
  append(result.diagnostics, projectDiagnostics);
  result.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.source.file < b.source.file ? -1 : 1));
  result.drafts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  sortDiagnostics(result.diagnostics);

  if (cacheable && !allHit) {
    pack = { format: FORMAT, salt, config, files: fresh, project: { files: result.files, diagnostics: projectDiagnostics } };
    if (configFile) pack.configFile = configFile;
    // No fsync: a cache lost in a crash is rebuilt, but a torn one must never be read, hence the rename.
    const tmp = `${packPath}.${process.pid}.tmp`;
    const text = JSON.stringify(pack);
    await mkdir(join(root, CACHE_DIR), { recursive: true })
      .then(() => cacheKey(join(root, CACHE_DIR), true))
      .then((key) => {
        if (!key) throw new Error('no cache key');
        return writeFile(tmp, `${signPack(key, text)}\n${text}`);
      })
      .then(() => rename(tmp, packPath))
      .catch(() => unlink(tmp).catch(() => {}));
  }
  return result;
}
