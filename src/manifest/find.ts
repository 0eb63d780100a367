import { glob } from 'tinyglobby';
import type { ProjectConfig } from './config.js';

/** Paths never searched for manifests: dependencies, git, reel's cache, and the output directory. */
export function manifestIgnores(config: ProjectConfig): string[] {
  return ['**/node_modules/**', '**/.git/**', '**/.reel/**', `${config.out.replace(/\/+$/, '')}/**`];
}

/** Manifest files matched by the config's globs: absolute, sorted, never under node_modules, .git or .reel. */
export async function findManifests(root: string, config: ProjectConfig): Promise<string[]> {
  const files = await glob(config.manifests, {
    cwd: root,
    absolute: true,
    onlyFiles: true,
    dot: false,
    followSymbolicLinks: false,
    expandDirectories: false,
    ignore: manifestIgnores(config),
  });
  return [...new Set(files)].sort();
}
