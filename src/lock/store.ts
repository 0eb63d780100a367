import { readdir, unlink } from 'node:fs/promises';
import { join } from '../util/path.js';
import { InternalError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { LOCKFILE_NAME, lockPath, readLock, serializeLock } from './file.js';
import { type AcquireOptions, type Mutex, type MutexHolder, acquireMutex } from './mutex.js';
import type { LockEntry, LockedAsset, Lockfile } from './types.js';

/** How long changes made with `set` may wait before they are written. */
export const FLUSH_INTERVAL_MS = 500;

/**
 * The writable lockfile of one process. It holds the advisory write lock from `openLock` until
 * `close`. `set`, `delete` and `setAsset` change `data` at once and are written in batches (at
 * most one write per FLUSH_INTERVAL_MS); `commit` makes everything durable now.
 */
export interface LockStore {
  readonly data: Lockfile;
  /** Set when a stale write lock of a dead process was taken over. */
  readonly tookOver?: MutexHolder;
  set(id: string, entry: LockEntry): void;
  delete(id: string): void;
  setAsset(sha256: string, asset: LockedAsset): void;
  /** Durable now (atomic write); use right after HeyGen returns an id. */
  commit(): Promise<void>;
  /** Final write and release of the write lock. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenLockOptions extends AcquireOptions {
  /** Batch interval (tests shorten or lengthen it). */
  flushIntervalMs?: number;
}

class FileLockStore implements LockStore {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** The write in progress, so writes never overlap and `commit` waits for its turn. */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly path: string,
    readonly data: Lockfile,
    private readonly mutex: Mutex,
    private readonly interval: number,
  ) {}

  get tookOver(): MutexHolder | undefined {
    return this.mutex.tookOver;
  }

  set(id: string, entry: LockEntry): void {
    this.assertOpen();
    this.data.videos[id] = entry;
    this.schedule();
  }

  delete(id: string): void {
    this.assertOpen();
    if (!(id in this.data.videos)) return;
    delete this.data.videos[id];
    this.schedule();
  }

  setAsset(sha256: string, asset: LockedAsset): void {
    this.assertOpen();
    this.data.assets[sha256] = asset;
    this.schedule();
  }

  async commit(): Promise<void> {
    this.assertOpen();
    await this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.mutex.release();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new InternalError('reel.lock store used after close()');
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed background write leaves the store dirty: the next commit/close writes again and
      // reports the error if it persists.
      this.flush().catch(() => {});
    }, this.interval);
    // The batch timer alone must not keep a process alive; close() writes whatever is pending.
    this.timer.unref();
  }

  private flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const next = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileAtomic(this.path, serializeLock(this.data));
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    });
    this.writing = next.catch(() => {});
    return next;
  }
}

/**
 * Open the project's lockfile for writing: take the advisory write lock (fail fast naming the
 * holder, or wait with `wait`), then read the current reel.lock. Always `close()` it.
 */
export async function openLock(root: string, options: OpenLockOptions = {}): Promise<LockStore> {
  const mutex = await acquireMutex(root, options);
  try {
    await removeTornWrites(root);
    const data = await readLock(root);
    return new FileLockStore(lockPath(root), data, mutex, options.flushIntervalMs ?? FLUSH_INTERVAL_MS);
  } catch (error) {
    await mutex.release();
    throw error;
  }
}

/**
 * Temporary files of an atomic write whose writer was killed before the rename. Only the holder of
 * the write lock writes reel.lock, so once we hold it, any such file is debris.
 */
async function removeTornWrites(root: string): Promise<void> {
  const prefix = `.${LOCKFILE_NAME}.`;
  const names = await readdir(root).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith(prefix) && name.endsWith('.tmp')).map((name) => unlink(join(root, name)).catch(() => {})));
}
