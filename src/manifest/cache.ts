import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../util/hash.js';
import { stableJson } from '../util/canonical.js';
import type { ProjectConfig } from './config.js';
import { schemaText } from './schema.js';

/**
 * A content-addressed cache of loaded manifest files under `.reel/cache/`. The key covers
 * everything a FileResult depends on: the manifest's bytes, its path, the project root, the config,
 * reel's version and the schema. Data files and local assets a manifest read are recorded with
 * their content hashes and re-checked on every hit, so editing a CSV or an image invalidates the
 * entries built from it. A hit costs a hash of the manifest, one JSON parse and the dependency
 * checks — far less than YAML parsing, schema validation and resolution.
 *
 * Off by default: `reel validate` never writes anything. Commands that may write (plan, build,
 * watch) opt in with `cache: 'readwrite'`.
 */

export type CacheMode = 'off' | 'read' | 'readwrite';

/** Bump when the cached shape or the resolution rules change in a way the schema hash misses. */
const CACHE_FORMAT = 1;

let salt: string | undefined;

/** reel's version + schema + cache format: a new reel never reads an old reel's results. */
function cacheSalt(): string {
  if (salt === undefined) {
    let version = '0';
    try {
      version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // running from an unusual layout: the schema hash still separates versions in practice
    }
    salt = sha256(`${CACHE_FORMAT}\0${version}\0${schemaText('manifest')}\0${schemaText('config')}`);
  }
  return salt;
}

/** What a dependency looked like when the result was cached: its real path and content hash, or missing. */
export interface DependencyState {
  path: string;
  state: string;
}

export interface CachedFile<T> {
  dependencies: DependencyState[];
  result: T;
}

export class ManifestCache {
  readonly dir: string;
  private readonly configHash: string;
  private readonly states = new Map<string, Promise<string>>();

  constructor(
    readonly root: string,
    config: ProjectConfig,
    readonly mode: CacheMode,
  ) {
    this.dir = join(root, '.reel', 'cache', 'manifests');
    this.configHash = sha256(stableJson(config));
  }

  key(file: string, bytes: Uint8Array): string {
    return sha256(`${cacheSalt()}\0${this.root}\0${file}\0${this.configHash}\0${sha256(bytes)}`);
  }

  /** The current state of a dependency (memoised for one load). */
  state(path: string): Promise<string> {
    let p = this.states.get(path);
    if (!p) {
      p = (async () => {
        try {
          const real = await realpath(path);
          return `${real}\0${sha256(await readFile(real))}`;
        } catch (e) {
          return `missing:${(e as NodeJS.ErrnoException).code ?? 'error'}`;
        }
      })();
      this.states.set(path, p);
    }
    return p;
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (this.mode === 'off') return undefined;
    let cached: CachedFile<T>;
    try {
      cached = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as CachedFile<T>;
    } catch {
      return undefined; // absent or torn: a miss
    }
    for (const dep of cached.dependencies) {
      if ((await this.state(dep.path)) !== dep.state) return undefined;
    }
    return cached.result;
  }

  async put<T>(key: string, result: T, dependencies: string[]): Promise<void> {
    if (this.mode !== 'readwrite') return;
    const deps = await Promise.all(dependencies.map(async (path) => ({ path, state: await this.state(path) })));
    const body = JSON.stringify({ dependencies: deps, result } satisfies CachedFile<T>);
    // Rename makes a reader see the old or the new file, never half of one. No fsync: losing a
    // cache file in a crash costs one re-parse, and fsync per manifest would cost more than parsing.
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = join(this.dir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, body);
      try {
        renameSync(tmp, join(this.dir, `${key}.json`));
      } catch (e) {
        unlinkSync(tmp);
        throw e;
      }
    } catch {
      // A read-only checkout or a full disk must not break loading: the cache is an optimisation.
    }
  }
}
