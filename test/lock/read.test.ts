import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLock, serializeLock } from '../../src/lock/index.js';
import type { Lockfile } from '../../src/lock/types.js';

// readLock decodes an ASCII lock as latin1 and anything else as UTF-8: both must read back exactly.
describe('readLock text decoding', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'reel-lock-read-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const lockWith = (path: string): Lockfile => ({
    lockfileVersion: 1,
    assets: {},
    videos: {
      intro: {
        fingerprint: 'a'.repeat(64),
        mode: 'direct',
        status: 'completed',
        generation: 1,
        fields: {},
        updated_at: '2026-01-01T00:00:00.000Z',
        output: { path, size: 1, sha256: 'b'.repeat(64) },
      },
    },
  });

  it.each([
    ['ascii', 'out/intro.mp4'],
    ['utf-8', 'out/café-ünïcödé-日本-😀.mp4'],
  ])('reads an %s lock back unchanged', async (_kind, path) => {
    const lock = lockWith(path);
    await writeFile(join(root, 'reel.lock'), serializeLock(lock));
    const read = await readLock(root);
    expect(read.videos.intro?.output?.path).toBe(path);
    expect(serializeLock(read)).toBe(serializeLock(lock));
  });
});
