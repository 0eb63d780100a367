import { mkdir, readFile } from 'node:fs/promises';
import { join } from '../util/path.js';
import { LockError } from '../errors.js';
import { type Shard, shardOf } from '../util/shard.js';
import { writeFileAtomic } from '../util/atomic.js';
import { confinedWrite } from '../util/confine.js';
import { canonicalJson, sortKeys, stableJson } from '../util/canonical.js';
import { parseLock } from './file.js';
import { idMap, type LockEntry, type LockedAsset, type Lockfile } from './types.js';

/** Where `reel build --shard K/N` writes its fragment, relative to the project root. */
export const SHARD_DIR = '.reel/shards';

export function shardFragmentPath(root: string, shard: Shard): string {
  return join(root, SHARD_DIR, `reel.lock.${shard.index}-of-${shard.count}`);
}

/**
 * A lockfile to merge. A shard fragment (`shard` set) speaks for every id of its shard: what it
 * holds is the truth for them, and an id of its shard it lacks was removed. A plain reel.lock
 * (no `shard`) speaks only for the entries it holds that differ from the base; it never removes.
 */
export interface LockFragment {
  file: string;
  lock: Lockfile;
  shard?: Shard;
  /**
   * One side of a git merge: the whole reel.lock of a branch. It speaks for every id, so an id
   * of the base it lacks was removed on that branch (a removal merges like any other change).
   */
  complete?: boolean;
}

/** One video that two files changed in different ways. `entry` is absent where a file removed it. */
export interface LockConflict {
  id: string;
  base?: LockEntry;
  sides: Array<{ file: string; entry?: LockEntry }>;
}

export interface LockMergeResult {
  /** The merged lock (meaningful only when `conflicts` is empty). */
  lock: Lockfile;
  added: string[];
  updated: string[];
  removed: string[];
  conflicts: LockConflict[];
  /** Shards of N with no fragment: their videos keep the base's entries. */
  missingShards: string[];
  /** Assets that two shards uploaded separately (same bytes, two ids); the earlier upload is kept. */
  duplicateAssets: string[];
}

/** An id's entry, never something inherited (`constructor` is a valid video id). */
const own = (videos: Record<string, LockEntry>, id: string): LockEntry | undefined => (Object.hasOwn(videos, id) ? videos[id] : undefined);

const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/**
 * The fragment a shard writes: its own videos only, the assets of the lock, and which shard it
 * is. Written next to reel.lock's cache (not in git) for the CI job to upload as an artifact.
 */
export async function writeShardFragment(root: string, lock: Lockfile, shard: Shard): Promise<string> {
  const videos = idMap<LockEntry>();
  for (const [id, entry] of Object.entries(lock.videos)) if (shardOf(entry.source ?? id, shard.count) === shard.index) videos[id] = entry;
  const path = shardFragmentPath(root, shard);
  await confinedWrite(root, path);
  await mkdir(join(root, SHARD_DIR), { recursive: true });
  await writeFileAtomic(path, stableJson({ lockfileVersion: lock.lockfileVersion, shard: { index: shard.index, count: shard.count }, videos, assets: lock.assets }));
  return path;
}

/** Read a fragment or a plain reel.lock; `name` is how messages refer to it. */
export async function readFragment(path: string, name: string): Promise<LockFragment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LockError(`cannot read ${name}: ${(error as Error).message}`, { cause: error });
  }
  const lock = parseLock(text, name);
  const raw = (JSON.parse(text) as { shard?: unknown }).shard;
  if (raw === undefined) return { file: name, lock };
  const shard = raw as Partial<Shard> | null;
  const ok =
    shard !== null &&
    typeof shard === 'object' &&
    Number.isInteger(shard.index) &&
    Number.isInteger(shard.count) &&
    (shard.count as number) >= 1 &&
    (shard.index as number) >= 1 &&
    (shard.index as number) <= (shard.count as number);
  if (!ok) throw new LockError(`${name}: "shard" must be {"index": K, "count": N} with 1 ≤ K ≤ N; this is not a fragment reel wrote.`);
  return { file: name, lock, shard: { index: shard.index as number, count: shard.count as number } };
}

