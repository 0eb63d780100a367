/**
 * The one module that imports `node:path` (a lint rule keeps it so, as knip does): how a path is
 * relativised, shown to people and tested for containment is decided here, once.
 */
import { isAbsolute, relative, sep } from 'node:path';

export { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';

/** Forward slashes, as reel records paths in the lock and shows them on every platform. */
export function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** `to` relative to `from` with forward slashes; `''` when they are the same path. */
export function relativePath(from: string, to: string): string {
  return toPosix(relative(from, to));
}

/** True when `path` is `root` or lies below it (both absolute; no symlinks are followed). */
export function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** True when `path` is `tree` or below it, by string alone (cheap enough for every watch event). */
export function under(tree: string, path: string): boolean {
  return path === tree || path.startsWith(tree + sep);
}

/** The last segment of a path reported by the platform (chokidar's paths use its separator). */
export function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf(sep) + 1);
}

// A plan names the same few manifest files for thousands of changes; path.relative is not cheap.
const displayed = new Map<string, Map<string, string>>();

/**
 * A path for people: relative to `from` (the working directory), forward slashes, and `.` for
 * `from` itself, never an empty string.
 */
export function displayPath(file: string, from: string): string {
  let byFile = displayed.get(from);
  if (!byFile) {
    byFile = new Map();
    displayed.set(from, byFile);
  }
  let shown = byFile.get(file);
  if (shown === undefined) {
    shown = relativePath(from, file) || '.';
    byFile.set(file, shown);
  }
  return shown;
}
