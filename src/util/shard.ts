/**
 * Sharding (`--shard K/N`): which entries a shard builds. Below both plan and lock, which split and
 * merge by the same rule.
 */
import { UsageError } from '../errors.js';
import { sha256 } from './hash.js';

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