/**
 * Merge the fragments of a sharded build into `base` (the reel.lock every shard started from).
 * For every id, each file that speaks for it and differs from the base is a change: none → the
 * base stays; one distinct change (an update or a removal) → taken; two different changes → a
 * conflict, reported and never settled by picking a side. Pure: no I/O.
 */
export function mergeLocks(base: Lockfile, fragments: readonly LockFragment[]): LockMergeResult {
  const counts = new Set(fragments.flatMap((f) => (f.shard ? [f.shard.count] : [])));
  if (counts.size > 1) {
    throw new LockError(
      `the fragments come from different shard counts (${[...counts]
        .sort()
        .map((n) => `/${n}`)
        .join(', ')}); merge the fragments of one run, all built with the same --shard K/N`,
    );
  }
  const ids = new Set(Object.keys(base.videos));
  for (const { lock } of fragments) for (const id of Object.keys(lock.videos)) ids.add(id);

  const videos = idMap<LockEntry>();
  const result: LockMergeResult = {
    lock: { ...base, videos, assets: idMap() },
    added: [],
    updated: [],
    removed: [],
    conflicts: [],
    missingShards: [],
    duplicateAssets: [],
  };
  for (const id of [...ids].sort()) {
    const before = own(base.videos, id);
    const changes: Array<{ file: string; entry?: LockEntry }> = [];
    for (const { file, lock, shard, complete } of fragments) {
      const entry = own(lock.videos, id);
      // A locale belongs to its source's shard (see plan()).
      const owner = (entry ?? before)?.source ?? id;
      const speaks = complete || entry !== undefined || (shard !== undefined && shardOf(owner, shard.count) === shard.index);
      if (speaks && !same(entry, before)) changes.push(entry ? { file, entry } : { file });
    }
    const distinct = changes.filter((c, i) => changes.findIndex((d) => same(d.entry, c.entry)) === i);
    if (distinct.length > 1) {
      result.conflicts.push({ id, ...(before ? { base: before } : {}), sides: changes });
      if (before) videos[id] = before;
      continue;
    }
    const winner = distinct[0];
    if (!winner) {
      if (before) videos[id] = before;
    } else if (winner.entry) {
      videos[id] = winner.entry;
      (before ? result.updated : result.added).push(id);
    } else {
      result.removed.push(id);
    }
  }

  const count = [...counts][0];
  if (count !== undefined) {
    const present = new Set(fragments.flatMap((f) => (f.shard ? [f.shard.index] : [])));
    for (let k = 1; k <= count; k += 1) if (!present.has(k)) result.missingShards.push(`${k}/${count}`);
  }

  const assets = idMap<LockedAsset>(base.assets);
  for (const { lock } of fragments) {
    for (const [sha, asset] of Object.entries(lock.assets)) {
      const held = assets[sha];
      if (!held) assets[sha] = asset;
      else if (held.asset_id !== asset.asset_id) {
        // Both ids name the same bytes on HeyGen, so either works; keep one deterministically.
        if (!result.duplicateAssets.includes(sha)) result.duplicateAssets.push(sha);
        if (asset.uploaded_at < held.uploaded_at || (asset.uploaded_at === held.uploaded_at && asset.asset_id < held.asset_id)) assets[sha] = asset;
      }
    }
  }
  result.lock.assets = assets;
  return result;
}

/** Where the three files of a git merge driver (`%O %A %B`) come from, for messages and markers. */
export interface DriverSides {
  base: Lockfile;
  ours: Lockfile;
  theirs: Lockfile;
  /** The path being merged (`%P`), e.g. `reel.lock`. */
  path: string;
}

/**
 * git's three-way merge of reel.lock, video by video: a video changed (or removed) on one side
 * only is taken from that side, and both sides agreeing is no conflict. Pure: no I/O.
 */
