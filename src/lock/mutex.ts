import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from '../util/path.js';
import { LockError } from '../errors.js';

/**
 * The advisory lock that serialises writers of reel.lock. It is a small JSON file next to it; it
 * holds no data, so deleting it by hand is always safe once no reel process is running.
 */
export const MUTEX_NAME = 'reel.lock.pid';

export interface MutexHolder {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  started_at: string;
  /** Random token: tells our own file apart from a later holder's with a recycled pid. */
  token: string;
}

export interface Mutex {
  readonly holder: MutexHolder;
  /** Set when a stale lock left by a dead process was taken over (for a warning). */
  readonly tookOver?: MutexHolder;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Wait for the holder to finish instead of failing at once. */
  wait?: boolean;
  /** How long to wait (default 60 s). */
  timeoutMs?: number;
  /** How often to look again while waiting. */
  pollMs?: number;
  signal?: AbortSignal;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<MutexHolder | 'missing' | 'unreadable' | 'directory'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EISDIR') return 'directory';
    if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
    throw error;
  }
  try {
    const data = JSON.parse(text) as Partial<MutexHolder>;
    if (typeof data.pid === 'number' && typeof data.hostname === 'string' && typeof data.started_at === 'string') {
      return { pid: data.pid, hostname: data.hostname, started_at: data.started_at, token: String(data.token ?? '') };
    }
  } catch {
    // fall through: reported as unreadable below
  }
  return 'unreadable';
}

/**
 * The process holding the write lock of the project at `root`, if one is running (a stale lock of a
 * dead process on this host counts as none). Read-only: for notes like "a build is running".
 */
export async function currentHolder(root: string): Promise<MutexHolder | undefined> {
  const holder = await readHolder(join(root, MUTEX_NAME)).catch(() => 'unreadable' as const);
  return typeof holder === 'object' && !isStale(holder) ? holder : undefined;
}

export function describe(holder: MutexHolder): string {
  return `pid ${holder.pid} on ${holder.hostname}, since ${holder.started_at}`;
}

/** A holder whose process is gone: only decidable on the same host. */
function isStale(holder: MutexHolder): boolean {
  return holder.hostname === hostname() && holder.pid !== process.pid && !isAlive(holder.pid);
}

/** Create `path` with `content` only if it does not exist, never leaving it half-written. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o644 });
  try {
    // link() fails with EEXIST if the target exists, and the target appears with its full content.
    await link(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/**
 * Remove a stale mutex file, but only if it still is the one we judged stale: rename it aside
 * first (only one contender can), then check its token, and put it back if someone else's fresh
 * lock was caught in between.
 */
async function removeStale(path: string, stale: MutexHolder): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = await readHolder(aside);
  if (typeof moved === 'object' && moved.token === stale.token && moved.pid === stale.pid) {
    await unlink(aside).catch(() => {});
    return true;
  }
  await rename(aside, path).catch(() => {});
  return false;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Take the advisory write lock of the project at `root`. Fails fast naming the holder (pid, host,
 * start time), or waits up to `timeoutMs` with `wait`. A holder whose pid is dead on this host is
 * stale and taken over (reported in `tookOver`).
 */
export async function acquireMutex(root: string, options: AcquireOptions = {}): Promise<Mutex> {
  const path = join(root, MUTEX_NAME);
  const me: MutexHolder = {
    pid: process.pid,
    hostname: hostname(),
    started_at: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const content = `${JSON.stringify(me, null, 2)}\n`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let tookOver: MutexHolder | undefined;

  for (;;) {
    const taken = await createExclusive(path, content).catch((error: NodeJS.ErrnoException) => {
      // link() onto a directory fails with EPERM or EISDIR depending on the platform.
      if (error.code === 'EPERM' || error.code === 'EISDIR') return false;
      throw error;
    });
    if (taken) {
      let released = false;
      return {
        holder: me,
        ...(tookOver ? { tookOver } : {}),
        async release() {
          if (released) return;
          released = true;
          const current = await readHolder(path);
          if (typeof current === 'object' && current.token === me.token) await unlink(path).catch(() => {});
        },
      };
    }
    const holder = await readHolder(path);
    if (holder === 'missing') continue;
    if (holder === 'directory') {
      throw new LockError(`${MUTEX_NAME} is a directory, not reel's write-lock file; remove it (rmdir ${MUTEX_NAME}, or move it away) and try again.`);
    }
    if (holder === 'unreadable') {
      throw new LockError(`${MUTEX_NAME} exists but cannot be read. If no reel process is running, delete it (rm ${MUTEX_NAME}) and try again.`);
    }
    if (isStale(holder)) {
      if (await removeStale(path, holder)) tookOver = holder;
      continue;
    }
    if (options.signal?.aborted) throw new LockError('cancelled while waiting for the reel.lock write lock.');
    if (!options.wait || Date.now() >= deadline) {
      const waited = options.wait ? ' after waiting' : '';
      throw new LockError(
        `reel.lock is being written by another reel process (${describe(holder)})${waited}. ` +
          `Wait for it to finish. If that process no longer exists (e.g. it ran on another machine or container), ` +
          `delete ${MUTEX_NAME} and try again.`,
      );
    }
    await sleep(Math.min(options.pollMs ?? 100, Math.max(0, deadline - Date.now())), options.signal);
  }
}
