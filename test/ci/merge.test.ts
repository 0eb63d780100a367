import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LockEntry, Lockfile } from '../../src/lock/types.js';
import { type LockFragment, mergeLocks, readFragment, shardFragmentPath, writeShardFragment } from '../../src/lock/merge.js';
import { shardOf } from '../../src/util/shard.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function entry(id: string, over: Partial<LockEntry> = {}): LockEntry {
  return {
    fingerprint: id
      .padEnd(64, '0')
      .replace(/[^0-9a-f]/g, 'a')
      .slice(0, 64),
    mode: 'direct',
    status: 'completed',
    generation: 1,
    fields: {},
    video_id: `v-${id}`,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}
function lock(videos: Record<string, LockEntry>, assets: Lockfile['assets'] = {}): Lockfile {
  return { lockfileVersion: 1, videos, assets };
}
/** Ids that fall into shard `k` of `n`, so tests do not depend on the hash values. */
function idsIn(k: number, n: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i += 1) if (shardOf(`v${i}`, n) === k) out.push(`v${i}`);
  return out;
}
/** What `writeShardFragment` keeps: the shard's own videos. */
function fragment(full: Lockfile, k: number, n: number, file = `shard-${k}`): LockFragment {
  const videos = Object.fromEntries(Object.entries(full.videos).filter(([id]) => shardOf(id, n) === k));
  return { file, lock: lock(videos, full.assets), shard: { index: k, count: n } };
}