export function mergeForGit(sides: DriverSides): LockMergeResult {
  return mergeLocks(sides.base, [
    { file: `${sides.path} (ours)`, lock: sides.ours, complete: true },
    { file: `${sides.path} (theirs)`, lock: sides.theirs, complete: true },
  ]);
}

const MARKER = 7;

/**
 * The merged reel.lock as git leaves a conflicted file: every video without a conflict merged,
 * and each conflicting video written twice between conflict markers (ours, then theirs; an empty
 * side was removed there), so a person keeps one block (or removes the entry) and commits. reel
 * refuses to read the file until the markers are gone.
 *
 * Whichever side of each hunk is kept, the file is valid JSON: every hunk is followed by a merged
 * video, so each block ends with its own comma and an empty block leaves none dangling. A hunk
 * that would come last moves up before the last merged video (reel sorts the keys again on its
 * next write); when no video merged cleanly, all conflicts share one hunk, each side complete.
 */
export function formatConflictedLock(result: LockMergeResult): string {
  const indent = '    ';
  const entryLines = (id: string, entry: LockEntry): string[] => {
    const lines = JSON.stringify(sortKeys(entry), null, 2).split('\n');
    return [`${indent}${JSON.stringify(id)}: ${lines[0]}`, ...lines.slice(1).map((l) => `${indent}${l}`)];
  };
  // `trailing`: a comma after the last entry of the list, because something follows it.
  const list = (entries: Array<[string, LockEntry]>, trailing: boolean): string[] =>
    entries.flatMap(([id, entry], i) => {
      const lines = entryLines(id, entry);
      if (i < entries.length - 1 || trailing) lines[lines.length - 1] += ',';
      return lines;
    });
  const side = (c: LockConflict, i: 0 | 1): { file: string; entry?: LockEntry } | undefined => (c.sides.length === 2 ? c.sides[i] : undefined);
  const hunk = (conflicts: readonly LockConflict[], trailing: boolean): string[] => {
    const entries = (i: 0 | 1): Array<[string, LockEntry]> =>
      conflicts.flatMap((c) => {
        const entry = side(c, i)?.entry;
        return entry ? [[c.id, entry] as [string, LockEntry]] : [];
      });
    const first = conflicts[0];
    return [
      `${'<'.repeat(MARKER)} ${(first && side(first, 0)?.file) ?? 'ours'}`,
      ...list(entries(0), trailing),
      '='.repeat(MARKER),
      ...list(entries(1), trailing),
      `${'>'.repeat(MARKER)} ${(first && side(first, 1)?.file) ?? 'theirs'}`,
    ];
  };

  // mergeLocks keeps the base entry of a conflicting video in `lock`; here only its hunk stands.
  const conflicting = new Set(result.conflicts.map((c) => c.id));
  const merged = Object.keys(result.lock.videos)
    .filter((id) => !conflicting.has(id))
    .sort();
  const conflicts = [...result.conflicts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let body: string[];
  if (merged.length === 0) {
    body = conflicts.length > 0 ? hunk(conflicts, false) : [];
  } else {
    const last = merged[merged.length - 1] as string;
    const items: Array<{ id: string; conflict?: LockConflict }> = [...merged.slice(0, -1).map((id) => ({ id })), ...conflicts.map((c) => ({ id: c.id, conflict: c }))];
    items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    body = [
      ...items.flatMap(({ id, conflict }) => (conflict ? hunk([conflict], true) : list([[id, result.lock.videos[id] as LockEntry]], true))),
      ...list([[last, result.lock.videos[last] as LockEntry]], false),
    ];
  }
  const token = '@@reel-videos@@';
  const text = stableJson({ ...result.lock, videos: token });
  return text.replace(/^( *)"videos": "@@reel-videos@@"(,?)$/m, (_line, outer: string, comma: string) =>
    body.length === 0 ? `${outer}"videos": {}${comma}` : [`${outer}"videos": {`, ...body, `${outer}}${comma}`].join('\n'),
  );
}
