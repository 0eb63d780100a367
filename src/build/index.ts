/**
 * Building: apply a plan to HeyGen and keep reel.lock current. `applyBuild` is the whole of
 * `reel build` below the CLI; front ends (the CLI, `reel watch --build`) call it with a reporter.
 */
export { applyBuild, buildOutcome, EMULATOR_RENDER_SECONDS } from './apply.js';
export type { ApplyBuildOptions, ApplyBuildResult } from './apply.js';
export { describeEvent, formatDuration } from './describe.js';
export type { EventDescription } from './describe.js';
export type { BuildEvent, JobResult, JobResultKind } from './events.js';
export { DEFAULT_CONCURRENCY } from './executor.js';
export type { BuildReporter, BuildTotals } from './reporter.js';
