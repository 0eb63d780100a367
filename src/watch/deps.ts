/**
 * What the watch engine needs from the loader, the lock and the plan. The engine takes these as a
 * value so that it stays a thin incremental layer over the real modules (and never grows its own
 * loader or plan); `realDeps()` wires the real ones.
 */
import type { Diagnostic, ResolvedEntry } from '../manifest/types.js';

import type { Lockfile } from '../lock/index.js';
import type { Plan, PlanOptions } from '../plan/index.js';

export type { Action, Change } from '../plan/index.js';
export type { Lockfile } from '../lock/index.js';

import type { FileResult, ProjectConfig } from '../manifest/index.js';

export type { FileResult, ProjectConfig } from '../manifest/index.js';

export interface WatchDeps {
  loadConfig(root: string): Promise<{ config: ProjectConfig; configFile?: string; diagnostics: Diagnostic[] }>;
  findManifests(root: string, config: ProjectConfig): Promise<string[]>;
  loadManifestFile(root: string, config: ProjectConfig, file: string, bytes?: Uint8Array): Promise<FileResult>;
  checkProject(results: FileResult[], root: string, out: string): Diagnostic[];
  /** True for an absolute path the config's manifest globs select. */
  isManifest(root: string, config: ProjectConfig, file: string): boolean;
  readLock(root: string): Promise<Lockfile>;
  plan(entries: readonly ResolvedEntry[], lock: Lockfile, options: PlanOptions): Plan;
}

/** The real loader, lock and plan (loaded lazily, as every command does). */
export async function realDeps(): Promise<WatchDeps> {
  const [manifest, lock, planner, match] = await Promise.all([import('../manifest/index.js'), import('../lock/index.js'), import('../plan/index.js'), import('./match.js')]);
  // One matcher per config object: a config change makes a new one.
  const matchers = new WeakMap<ProjectConfig, (file: string) => boolean>();
  return {
    loadConfig: manifest.loadConfig,
    findManifests: manifest.findManifests,
    loadManifestFile: (root, config, file, bytes) => manifest.loadManifestFile(root, config, file, bytes),
    checkProject: (results, root, out) => manifest.checkProject(results, root, out),
    isManifest: (root, config, file) => {
      let matcher = matchers.get(config);
      if (!matcher) matchers.set(config, (matcher = match.manifestMatcher(root, config)));
      return matcher(file);
    },
    readLock: lock.readLock,
    plan: planner.plan,
  };
}
