import { lstat, realpath } from 'node:fs/promises';
import { UnsafePathError } from '../errors.js';
import { basename, dirname, inside, join, relativePath, resolve } from './path.js';

/**
 * The real path `path` would have if it were created now: its deepest existing ancestor resolved
 * through symlinks, the rest appended. An existing final symlink is followed too.
 */
export async function realTarget(path: string): Promise<string> {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      return join(await realpath(at), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = dirname(at);
      if (parent === at) return join(at, ...missing.reverse());
      missing.push(basename(at));
      at = parent;
    }
  }
}

/**
 * Where reel may write `path` of the project at `root`: its real location, which must stay inside
 * the project's real root whatever symlinks lie on the way (a symlinked `out/`, `.reel` or file
 * would otherwise carry a write outside). Throws UnsafePathError naming `shown`.
 */
export async function confinedWrite(root: string, path: string, shown = relativePath(root, path)): Promise<string> {
  const realRoot = await realpath(root).catch(() => resolve(root));
  const real = await realTarget(path);
  if (!inside(realRoot, real) || real === realRoot) {
    throw new UnsafePathError(`refusing to write ${shown}: it resolves (through a symlink) to ${real}, outside the project; reel writes only inside the project`);
  }
  return real;
}

/**
 * Where reel may delete `path`: its directory resolved through symlinks must stay inside the
 * project; the final name itself is not followed, so deleting a symlink removes the link only.
 * Undefined when the path does not exist or leads outside (nothing is deleted then).
 */
export async function confinedDelete(root: string, path: string): Promise<string | undefined> {
  const realRoot = await realpath(root).catch(() => resolve(root));
  if (!inside(resolve(root), resolve(path))) return undefined;
  let dir: string;
  try {
    dir = await realpath(dirname(resolve(path)));
  } catch {
    return undefined;
  }
  const target = join(dir, basename(path));
  if (!inside(realRoot, target) || target === realRoot) return undefined;
  const st = await lstat(target).catch(() => undefined);
  return st && !st.isDirectory() ? target : undefined;
}
