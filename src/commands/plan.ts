import { UsageError } from '../errors.js';
import { readLock } from '../lock/file.js';
import { currentHolder, describe as describeHolder } from '../lock/mutex.js';
import { loadProjectCached } from '../cache/manifests.js';
import type { ProjectConfig } from '../manifest/config.js';
import { spokenDurations } from '../speech/cache.js';
import type { DraftEntry, ResolvedEntry } from '../manifest/types.js';
import { configPlanOptions, hasChanges, plan } from '../plan/plan.js';
import { forApi } from '../plan/api-scope.js';
import { apiIdentity, EMULATOR_API } from '../util/api.js';
import { readApiEnv } from '../util/env.js';
import { targetMatcher } from '../plan/select.js';
import { parseShard } from '../util/shard.js';
import type { Lockfile } from '../lock/types.js';
import { formatPlanHuman } from '../report/plan-human.js';
import { formatPlanJson } from '../report/plan-json.js';
import { formatPlanFailureMarkdown, formatPlanMarkdown } from '../report/plan-markdown.js';
import { displayPath } from '../util/path.js';
import { overBudget, shares } from '../plan/budget.js';
import { diagnosticsJson, formatDiagnostics, formatGithubAnnotations } from '../report/diagnostics.js';
import { inGithubActions, useColor } from '../util/terminal.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';
import { whenAll } from '../util/promise.js';

type PlanCommandOptions = CommandOptions<'plan'>;

/** How a command prints: annotations never go into a --json document or a --markdown comment. */
export type PlanOutput = 'human' | 'json' | 'markdown';

/**
 * Load the manifests and the lock of the project at `ctx.cwd` (reading only; no write lock is
 * taken). Returns the exit code to use instead when the manifests have errors.
 */
export async function loadForPlan(
  ctx: CommandContext,
  output: PlanOutput,
): Promise<{ entries: ResolvedEntry[]; drafts: DraftEntry[]; lock: Lockfile; spoken: Map<string, number>; config: ProjectConfig } | { exitCode: number }> {
  const [project, lock, writer, spoken] = await whenAll([
    loadProjectCached(ctx.cwd, { signal: ctx.signal, cache: ctx.env.REEL_CACHE !== '0' }),
    readLock(ctx.cwd),
    currentHolder(ctx.cwd),
    spokenDurations(ctx.cwd),
  ]);
  if (writer) {
    ctx.stderr.write(`reel: note: a build is writing reel.lock (${describeHolder(writer)}); this shows the lock as it is now.\n`);
  }
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (project.diagnostics.length > 0) {
    ctx.stderr.write(formatDiagnostics(project.diagnostics, ctx.cwd));
    // Annotations go to stdout, where GitHub reads them, unless stdout is a document (the runner reads stderr too).
    if (inGithubActions(ctx.env) && output !== 'json') (output === 'human' ? ctx.stdout : ctx.stderr).write(formatGithubAnnotations(project.diagnostics, ctx.cwd));
  }
  if (errors.length > 0) {
    const files = new Set(errors.map((d) => d.file)).size;
    ctx.stderr.write(`reel: ${errors.length} ${errors.length === 1 ? 'error' : 'errors'} in ${files} ${files === 1 ? 'file' : 'files'}; fix ${errors.length === 1 ? 'it' : 'them'} to see the plan.\n`);
    if (output === 'json') {
      ctx.stdout.write(`${JSON.stringify({ version: 1, diagnostics: diagnosticsJson(project.diagnostics, project.root) }, null, 2)}\n`);
    } else if (output === 'markdown') {
      // The PR comment says the plan failed instead of keeping a plan that no longer holds.
      const problems = errors.map((d) => ({ where: `${displayPath(d.file, ctx.cwd)}:${d.line}:${d.col}`, message: `${d.id !== undefined ? `${d.id}: ` : ''}${d.message}` }));
      ctx.stdout.write(formatPlanFailureMarkdown(problems, errors.length));
    }
    return { exitCode: 1 };
  }
  return { entries: project.entries, drafts: project.drafts, lock, spoken, config: project.config };
}

