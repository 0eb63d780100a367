import picomatch from 'picomatch';
import type { ProjectConfig } from '../manifest/index.js';
import { manifestIgnores } from '../manifest/find.js';
import { inside, relativePath } from '../util/path.js';

/**
 * A predicate equal to what `findManifests` selects (tinyglobby: the config's globs, no dot files,
 * never under node_modules, .git, .reel or the output directory), for one path at a time: chokidar
 * reports single paths and has no globs of its own.
 */
export function manifestMatcher(root: string, config: ProjectConfig): (file: string) => boolean {
  const match = picomatch(config.manifests, {
    dot: false,
    ignore: manifestIgnores(config),
  });
  return (file) => {
    if (file === root || !inside(root, file)) return false;
    return match(relativePath(root, file));
  };
}
