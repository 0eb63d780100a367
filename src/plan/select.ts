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
