import { glob } from 'tinyglobby';
import type { ProjectConfig } from './config.js';

/** Manifest files matched by the config's globs: absolute, sorted, never under node_modules, .git or .reel. */
export async function findManifests(root: string, config: ProjectConfig): Promise<string[]> {
  const files = await glob(config.manifests, {
    cwd: root,
    absolute: true,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: false,
    expandDirectories: false,
    ignore: ['**/node_modules/**', '**/.git/**', '**/.reel/**', `${config.out.replace(/\/+$/, '')}/**`],
  });
  return [...new Set(files)].sort();
}
