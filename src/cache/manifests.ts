import { readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  FileCache,
  type FileResult,
  type LoadResult,
  checkProject,
  findManifests,
  loadConfig,
  loadManifestFile,
  schemaText,
} from '../manifest/index.js';
import type { Diagnostic } from '../manifest/types.js';
import { CancelledError } from '../errors.js';
import { fingerprint, primeFingerprint } from '../plan/fingerprint.js';
import { canonicalJson } from '../util/canonical.js';
import { sha256 } from '../util/hash.js';

/** Where the cache lives, relative to the project root. Safe to delete at any time. */
export const CACHE_DIR = '.reel/cache';
const PACK = 'manifests.json';
const FORMAT = 1;
const READ_CONCURRENCY = 32;

interface CachedFile {
  /** sha256 of the manifest's bytes. */
  key: string;
  /** Data files and local assets the result depends on, with the sha256 of their bytes. */
  deps: Array<[path: string, sha256: string]>;
  result: FileResult;
  /** `fingerprint()` of each entry of `result`, in order. */
  fingerprints: string[];
}

interface Pack {
  format: number;
  /** Everything besides a file's own bytes that its result depends on (see `salt`). */
  salt: string;
  files: Record<string, CachedFile>;
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
    const parts = await Promise.all(urls.map(async (u) => `${u.pathname}:${sha256(await readFile(u))}`));
    return sha256(`${parts.join('\n')}\n${schemaText('manifest')}\n${schemaText('config')}`);
  })();
  return codeHash;
}

async function readPack(path: string, salt: string): Promise<Pack> {
  const empty: Pack = { format: FORMAT, salt, files: {} };
  try {
    const pack = JSON.parse(await readFile(path, 'utf8')) as Pack;
    return pack && pack.format === FORMAT && pack.salt === salt && typeof pack.files === 'object' ? pack : empty;
  } catch {
    // Missing or damaged: the cache is only ever an optimisation.
    return empty;
  }
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

export interface CachedLoadOptions {
  signal?: AbortSignal;
  /** Set false to load without reading or writing the cache. */
  cache?: boolean;
}

/**
 * `loadProject` with a content-addressed cache of loaded files under `.reel/cache/`: a manifest
 * whose bytes, data files and local assets (by sha256), configuration, project root and reel code
 * are all unchanged is not parsed or validated again. Files with diagnostics are never cached.
 * The result is the same as `loadProject`'s.
 */
export async function loadProjectCached(rootArg: string, options: CachedLoadOptions = {}): Promise<LoadResult> {
  const root = resolve(rootArg);
  const { config, configFile, diagnostics } = await loadConfig(root);
  const result: LoadResult = { root, config, files: [], entries: [], diagnostics: [...diagnostics] };
  if (configFile) result.configFile = configFile;
  if (diagnostics.some((d) => d.severity === 'error')) return result;
  result.files = await findManifests(root, config);

  const useCache = options.cache !== false;
  const packPath = join(root, CACHE_DIR, PACK);
  const salt = useCache ? sha256(canonicalJson({ root, config, code: await loaderCodeHash() })) : '';
  const pack = useCache ? await readPack(packPath, salt) : { format: FORMAT, salt, files: {} };
  const fresh: Record<string, CachedFile> = {};
  let changed = Object.keys(pack.files).length !== result.files.length;

  const files = new FileCache(root);
  const depOk = new Map<string, Promise<string | undefined>>();
  const depHash = (path: string): Promise<string | undefined> => {
    let p = depOk.get(path);
    if (!p) {
      p = files.hash(path, path).then((f) => ('sha256' in f ? f.sha256 : undefined));
      depOk.set(path, p);
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
      // Manifests are small: a synchronous read skips a thread-pool round trip per file, which is
      // most of the cost of a warm run over a thousand files.
      let bytes: Uint8Array | undefined;
      try {
        bytes = readFileSync(file);
      } catch {
        bytes = undefined;
      }
      const key = bytes ? sha256(bytes) : '';
      const hit = bytes ? pack.files[file] : undefined;
      if (hit && hit.key === key) {
        const deps = await Promise.all(hit.deps.map(([path]) => depHash(path)));
        if (deps.every((d, k) => d === hit.deps[k]![1])) {
          hit.result.entries.forEach((e, k) => primeFingerprint(e, hit.fingerprints[k]!));
          results[i] = hit.result;
          fresh[file] = hit;
          continue;
        }
      }
      const loaded = await loadManifestFile(root, config, file, bytes, files);
      results[i] = loaded;
      if (bytes && loaded.diagnostics.length === 0) {
        const deps = await Promise.all(loaded.dependencies.map(async (p) => [p, await depHash(p)] as const));
        if (deps.every(([, d]) => d !== undefined)) {
          const fingerprints = loaded.entries.map((e) => fingerprint(e));
          loaded.entries.forEach((e, k) => primeFingerprint(e, fingerprints[k]!));
          fresh[file] = { key, deps: deps as Array<[string, string]>, result: loaded, fingerprints };
        }
      }
      changed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, result.files.length) }, worker));

  for (const r of results) {
    result.entries.push(...r.entries);
    result.diagnostics.push(...r.diagnostics);
  }
  result.diagnostics.push(...checkProject(results, root));
  result.entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.source.file < b.source.file ? -1 : 1));
  sortDiagnostics(result.diagnostics);

  if (useCache && changed) {
    // Best effort: a read-only checkout or a full disk must not fail a plan.
    // No fsync: a cache lost in a crash is rebuilt, but a torn one must never be read, hence the rename.
    const tmp = `${packPath}.${process.pid}.tmp`;
    await mkdir(join(root, CACHE_DIR), { recursive: true })
      .then(() => writeFile(tmp, JSON.stringify({ format: FORMAT, salt, files: fresh } satisfies Pack)))
      .then(() => rename(tmp, packPath))
      .catch(() => unlink(tmp).catch(() => {}));
  }
  return result;
}
