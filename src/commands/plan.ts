import { UsageError } from '../errors.js';
import { readLock } from '../lock/file.js';
import { currentHolder, describe as describeHolder } from '../lock/mutex.js';
import { loadProjectCached } from '../cache/manifests.js';
import type { ProjectConfig } from '../manifest/config.js';
import { spokenDurations } from '../speech/cache.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { configPlanOptions, hasChanges, plan } from '../plan/plan.js';
import { forApi } from '../plan/api-scope.js';
import { apiIdentity, EMULATOR_API } from '../util/api.js';
import { readApiEnv } from '../util/env.js';
import { targetMatcher } from '../plan/select.js';
import { parseShard } from '../util/shard.js';
import type { Lockfile } from '../lock/types.js';
import { formatPlanHuman } from '../report/plan-human.js';
import { formatPlanJson } from '../report/plan-json.js';
import { formatPlanMarkdown } from '../report/plan-markdown.js';
import { diagnosticsJson, formatDiagnostics, formatGithubAnnotations } from '../report/diagnostics.js';
import { inGithubActions, useColor } from '../util/terminal.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type PlanCommandOptions = CommandOptions<'plan'>;

/**
 * Load the manifests and the lock of the project at `ctx.cwd` (reading only; no write lock is
 * taken). Returns the exit code to use instead when the manifests have errors.
 */
export async function loadForPlan(
  ctx: CommandContext,
  json: boolean,
): Promise<{ entries: ResolvedEntry[]; lock: Lockfile; spoken: Map<string, number>; config: ProjectConfig } | { exitCode: number }> {
  const [project, lock, writer, spoken] = await Promise.all([
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
    // Annotations go to stdout, where GitHub reads them; never into a --json document.
    if (inGithubActions(ctx.env) && !json) ctx.stdout.write(formatGithubAnnotations(project.diagnostics, ctx.cwd));
  }
  if (errors.length > 0) {
    const files = new Set(errors.map((d) => d.file)).size;
    ctx.stderr.write(
      `reel: ${errors.length} ${errors.length === 1 ? 'error' : 'errors'} in ${files} ${files === 1 ? 'file' : 'files'}; fix ${errors.length === 1 ? 'it' : 'them'} to see the plan.\n`,
    );
    if (json) {
      ctx.stdout.write(`${JSON.stringify({ version: 1, diagnostics: diagnosticsJson(project.diagnostics, project.root) }, null, 2)}\n`);
    }
    return { exitCode: 1 };
  }
  return { entries: project.entries, lock, spoken, config: project.config };
}

/** `reel plan`: what a build would render, update, resume or remove, and why. Never writes. */
export async function run(options: PlanCommandOptions, ctx: CommandContext): Promise<number> {
  if (options.json && options.markdown) throw new UsageError('--json and --markdown cannot be used together; pick one.');
  const shard = options.shard !== undefined ? parseShard(options.shard) : undefined;
  const targets = options.target ?? [];

  const loaded = await loadForPlan(ctx, Boolean(options.json));
  if ('exitCode' in loaded) return loaded.exitCode;
  const { entries, lock, spoken, config } = loaded;

  for (const target of targets) {
    const matches = targetMatcher([target]);
    if (!entries.some((e) => matches(e.id)) && !Object.keys(lock.videos).some(matches)) {
      ctx.stderr.write(`reel: warning: --target ${target} matches no video.\n`);
    }
  }
  // Entries rendered against another API (the emulator, say) are rendered again by a build against
  // this one, so the plan says so instead of calling them unchanged.
  const api = options.emulator ? EMULATOR_API : apiIdentity((await readApiEnv(ctx.cwd, ctx.env)).baseUrl);
  const result = forApi(plan(entries, lock, { targets, spoken, ...(shard ? { shard } : {}), ...configPlanOptions(config) }), api);

  if (options.json) ctx.stdout.write(formatPlanJson(result, ctx.cwd, { pretty: Boolean(ctx.stdout.isTTY) }));
  else if (options.markdown) ctx.stdout.write(formatPlanMarkdown(result, { cwd: ctx.cwd }));
  else ctx.stdout.write(formatPlanHuman(result, { cwd: ctx.cwd, verbose: Boolean(options.verbose), color: useColor(ctx.stdout, ctx.env) }));

  if (inGithubActions(ctx.env)) await (await import('../report/github.js')).reportPlanToGithub({ env: ctx.env, out: ctx.stderr, cwd: ctx.cwd }, result, shard);
  return options.detailedExitcode && hasChanges(result) ? 2 : 0;
}