describe('mergeLocks', () => {
  const [a1, a2] = idsIn(1, 2, 2) as [string, string];
  const [b1, b2] = idsIn(2, 2, 2) as [string, string];

  it('takes each shard’s changes and keeps the rest of the base', () => {
    const base = lock({ [a1]: entry(a1), [b1]: entry(b1) });
    const s1 = lock({ ...base.videos, [a1]: entry(a1, { generation: 2, video_id: 'new-a1' }), [a2]: entry(a2) });
    const s2 = lock({ ...base.videos, [b2]: entry(b2, { status: 'submitted' }) });
    const r = mergeLocks(base, [fragment(s1, 1, 2), fragment(s2, 2, 2)]);
    expect(r.conflicts).toEqual([]);
    expect(r.added.sort()).toEqual([a2, b2].sort());
    expect(r.updated).toEqual([a1]);
    expect(r.lock.videos[a1]?.video_id).toBe('new-a1');
    expect(r.lock.videos[b1]).toEqual(base.videos[b1]);
    expect(r.lock.videos[b2]?.status).toBe('submitted');
  });

  it('an id of its shard that a fragment lacks was removed; ids of other shards are never removed by it', () => {
    const base = lock({ [a1]: entry(a1), [a2]: entry(a2), [b1]: entry(b1) });
    const s1 = lock({ [a2]: entry(a2), [b1]: entry(b1) });
    const r = mergeLocks(base, [fragment(s1, 1, 2)]);
    expect(r.removed).toEqual([a1]);
    expect(Object.keys(r.lock.videos).sort()).toEqual([a2, b1].sort());
    expect(r.missingShards).toEqual(['2/2']);
  });

  it('merging the same fragments again changes nothing (idempotent)', () => {
    const base = lock({});
    const s1 = lock({ [a1]: entry(a1) });
    const s2 = lock({ [b1]: entry(b1) });
    const once = mergeLocks(base, [fragment(s1, 1, 2), fragment(s2, 2, 2)]);
    const twice = mergeLocks(once.lock, [fragment(s1, 1, 2), fragment(s2, 2, 2)]);
    expect(twice.added).toEqual([]);
    expect(twice.removed).toEqual([]);
    expect(twice.updated).toEqual([]);
    expect(twice.lock.videos).toEqual(once.lock.videos);
  });

  it('reports two different changes to one video as a conflict and keeps the base entry', () => {
    const base = lock({ [a1]: entry(a1) });
    const left: LockFragment = { file: 'one/reel.lock', lock: lock({ [a1]: entry(a1, { status: 'failed' }) }) };
    const right: LockFragment = { file: 'two/reel.lock', lock: lock({ [a1]: entry(a1, { video_id: 'other' }) }) };
    const r = mergeLocks(base, [left, right]);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]?.id).toBe(a1);
    expect(r.conflicts[0]?.sides.map((s) => s.file)).toEqual(['one/reel.lock', 'two/reel.lock']);
    expect(r.lock.videos[a1]).toEqual(base.videos[a1]);
  });

  it('a removal in one fragment and an update in another conflict', () => {
    const base = lock({ [a1]: entry(a1) });
    const shard: LockFragment = fragment(lock({}), 1, 2);
    const plain: LockFragment = { file: 'reel.lock', lock: lock({ [a1]: entry(a1, { generation: 3 }) }) };
    const r = mergeLocks(base, [shard, plain]);
    expect(r.conflicts.map((c) => c.id)).toEqual([a1]);
    expect(r.conflicts[0]?.sides.find((s) => s.file === 'shard-1')?.entry).toBeUndefined();
  });

  it('identical changes from two files agree; a plain lock never removes', () => {
    const base = lock({ [a1]: entry(a1), [b1]: entry(b1) });
    const changed = entry(a1, { generation: 2 });
    const r = mergeLocks(base, [
      { file: 'x', lock: lock({ [a1]: changed }) },
      { file: 'y', lock: lock({ [a1]: changed }) },
    ]);
    expect(r.conflicts).toEqual([]);
    expect(r.updated).toEqual([a1]);
    expect(r.removed).toEqual([]);
    expect(r.lock.videos[b1]).toBeDefined();
  });

  it('refuses fragments of different shard counts', () => {
    expect(() => mergeLocks(lock({}), [fragment(lock({}), 1, 2), fragment(lock({}), 1, 3)])).toThrow(/different shard counts/);
  });

  it('keeps the earlier upload when two shards uploaded the same bytes', () => {
    const sha = 'f'.repeat(64);
    const r = mergeLocks(lock({}), [
      fragment(lock({}, { [sha]: { asset_id: 'late', uploaded_at: '2026-01-02T00:00:00Z' } }), 1, 2),
      fragment(lock({}, { [sha]: { asset_id: 'early', uploaded_at: '2026-01-01T00:00:00Z' } }), 2, 2),
    ]);
    expect(r.lock.assets[sha]?.asset_id).toBe('early');
    expect(r.duplicateAssets).toEqual([sha]);
  });
});

describe('shard fragments on disk', () => {
  it('writes only the shard’s videos with its shard marker, and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-ci-'));
    dirs.push(dir);
    const [a] = idsIn(1, 3, 1) as [string];
    const [b] = idsIn(2, 3, 1) as [string];
    const path = await writeShardFragment(dir, lock({ [a]: entry(a), [b]: entry(b) }), { index: 1, count: 3 });
    expect(path).toBe(shardFragmentPath(dir, { index: 1, count: 3 }));
    const read = await readFragment(path, 'frag');
    expect(read.shard).toEqual({ index: 1, count: 3 });
    expect(Object.keys(read.lock.videos)).toEqual([a]);
    expect((await readFile(path, 'utf8')).endsWith('}\n')).toBe(true);
  });

  it('rejects a malformed shard marker and a conflicted file, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-ci-'));
    dirs.push(dir);
    await writeFile(join(dir, 'bad'), JSON.stringify({ lockfileVersion: 1, shard: { index: 4, count: 3 }, videos: {} }));
    await expect(readFragment(join(dir, 'bad'), 'bad')).rejects.toThrow(/bad: "shard" must be/);
    await writeFile(join(dir, 'conflicted'), '{\n<<<<<<< HEAD\n}\n');
    await expect(readFragment(join(dir, 'conflicted'), 'conflicted')).rejects.toThrow(/conflicted:2:1: unresolved git merge conflict/);
  });
});
