import { readFile } from 'node:fs/promises';
import { join } from '../util/path.js';
import pLimit from 'p-limit';
import { LockError } from '../errors.js';
import { LOCKFILE_NAME as LOCK_FILE } from '../lock/file.js';
import { emptyLock, idMap } from '../lock/index.js';
import { CONFIG_FILES } from '../manifest/names.js';
import { ACTIONS } from '../plan/plan.js';
import type { Diagnostic, DraftEntry, ResolvedEntry } from '../manifest/types.js';
import { sha256 } from '../util/hash.js';
import { configPlanOptions } from '../plan/plan.js';
import { type PriceUnit, resolvePricing } from '../plan/cost.js';
import type { Action, Change, FileResult, Lockfile, ProjectConfig, WatchDeps } from './deps.js';
import type { ChangeBatch } from './scheduler.js';
import { append } from '../util/array.js';

/** How many manifest files a full (re)load reads at once. */
const LOAD_CONCURRENCY = 16;

/** What a path means to the watch: anything else is ignored. */
export type PathRole = 'config' | 'lock' | 'manifest' | 'dependency';

/** One line of "what changed since the previous run". */
export interface DeltaItem {
  id: string;
  /** Absent when the id is new to the view. */
  before?: { action: Action; fingerprint?: string };
  /** Absent when the id left the view (no longer in a manifest and not in the lock). */
  after?: Change;
}

export interface RunReport {
  /** `initial`: first load; `files`: manifests or their data/assets; `lock`: reel.lock; `config`: full reload. */
  kind: 'initial' | 'files' | 'lock' | 'config';
  /** Sorted by id; never cut. */
  delta: DeltaItem[];
  /** Files (manifests, data, assets, config, lock) whose new bytes were read. */
  reloaded: string[];
  durationMs: number;
}

export interface PlanTotals {
  counts: Record<Action, number>;
  /** Seconds and cost of what the plan bills (changes with `billed`). */
  estimateSeconds: number;
  estimateCost: number;
  costUnit: PriceUnit;
}

export interface WatchSnapshot {
  /** Every change except `unchanged`, sorted by id. */
  changes: Change[];
  totals: PlanTotals;
  /** Config, per-file (latest attempt) and cross-file problems, sorted by file, line, col. */
  diagnostics: Diagnostic[];
  files: number;
  videos: number;
  /** Manifests whose latest version has errors and whose last good state is shown instead. */
  staleFiles: string[];
}

interface FileState {
  /** sha256 of the bytes last loaded. */
  hash: string;
  /** The most recent load; its diagnostics are what the user sees. */
  latest: FileResult;
  /** The last load without errors; its entries are what the plan uses. */
  good: FileResult | undefined;
  /** `good`'s entries by id. */
  byId: Map<string, ResolvedEntry>;
  /** `good`'s drafts by id: planned as drafts, so a lock record under one is kept, as in `reel plan`. */
  drafts: Map<string, DraftEntry>;
}

type ViewState = Map<string, { action: Action; fingerprint?: string }>;

function hasErrors(result: FileResult): boolean {
  return result.diagnostics.some((d) => d.severity === 'error');
}

async function readBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

/**
 * The incremental state behind `reel watch`: the last good result of every manifest file, which
 * files depend on which data files and assets, the lock, and the plan per id. A run re-reads only
 * the paths in its batch, skips those whose bytes did not change, reloads only the manifests
 * affected, and re-plans only the ids those manifests held before or hold now.
 */
