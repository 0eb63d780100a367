import { UsageError } from '../errors.js';

/** Longest `--target` glob accepted (ids are at most 200 characters). */
export const MAX_TARGET_LENGTH = 256;

/**
 * A matcher for `--target` values: an exact id or a glob where `*` matches any run of characters
 * and `?` one character (ids contain no slashes, so there is no `**`). No targets matches all.
 * Globs are matched segment by segment (never as a backtracking RegExp, which a pattern like
 * `*a*a*a*a*a*b` makes take minutes), so the work per id is bounded by id × pattern length.
 */
export function targetMatcher(targets: readonly string[] | undefined): (id: string) => boolean {
  if (!targets || targets.length === 0) return () => true;
  const exact = new Set<string>();
  const globs: string[][] = [];
  for (const target of targets) {
    if (target.length > MAX_TARGET_LENGTH) throw new UsageError(`--target is ${target.length} characters long; ids have at most 200, so a target has at most ${MAX_TARGET_LENGTH}.`);
    if (/[*?]/.test(target)) globs.push(target.split('*'));
    else exact.add(target);
  }
  return (id) => exact.has(id) || globs.some((segments) => globMatch(segments, id));
}

/** Whether `s` at `at` starts with `segment`, where `?` in the segment matches any one character. */
function matchesAt(s: string, at: number, segment: string): boolean {
  if (at + segment.length > s.length) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c !== '?' && c !== s[at + i]) return false;
  }
  return true;
}

/**
 * `segments` is the glob split at `*`: the first must match at the start, the last at the end,
 * and each middle one at its leftmost place after the previous (leftmost is always safe for `*`).
 */
function globMatch(segments: readonly string[], s: string): boolean {
  const first = segments[0] as string;
  if (segments.length === 1) return s.length === first.length && matchesAt(s, 0, first);
  const last = segments[segments.length - 1] as string;
  if (!matchesAt(s, 0, first)) return false;
  const end = s.length - last.length;
  if (end < first.length || !matchesAt(s, end, last)) return false;
  let at = first.length;
  for (let k = 1; k < segments.length - 1; k++) {
    const segment = segments[k] as string;
    let found = -1;
    for (let i = at; i + segment.length <= end; i++) {
      if (matchesAt(s, i, segment)) {
        found = i;
        break;
      }
    }
    if (found < 0) return false;
    at = found + segment.length;
  }
  return true;
}
