/**
 * reel as a library: the same pieces the CLI uses, for scripts and for tests of users' own
 * manifests (e.g. start the emulator in-process and build against it). Importing this module has
 * no side effects: no signal handlers, no output, nothing started.
 */
export { loadProject, loadConfig, findManifests, loadManifestFile, checkProject } from './manifest/index.js';
export type { LoadResult, FileResult, ProjectConfig } from './manifest/index.js';
export type { ResolvedEntry, LocalAsset, Diagnostic, Mode } from './manifest/types.js';
export { fingerprint, fieldDigests, plan, estimateSeconds, hasChanges } from './plan/index.js';
export type { Plan, Change, Action } from './plan/index.js';
export { readLock, openLock } from './lock/index.js';
export type { Lockfile, LockEntry, LockStore } from './lock/index.js';
export { HeyGenClient } from './heygen/client.js';
export { startEmulator } from './emulator/index.js';
export type { Emulator, EmulatorOptions, FaultRule, RequestRecord } from './emulator/index.js';
export { ReelError, UsageError, LockError, ConfigError, ApiError, CancelledError, InternalError } from './errors.js';
export { applyBuild, buildOutcome, describeEvent } from './build/index.js';
export type { ApplyBuildOptions, ApplyBuildResult, BuildEvent, BuildReporter, BuildTotals, EventDescription, JobResult, JobResultKind } from './build/index.js';