export class WatchEngine {
  private config!: ProjectConfig;
  private configDiagnostics: Diagnostic[] = [];
  /** Whether a usable config was loaded once: a broken one later keeps the state it gave. */
  private loadedOnce = false;
  private configHash = '';
  private lock!: Lockfile;
  private lockHash = '';
  private files = new Map<string, FileState>();
  /** Dependency path → manifests that read it. */
  private dependents = new Map<string, Set<string>>();
  /** Dependency path → sha256 of its bytes when last seen (undefined: missing). */
  private depHashes = new Map<string, string | undefined>();
  /** Id → manifests whose good state defines it (more than one is a duplicate-id error). */
  private owners = new Map<string, Set<string>>();
  private changes = new Map<string, Change>();
  private crossDiagnostics: Diagnostic[] = [];
  private lockDiagnostics: Diagnostic[] = [];

  constructor(
    readonly root: string,
    private readonly deps: WatchDeps,
    private readonly options: { targets?: string[]; spoken?: ReadonlyMap<string, number> } = {},
  ) {}

  /** What a path means to the watch (config, lock, a manifest, a data file or asset), if anything. */
  classify(path: string): PathRole | undefined {
    if (path === join(this.root, LOCK_FILE)) return 'lock';
    if (CONFIG_FILES.some((name) => path === join(this.root, name))) return 'config';
    if (this.dependents.has(path)) return 'dependency';
    if (this.config && this.deps.isManifest(this.root, this.config, path)) return 'manifest';
    return undefined;
  }

  /** Data files and assets the manifests read: the watcher watches these besides the globs. */
  dependencyPaths(): string[] {
    return [...this.dependents.keys()];
  }

  get projectConfig(): ProjectConfig {
    return this.config;
  }

  /**
   * Read only the config, so that `classify` knows the manifest globs before the file watcher
   * starts (chokidar decides what to watch while it scans).
   */
  async prepare(): Promise<ProjectConfig> {
    const { config, diagnostics } = await this.deps.loadConfig(this.root);
    this.config = config;
    this.configDiagnostics = diagnostics;
    return config;
  }

  /** The first run: read the config, every manifest and the lock. */
  async start(): Promise<RunReport> {
    const started = performance.now();
    const reloaded = await this.loadAll();
    await this.reloadLock();
    this.lockHash = sha256((await readBytes(join(this.root, LOCK_FILE))) ?? new Uint8Array());
    const delta = this.replanAll();
    return { kind: 'initial', delta, reloaded, durationMs: performance.now() - started };
  }

