import { isAbsolute, join, relative, sep } from 'node:path';
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
 * on; all decisions about what a change means are the engine's.
 */
export class FileWatcher {
  private readonly watched = new Set<string>();

  private constructor(
    private readonly fsw: FSWatcher,
    private readonly root: string,
  ) {}

  static async start(options: FileWatcherOptions): Promise<FileWatcher> {
    const { root } = options;
    const skip = new Set((options.skipDirs ?? []).map((dir) => join(root, dir)));
    const inside = (path: string): boolean => {
      const rel = relative(root, path);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    };
    const fsw = watch([], {
      ignoreInitial: true,
      persistent: true,
      ignored: (path, stats) => {
        if (path === root) return false;
        const name = path.slice(path.lastIndexOf(sep) + 1);
        if (stats?.isDirectory() || stats === undefined) {
          if (SKIPPED_DIRS.has(name) || skip.has(path)) return true;
          if (stats === undefined) return false;
          return !inside(path);
        }
        return !options.relevant(path);
      },
    });
    const watcher = new FileWatcher(fsw, root);
    fsw.on('add', (path) => options.onEvent('added', path));
    fsw.on('change', (path) => options.onEvent('changed', path));
    fsw.on('unlink', (path) => options.onEvent('removed', path));
    fsw.on('error', (error) => options.onError(error));
    const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    watcher.add([...new Set(options.globs.map((g) => join(root, globBase(g))))], options.files);
    await ready;
    return watcher;
  }

  /** Watch more directories (recursively) and files; paths already watched are skipped. */
  add(dirs: string[], files: string[] = []): void {
    const fresh = [...dirs, ...files].filter((p) => !this.watched.has(p));
    for (const path of fresh) this.watched.add(path);
    if (fresh.length > 0) this.fsw.add(fresh);
  }

  async close(): Promise<void> {
    await this.fsw.close();
  }

  get projectRoot(): string {
    return this.root;
  }
}
