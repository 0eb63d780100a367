import { stat } from 'node:fs/promises';
import { dirname, join, lastSegment, under } from '../util/path.js';
import { watch, type FSWatcher } from 'chokidar';
import type { ChangeKind } from './scheduler.js';

/** Directories never worth watching, wherever a glob starts. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.reel']);

/**
 * The directory a glob starts from: its leading segments without glob syntax. chokidar 5 has no
 * glob support, so reel watches these directories and filters paths with the loader's matcher.
 */
export function globBase(glob: string): string {
  const parts = glob.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[\]{}()!]/.test(part)) break;
    fixed.push(part);
  }
  // The last segment is a file pattern (or a file name); never a directory to recurse from.
  return fixed.join('/');
}

export interface FileWatcherOptions {
  root: string;
  /** Manifest globs, relative to the root. */
  globs: string[];
  /** Files outside the glob directories to watch too (config, lock, data files, assets). */
  files: string[];
  /** Whether a path matters; everything else is not even watched when chokidar can tell. */
  relevant: (path: string) => boolean;
  /** Directories (relative to the root) to skip, e.g. the output directory. */
  skipDirs?: string[];
  onEvent: (kind: ChangeKind, path: string) => void;
  onError: (error: unknown) => void;
}

/**
 * A thin layer over chokidar that only sorts events into added/changed/removed and hands them
 * on; all decisions about what a change means are the engine's. It watches the glob directories
 * recursively and single files (config, lock, data files, assets) through the chain of directories
 * above them, so that a file that does not exist yet — even in a folder that does not exist yet —
 * is seen when it appears, without watching unrelated trees.
 */
export class FileWatcher {
  /** Directories watched recursively (the glob bases). */
  private readonly trees = new Set<string>();
  /** Single files watched. */
  private readonly files = new Set<string>();
  /** Every directory between the root and a tree or a file: traversed, not watched recursively. */
  private readonly chain = new Set<string>();
  private readonly instances: FSWatcher[] = [];

  private constructor(
    private readonly root: string,
    private readonly options: FileWatcherOptions,
    private readonly skip: Set<string>,
  ) {}

  static async start(options: FileWatcherOptions): Promise<FileWatcher> {
    const { root } = options;
    const watcher = new FileWatcher(root, options, new Set((options.skipDirs ?? []).map((dir) => join(root, dir))));
    await watcher.add([...new Set(options.globs.map((g) => join(root, globBase(g))))], options.files);
    return watcher;
  }

  /**
   * One chokidar instance per batch of new paths: chokidar says `ready` once per instance, and
   * waiting for it is what makes "the view is on screen" mean "every path in it is watched".
   * New batches are rare (a manifest starts using a new data file or asset).
   */
  private async watchPaths(paths: string[]): Promise<void> {
    const fsw = watch([], {
      ignoreInitial: true,
      persistent: true,
      ignored: (path, stats) => this.ignored(path, stats?.isDirectory()),
    });
    this.instances.push(fsw);
    fsw.on('add', (path) => this.options.onEvent('added', path));
    fsw.on('change', (path) => this.options.onEvent('changed', path));
    fsw.on('unlink', (path) => this.options.onEvent('removed', path));
    fsw.on('error', (error) => this.options.onError(error));
    const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    fsw.add(paths);
    await ready;
  }

  /** chokidar's filter; `isDir` is undefined when chokidar has not stat-ed the path yet. */
  private ignored(path: string, isDir: boolean | undefined): boolean {
    if (path === this.root || this.files.has(path)) return false;
    const name = lastSegment(path);
    if (isDir !== false) {
      if (SKIPPED_DIRS.has(name) || this.skip.has(path)) return true;
      if (this.chain.has(path) || this.inTree(path)) return false;
      // Not a directory we want; as a file it may still matter (a new manifest, a data file).
      if (isDir === true) return true;
    }
    return !this.options.relevant(path);
  }

  private inTree(path: string): boolean {
    for (const tree of this.trees) {
      if (under(tree, path)) return true;
    }
    return false;
  }

  private addChain(path: string): void {
    for (let dir = dirname(path); dir.length >= this.root.length && !this.chain.has(dir); dir = dirname(dir)) {
      this.chain.add(dir);
      if (dir === dirname(dir)) break;
    }
  }

  /**
   * Watch more directories (recursively) and files; paths already watched are skipped. A path that
   * does not exist yet is watched through its nearest existing ancestor.
   */
  async add(dirs: string[], files: string[] = []): Promise<void> {
    const targets: string[] = [];
    for (const dir of dirs) {
      if (this.trees.has(dir)) continue;
      this.trees.add(dir);
      this.addChain(dir);
      targets.push(dir);
    }
    for (const file of files) {
      if (this.files.has(file)) continue;
      this.files.add(file);
      this.addChain(file);
      targets.push(file);
    }
    const paths = new Set<string>();
    for (const target of targets) paths.add(await nearestExisting(target, this.root));
    if (paths.size > 0) await this.watchPaths([...paths]);
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((fsw) => fsw.close()));
  }
}

/** `path` if it exists, else its closest existing ancestor (never above `root`). */
async function nearestExisting(path: string, root: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await stat(p);
      return p;
    } catch {
      if (p === root || p === dirname(p)) return p;
    }
  }
}