  /**
   * One run for one batch of events. Returns undefined when nothing the plan depends on changed
   * (every file in the batch had the same bytes as before, or was irrelevant).
   */
  async apply(batch: ChangeBatch): Promise<RunReport | undefined> {
    const started = performance.now();
    const paths = [...batch.added, ...batch.changed, ...batch.removed];
    const roles = new Map<string, PathRole>();
    for (const path of paths) {
      const role = this.classify(path);
      if (role) roles.set(path, role);
    }
    const by = (role: PathRole): string[] => [...roles].filter(([, r]) => r === role).map(([p]) => p);

    if (by('config').length > 0) {
      const bytes = await Promise.all(CONFIG_FILES.map((name) => readBytes(join(this.root, name))));
      const hash = sha256(bytes.map((b) => (b ? sha256(b) : '-')).join(','));
      if (hash !== this.configHash) {
        const reloaded = await this.loadAll();
        await this.reloadLock();
        const delta = this.replanAll();
        return { kind: 'config', delta, reloaded, durationMs: performance.now() - started };
      }
    }

    const reloaded: string[] = [];
    // Manifests to reload with the bytes read now: those whose own bytes changed, and those
    // whose data file or asset changed (their own bytes may be the same).
    const toLoad = new Map<string, Uint8Array>();
    const toDrop: string[] = [];
    for (const path of by('manifest')) {
      const bytes = await readBytes(path);
      if (!bytes) {
        if (this.files.has(path)) toDrop.push(path);
        continue;
      }
      const hash = sha256(bytes);
      if (this.files.get(path)?.hash === hash) continue;
      toLoad.set(path, bytes);
    }
    for (const path of by('dependency')) {
      const bytes = await readBytes(path);
      const hash = bytes ? sha256(bytes) : undefined;
      if (this.depHashes.get(path) === hash && this.depHashes.has(path)) continue;
      this.depHashes.set(path, hash);
      reloaded.push(path);
      for (const file of this.dependents.get(path) ?? []) {
        if (toLoad.has(file) || toDrop.includes(file)) continue;
        const own = await readBytes(file);
        if (own) toLoad.set(file, own);
        else if (this.files.has(file)) toDrop.push(file);
      }
    }

    let lockChanged = false;
    if (by('lock').length > 0) {
      const bytes = (await readBytes(join(this.root, LOCK_FILE))) ?? new Uint8Array();
      const hash = sha256(bytes);
      if (hash !== this.lockHash) {
        await this.reloadLock();
        this.lockHash = hash;
        lockChanged = true;
        reloaded.push(join(this.root, LOCK_FILE));
      }
    }

    if (toLoad.size === 0 && toDrop.length === 0 && !lockChanged) {
      return reloaded.length > 0 ? { kind: 'files', delta: [], reloaded, durationMs: performance.now() - started } : undefined;
    }

    const affected = new Set<string>();
    for (const file of toDrop) {
      this.forgetFile(file, affected);
      reloaded.push(file);
    }
    const loaded = await Promise.all([...toLoad].map(async ([file, bytes]) => ({ file, bytes, result: await this.deps.loadManifestFile(this.root, this.config, file, bytes) })));
    for (const { file, bytes, result } of loaded) {
      const previous = this.files.get(file);
      this.forgetFile(file, affected);
      this.remember(file, bytes, result, affected, previous);
      reloaded.push(file);
    }
    if (toLoad.size > 0 || toDrop.length > 0)
      this.crossDiagnostics = this.deps.checkProject(
        [...this.files.values()].map((s) => s.latest),
        this.root,
        this.config.out,
      );

    const delta = lockChanged ? this.replanAll() : this.diff(this.replan(affected), affected);
    if (toLoad.size > 0 || toDrop.length > 0) await this.trackDependencies();
    return {
      kind: lockChanged && toLoad.size === 0 && toDrop.length === 0 ? 'lock' : 'files',
      delta,
      reloaded: reloaded.sort(),
      durationMs: performance.now() - started,
    };
  }

  /** The current view: plan changes, totals and every problem. */
  snapshot(): WatchSnapshot {
    const counts = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
    let estimateSeconds = 0;
    let estimateCost = 0;
    let videos = 0;
    const changes: Change[] = [];
    for (const change of this.changes.values()) {
      counts[change.action] += 1;
      if (change.billed) {
        estimateSeconds += change.estimateSeconds;
        estimateCost += change.estimateCost;
      }
      if (change.entry) videos += 1;
      if (change.action !== 'unchanged') changes.push(change);
    }
    changes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const diagnostics = [...this.configDiagnostics, ...this.lockDiagnostics, ...this.crossDiagnostics];
    const staleFiles: string[] = [];
    for (const [file, state] of this.files) {
      append(diagnostics, state.latest.diagnostics);
      if (state.good && state.good !== state.latest) staleFiles.push(file);
    }
    diagnostics.sort(byPosition);
    return {
      changes,
      totals: { counts, estimateSeconds, estimateCost, costUnit: resolvePricing(this.config?.pricing).unit },
      diagnostics,
      files: this.files.size,
      videos,
      staleFiles: staleFiles.sort(),
    };
  }

