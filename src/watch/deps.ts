/**
 * What the watch engine needs from the loader, the lock and the plan. The engine takes these as a
 * value so that it stays a thin incremental layer over the real modules (and never grows its own
 * loader or plan); `realDeps()` wires the real ones.
 */
import type { Diagnostic, ResolvedEntry } from '../manifest/types.js';

import type { Lockfile } from '../lock/index.js';
import type { Change, Plan, PlanOptions } from '../plan/index.js';

export type { Action, Change } from '../plan/index.js';
export type { Lockfile } from '../lock/index.js';

// TEMPORARY local shapes until the manifest branch lands; replaced by its types.
export interface ProjectConfig {
  manifests: string[];
}
export interface FileResult {
  file: string;
  entries: ResolvedEntry[];
  diagnostics: Diagnostic[];
  dependencies: string[];
}

export interface WatchDeps {
  loadConfig(root: string): Promise<{ config: ProjectConfig; configFile?: string; diagnostics: Diagnostic[] }>;
  findManifests(root: string, config: ProjectConfig): Promise<string[]>;
  loadManifestFile(root: string, config: ProjectConfig, file: string, bytes?: Uint8Array): Promise<FileResult>;
  checkProject(results: FileResult[]): Diagnostic[];
  /** True for an absolute path the config's manifest globs select. */
  isManifest(root: string, config: ProjectConfig, file: string): boolean;
  readLock(root: string): Promise<Lockfile>;
  plan(entries: readonly ResolvedEntry[], lock: Lockfile, options: PlanOptions): Plan;
}
