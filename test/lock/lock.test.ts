import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError } from '../../src/errors.js';
import { MUTEX_NAME, openLock, readLock, serializeLock } from '../../src/lock/index.js';
import type { LockEntry } from '../../src/lock/types.js';

const FP = 'a'.repeat(64);
const entry = (over: Partial<LockEntry> = {}): LockEntry => ({
  fingerprint: FP,
  mode: 'direct',
  status: 'completed',
  generation: 1,
  fields: { script: '0123456789abcdef' },
  updated_at: '2026-01-01T00:00:00.000Z',
  ...over,
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reel-lock-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('readLock', () => {
  it('reads a missing lock as empty and writes nothing', async () => {
    expect(await readLock(root)).toEqual({ lockfileVersion: 1, videos: {}, assets: {} });
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses a lock from a newer reel, and leaves it alone', async () => {
    const text = '{ "lockfileVersion": 2, "videos": {} }\n';
    await writeFile(join(root, 'reel.lock'), text);
    await expect(readLock(root)).rejects.toThrow(/lockfileVersion 2, written by a newer reel/);
    await expect(openLock(root)).rejects.toBeInstanceOf(LockError);
    expect(await readFile(join(root, 'reel.lock'), 'utf8')).toBe(text);
    expect(await readdir(root)).toEqual(['reel.lock']); // the write lock was released
  });

  it('names the line and column of invalid JSON', async () => {
    await writeFile(join(root, 'reel.lock'), '{\n  "lockfileVersion": 1,\n  "videos": {,}\n}\n');
    await expect(readLock(root)).rejects.toThrow(/^reel\.lock:3:\d+: not valid JSON/);
  });

  it('recognises an unresolved git merge conflict', async () => {
    await writeFile(join(root, 'reel.lock'), '{\n<<<<<<< HEAD\n  "lockfileVersion": 1,\n=======\n>>>>>>> other\n}\n');
    await expect(readLock(root)).rejects.toThrow(/reel\.lock:2:1: unresolved git merge conflict/);
  });

  it('rejects entries it cannot trust, naming the video', async () => {
    const bad = { lockfileVersion: 1, videos: { intro: { ...entry(), status: 'done' } } };
    await writeFile(join(root, 'reel.lock'), JSON.stringify(bad));
    await expect(readLock(root)).rejects.toThrow(/video "intro": "status" must be one of/);
    await writeFile(join(root, 'reel.lock'), JSON.stringify({ videos: {} }));
    await expect(readLock(root)).rejects.toThrow(/not a reel lockfile/);
  });
});

describe('LockStore', () => {
  it('writes deterministic JSON: sorted keys, two-space indent, trailing newline', async () => {
    const store = await openLock(root);
    store.set('zeta', entry({ video_id: 'v2' }));
    store.set('alpha', entry({ video_id: 'v1', duration: 12.5 }));
    store.setAsset('b'.repeat(64), { asset_id: 'as_1', uploaded_at: '2026-01-01T00:00:00.000Z' });
    await store.close();
    const text = await readFile(join(root, 'reel.lock'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(text).toContain('\n  "lockfileVersion": 1,\n');
    expect(text.split('\n')[1]).toBe('  "assets": {');
    expect(serializeLock(await readLock(root))).toBe(text);
    expect(await readdir(root)).toEqual(['reel.lock']);
  });

  it('batches set() and writes on commit()', async () => {
    const store = await openLock(root, { flushIntervalMs: 60_000 });
    store.set('a', entry());
    await expect(readFile(join(root, 'reel.lock'), 'utf8')).rejects.toThrow(); // not yet written
    await store.commit();
    expect((await readLock(root)).videos.a?.fingerprint).toBe(FP);
    store.delete('a');
    await store.close();
    expect((await readLock(root)).videos).toEqual({});
  });

  it('flushes batched changes on its own timer', async () => {
    const store = await openLock(root, { flushIntervalMs: 20 });
    store.set('a', entry());
    await new Promise((r) => setTimeout(r, 200));
    expect(Object.keys((await readLock(root)).videos)).toEqual(['a']);
    await store.close();
  });

  it('keeps what is already in the lock', async () => {
    const first = await openLock(root);
    first.set('a', entry());
    await first.close();
    const second = await openLock(root);
    second.set('b', entry());
    await second.close();
    expect(Object.keys((await readLock(root)).videos)).toEqual(['a', 'b']);
  });

  it('lets a second writer fail fast, naming the holder', async () => {
    const store = await openLock(root);
    const error = await openLock(root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockError);
    expect((error as Error).message).toContain(`pid ${process.pid} on ${hostname()}, since `);
    expect((error as Error).message).toContain(`delete ${MUTEX_NAME}`);
    await store.close();
    const again = await openLock(root);
    await again.close();
  });

  it('lets a second writer wait for the first', async () => {
    const first = await openLock(root);
    const waiting = openLock(root, { wait: true, timeoutMs: 5_000, pollMs: 10 });
    setTimeout(() => void first.close(), 100);
    const second = await waiting;
    second.set('x', entry());
    await second.close();
    expect(Object.keys((await readLock(root)).videos)).toEqual(['x']);
  });

  it('gives up waiting after timeoutMs', async () => {
    const first = await openLock(root);
    await expect(openLock(root, { wait: true, timeoutMs: 100, pollMs: 10 })).rejects.toThrow(/after waiting/);
    await first.close();
  });

  it('takes over a stale lock whose process is dead on this host, and says so', async () => {
    const stale = { pid: deadPid(), hostname: hostname(), started_at: '2026-01-01T00:00:00.000Z', token: 'old' };
    await writeFile(join(root, MUTEX_NAME), JSON.stringify(stale));
    const store = await openLock(root);
    expect(store.tookOver).toMatchObject({ pid: stale.pid });
    await store.close();
    expect(await readdir(root)).toEqual([]);
  });

  it('does not take over a lock held on another host', async () => {
    const other = { pid: deadPid(), hostname: 'some-other-host', started_at: '2026-01-01T00:00:00.000Z', token: 'x' };
    await writeFile(join(root, MUTEX_NAME), JSON.stringify(other));
    await expect(openLock(root)).rejects.toThrow(/pid \d+ on some-other-host/);
  });
});

describe('crash safety', () => {
  const dist = new URL('../../dist/lock/index.js', import.meta.url);

  it('keeps the previous lock intact when the writer is killed mid-write', async () => {
    await readFile(dist).catch(() => {
      throw new Error('dist/ is missing: run `npm run build` before this test');
    });
    // A writer that rewrites a large lock as fast as it can; every version is internally consistent
    // (all entries carry the version number in video_id), so a torn write would show.
    const script = `
      const { openLock } = await import(${JSON.stringify(dist.href)});
      const store = await openLock(process.argv[1]);
      for (let n = 1; ; n += 1) {
        for (let i = 0; i < 3000; i += 1) {
          store.set('video-' + i, { fingerprint: '${FP}', mode: 'direct', status: 'completed', generation: 1,
            fields: { script: 'x'.repeat(16) }, video_id: 'v' + n, updated_at: new Date(0).toISOString() });
        }
        await store.commit();
        if (n === 1) process.stdout.write('ready\\n');
      }`;
    for (const delay of [5, 40, 90]) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      const lock = await readLock(root);
      const versions = new Set(Object.values(lock.videos).map((v) => v.video_id));
      expect(Object.keys(lock.videos)).toHaveLength(3000);
      expect(versions.size).toBe(1);

      // The dead writer's advisory lock is stale: the next writer takes over and cleans up.
      const store = await openLock(root);
      expect(store.tookOver?.pid).toBe(child.pid);
      await store.close();
      expect(await readdir(root)).toEqual(['reel.lock']); // torn temporary files removed too
    }
  });
});
