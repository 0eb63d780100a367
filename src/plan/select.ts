import { UsageError } from '../errors.js';
import { sha256 } from '../util/hash.js';

/** Shard K of N, 1 ≤ index ≤ count, as written on the command line (`--shard 2/3`). */
export interface Shard {
  index: number;
  count: number;
}

/** Parse `K/N` (`--shard 2/3`); a UsageError says what is wrong. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard expects K/N with 1 ≤ K ≤ N (e.g. --shard 1/4), got "${text}".`);
  }
  return { index, count };
}

/**
 * Which shard an id belongs to (1-based). Hashing the id, rather than numbering sorted ids, keeps
 * every other entry in its shard when one is added or removed.
 */
export function shardOf(id: string, count: number): number {
  return (Number.parseInt(sha256(id).slice(0, 8), 16) % count) + 1;
}

/**
 * A matcher for `--target` values: an exact id or a glob where `*` matches any run of characters
 * and `?` one character (ids contain no slashes, so there is no `**`). No targets matches all.
 */
export function targetMatcher(targets: readonly string[] | undefined): (id: string) => boolean {
  if (!targets || targets.length === 0) return () => true;
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const target of targets) {
    if (/[*?]/.test(target)) {
      const source = target
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
        .join('');
      patterns.push(new RegExp(`^${source}$`));
    } else {
      exact.add(target);
    }
  }
  return (id) => exact.has(id) || patterns.some((p) => p.test(id));
}