/** `reel plan`: what a build would render, update, resume or remove, and why. Never writes. */
export async function run(options: PlanCommandOptions, ctx: CommandContext): Promise<number> {
  if (options.json && options.markdown) throw new UsageError('--json and --markdown cannot be used together; pick one.');
  const shard = options.shard !== undefined ? parseShard(options.shard) : undefined;
  const targets = options.target ?? [];

  if (options.shares !== undefined && (!Number.isInteger(options.shares) || options.shares < 1)) throw new UsageError('--shares must be a whole number of at least 1 (the number of shards).');
  if (options.shares !== undefined && shard) throw new UsageError('--shares plans the whole build for its shards; leave out --shard.');
  for (const [flag, value] of [
    ['--max-videos', options.maxVideos],
    ['--max-seconds', options.maxSeconds],
  ] as const) {
    if (value !== undefined && value < 0) throw new UsageError(`${flag} must not be negative.`);
  }
  const output: PlanOutput = options.json ? 'json' : options.markdown ? 'markdown' : 'human';
  const loaded = await loadForPlan(ctx, output);
  if ('exitCode' in loaded) return loaded.exitCode;
  const { entries, drafts, lock, spoken, config } = loaded;

  for (const target of targets) {
    const matches = targetMatcher([target]);
    if (!entries.some((e) => matches(e.id)) && !drafts.some((d) => matches(d.id)) && !Object.keys(lock.videos).some(matches)) {
      ctx.stderr.write(`reel: warning: --target ${target} matches no video.\n`);
    }
  }
  // Entries rendered against another API (the emulator, say) are rendered again by a build against
  // this one, so the plan says so instead of calling them unchanged.
  const api = options.emulator ? EMULATOR_API : apiIdentity((await readApiEnv(ctx.cwd, ctx.env)).baseUrl);
  const result = forApi(plan(entries, lock, { targets, drafts, spoken, ...(shard ? { shard } : {}), ...configPlanOptions(config) }), api);

  const split = options.shares !== undefined ? shares(result, options.shares) : undefined;
  if (options.json) ctx.stdout.write(formatPlanJson(result, ctx.cwd, { pretty: Boolean(ctx.stdout.isTTY), ...(split ? { shares: split } : {}) }));
  else if (options.markdown) ctx.stdout.write(formatPlanMarkdown(result, { cwd: ctx.cwd }));
  else ctx.stdout.write(formatPlanHuman(result, { cwd: ctx.cwd, verbose: Boolean(options.verbose), color: useColor(ctx.stdout, ctx.env) }));

  const github = inGithubActions(ctx.env) ? await import('../report/github.js') : undefined;
  const gh = { env: ctx.env, out: ctx.stderr, cwd: ctx.cwd };
  await github?.reportPlanToGithub(gh, result, shard);
  // The whole build (every shard) against the budget: the limit a sharded workflow really has.
  const refusal = overBudget(result, { maxVideos: options.maxVideos, maxSeconds: options.maxSeconds });
  if (refusal) {
    ctx.stderr.write(`reel: over budget: ${refusal}${shard ? ` in shard ${shard.index}/${shard.count}` : ''}; a build would refuse to start.\n`);
    github?.annotate(gh, 'error', `over budget: ${refusal}; nothing will be built.`);
    return 1;
  }
  if (split) {
    ctx.stderr.write(`${split.map((s) => `shard ${s.shard}/${s.of}: ${s.max_videos} to render (~${s.max_seconds} s)`).join('\n')}\n`);
    await github?.setOutput(gh, 'matrix', JSON.stringify({ include: split }));
  }
  return options.detailedExitcode && hasChanges(result) ? 2 : 0;
}