  /** Every planned change, unchanged ones included, sorted by id (the studio lists them all). */
  allChanges(): Change[] {
    return [...this.changes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The planned change of one id, if any. */
  changeOf(id: string): Change | undefined {
    return this.changes.get(id);
  }

  /** The lock as last read. */
  get lockfile(): Lockfile {
    return this.lock;
  }

  /**
   * New text-to-speech lengths (speech key → seconds): the plan of every id is made again with them.
   * Synchronous, so it never interleaves with the plan step of a run.
   */
  setSpoken(spoken: ReadonlyMap<string, number>): DeltaItem[] {
    this.options.spoken = spoken;
    return this.replanAll();
  }

  /**
   * Read the lock through the lock module (it owns the format and its errors). A lock that cannot
   * be read (a merge conflict, a half-written file from a foreign tool) is shown as a problem and
   * the last lock read stays in use, so watching goes on and a fixed lock recovers.
   */
  private async reloadLock(): Promise<void> {
    try {
      this.lock = await this.deps.readLock(this.root);
      this.lockDiagnostics = [];
    } catch (error) {
      if (!(error instanceof LockError)) throw error;
      this.lock ??= emptyLock();
      this.lockDiagnostics = [{ file: join(this.root, LOCK_FILE), line: 1, col: 1, severity: 'error', message: `${error.message} (the view uses the last lock that could be read)` }];
    }
  }

  private async loadAll(): Promise<string[]> {
    const { config, configFile, diagnostics } = await this.deps.loadConfig(this.root);
    const configBytes = await Promise.all(CONFIG_FILES.map((name) => readBytes(join(this.root, name))));
    this.configHash = sha256(configBytes.map((b) => (b ? sha256(b) : '-')).join(','));
    this.configDiagnostics = diagnostics;
    if (this.loadedOnce && diagnostics.some((d) => d.severity === 'error')) {
      // A config that cannot be used (a bad manifests glob, a typo) would otherwise mean the defaults
      // and drop every entry from the view: keep the last good state and show the problem.
      return configFile ? [configFile] : [];
    }
    this.loadedOnce = true;
    this.config = config;
    const manifests = await this.deps.findManifests(this.root, config);
    this.files.clear();
    this.owners.clear();
    this.dependents.clear();
    this.depHashes.clear();
    const limit = pLimit(LOAD_CONCURRENCY);
    const loaded = await Promise.all(
      manifests.map((file) =>
        limit(async () => {
          const bytes = await readBytes(file);
          if (!bytes) return undefined;
          return { file, bytes, result: await this.deps.loadManifestFile(this.root, config, file, bytes) };
        }),
      ),
    );
    const ignored = new Set<string>();
    for (const item of loaded) if (item) this.remember(item.file, item.bytes, item.result, ignored, undefined);
    this.crossDiagnostics = this.deps.checkProject(
      [...this.files.values()].map((s) => s.latest),
      this.root,
      this.config.out,
    );
    await this.trackDependencies();
    return [...(configFile ? [configFile] : []), ...manifests];
  }

  /** Record a file's new load; with errors, `previous`'s good state stays in the plan. */
  private remember(file: string, bytes: Uint8Array, result: FileResult, affected: Set<string>, previous: FileState | undefined): void {
    const keep = hasErrors(result);
    const good = keep ? previous?.good : result;
    const byId = keep && previous ? previous.byId : new Map((good?.entries ?? []).map((e) => [e.id, e]));
    const drafts = keep && previous ? previous.drafts : new Map((good?.drafts ?? []).map((d) => [d.id, d]));
    this.files.set(file, { hash: sha256(bytes), latest: result, good, byId, drafts });
    for (const entry of [...(good?.entries ?? []), ...(good?.drafts ?? [])]) {
      let owners = this.owners.get(entry.id);
      if (!owners) this.owners.set(entry.id, (owners = new Set()));
      owners.add(file);
      affected.add(entry.id);
    }
  }

  /** Take a file's entries out of the view (before reloading or after deleting it). */
  private forgetFile(file: string, affected: Set<string>): void {
    const state = this.files.get(file);
    if (!state) return;
    for (const entry of [...(state.good?.entries ?? []), ...(state.good?.drafts ?? [])]) {
      affected.add(entry.id);
      const owners = this.owners.get(entry.id);
      owners?.delete(file);
      if (owners && owners.size === 0) this.owners.delete(entry.id);
    }
    this.files.delete(file);
  }

  /**
   * Keep `dependents` in step with the files' dependencies. A dependency first seen is hashed now,
   * so that a later event with the same bytes can be skipped; assets come with the loader's hash.
   */
  private async trackDependencies(): Promise<void> {
    const next = new Map<string, Set<string>>();
    const known = new Map<string, string>();
    for (const [file, state] of this.files) {
      for (const result of new Set([state.latest, state.good])) {
        if (!result) continue;
        for (const dep of result.dependencies) {
          let set = next.get(dep);
          if (!set) next.set(dep, (set = new Set()));
          set.add(file);
        }
        for (const entry of result.entries) for (const asset of entry.assets) known.set(asset.path, asset.sha256);
      }
    }
    this.dependents = next;
    for (const dep of [...this.depHashes.keys()]) if (!next.has(dep)) this.depHashes.delete(dep);
    for (const dep of next.keys()) {
      if (this.depHashes.has(dep)) continue;
      const fromLoader = known.get(dep);
      if (fromLoader) {
        this.depHashes.set(dep, fromLoader);
      } else {
        const bytes = await readBytes(dep);
        this.depHashes.set(dep, bytes ? sha256(bytes) : undefined);
      }
    }
  }

  /**
   * The entry (or draft) that stands for an id: with duplicates, the one in the first file by path.
   */
  private entryFor(id: string): { entry?: ResolvedEntry; draft?: DraftEntry } {
    const owners = this.owners.get(id);
    if (!owners || owners.size === 0) return {};
    const file = owners.size === 1 ? owners.values().next().value! : [...owners].sort()[0]!;
    const state = this.files.get(file);
    const entry = state?.byId.get(id);
    if (entry) return { entry };
    const draft = state?.drafts.get(id);
    return draft ? { draft } : {};
  }

  /** Re-plan `ids`; returns what the view held for them before. */
  private replan(ids: Set<string>): ViewState {
    const before: ViewState = new Map();
    const entries: ResolvedEntry[] = [];
    const drafts: DraftEntry[] = [];
    const videos: Lockfile['videos'] = idMap();
    for (const id of ids) {
      const { entry, draft } = this.entryFor(id);
      if (entry) entries.push(entry);
      else if (draft) drafts.push(draft);
      const locked = this.lock.videos[id];
      if (locked) videos[id] = locked;
      const was = this.changes.get(id);
      if (was) before.set(id, { action: was.action, fingerprint: was.fingerprint });
      this.changes.delete(id);
    }
    // The plan is pure and per id, so planning the affected ids against their part of the lock
    // gives exactly the changes a full plan would give for them, at a fraction of the cost. Drafts
    // go in as in `reel plan`: a lock record under a draft's id is unfinished work, not a removal.
    const { changes } = this.deps.plan(entries, { ...this.lock, videos }, { targets: this.options.targets, spoken: this.options.spoken, drafts, ...configPlanOptions(this.config) });
    for (const change of changes) this.changes.set(change.id, change);
    return before;
  }

  private replanAll(): DeltaItem[] {
    const ids = new Set([...this.owners.keys(), ...Object.keys(this.lock.videos), ...this.changes.keys()]);
    return this.diff(this.replan(ids), ids);
  }

  /** Ids among `ids` whose action or fingerprint differ from `before`. */
  private diff(before: ViewState, ids: Set<string>): DeltaItem[] {
    const candidates = ids;
    const delta: DeltaItem[] = [];
    for (const id of candidates) {
      const was = before.get(id);
      const now = this.changes.get(id);
      if (was && now && was.action === now.action && was.fingerprint === now.fingerprint) continue;
      if (!was && !now) continue;
      delta.push({ id, ...(was ? { before: was } : {}), ...(now ? { after: now } : {}) });
    }
    return delta.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
