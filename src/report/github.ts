import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from '../util/path.js';
import type { JobResult } from '../build/events.js';
import type { SourcePosition } from '../errors.js';
import type { Diagnostic } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import { awaitingReviewMarkdown, formatBuildAnnotations } from './build-github.js';
import type { BuildTotals } from '../build/reporter.js';
import { formatDuration, summaryLine } from './build-table.js';
import { formatGithubAnnotations } from './diagnostics.js';
import { STEP_SUMMARY_LIMIT, formatPlanMarkdown } from './plan-markdown.js';
import { inGithubActions } from '../util/terminal.js';
import { workflowCommand } from './workflow-command.js';
import { append } from '../util/array.js';

/**
 * GitHub Actions integration: workflow commands (`::error file=…,line=…,col=…::…`) that GitHub
 * shows inline on the pull request, and markdown appended to `$GITHUB_STEP_SUMMARY`. Everything
 * here is a no-op outside Actions (`GITHUB_ACTIONS` is not `true`).
 */

export interface GithubContext {
  env: NodeJS.ProcessEnv;
  /** Where workflow commands go. The runner reads both streams; machine output keeps stdout clean. */
  out: { write(text: string): unknown };
  cwd: string;
}

export { workflowCommand };

/** Manifest diagnostics as annotations (the same lines `reel validate` prints). */
export function annotateDiagnostics(gh: GithubContext, diagnostics: readonly Diagnostic[]): void {
  if (!inGithubActions(gh.env) || diagnostics.length === 0) return;
  gh.out.write(formatGithubAnnotations(diagnostics, gh.cwd));
}

/**
 * Append markdown to the job summary. Without `GITHUB_STEP_SUMMARY` (or outside Actions) nothing
 * happens; a summary that cannot be written is a warning, never a failed build.
 */
export async function appendStepSummary(gh: GithubContext, markdown: string): Promise<void> {
  const file = gh.env.GITHUB_STEP_SUMMARY;
  if (!inGithubActions(gh.env) || !file) return;
  try {
    await appendFile(file, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`);
  } catch (error) {
    gh.out.write(workflowCommand('warning', `reel could not write the job summary: ${(error as Error).message}`));
  }
}

/** One annotation that belongs to no file (a refused budget, say). */
export function annotate(gh: GithubContext, level: 'error' | 'warning' | 'notice', message: string): void {
  if (inGithubActions(gh.env)) gh.out.write(workflowCommand(level, message));
}

/** Set a step output (`$GITHUB_OUTPUT`) for later jobs, e.g. the build matrix. */
export async function setOutput(gh: GithubContext, name: string, value: string): Promise<void> {
  const file = gh.env.GITHUB_OUTPUT;
  if (!inGithubActions(gh.env) || !file) return;
  const delimiter = `reel_${Math.random().toString(36).slice(2)}`;
  await appendFile(file, value.includes('\n') ? `${name}<<${delimiter}\n${value}\n${delimiter}\n` : `${name}=${value}\n`);
}

/** Where the whole plan goes when even the job summary cannot hold it (the workflow uploads it). */
export const FULL_PLAN_FILE = '.reel/plan.md';

/**
 * `reel plan` in Actions: the whole plan, one row per video, in the job summary (the PR comment
 * groups and caps it, and points here). A plan too large even for the summary is written to
 * FULL_PLAN_FILE, and the summary holds the grouped table and says where the rest is.
 */
export async function reportPlanToGithub(gh: GithubContext, plan: Plan, shard?: { index: number; count: number }): Promise<void> {
  if (!inGithubActions(gh.env)) return;
  const heading = shard ? `<!-- reel plan shard ${shard.index}/${shard.count} -->\n` : '';
  const limit = STEP_SUMMARY_LIMIT - heading.length - 2;
  const full = formatPlanMarkdown(plan, { cwd: gh.cwd, rows: 'full', maxChars: Number.POSITIVE_INFINITY });
  if (full.length <= limit) {
    await appendStepSummary(gh, heading + full);
    return;
  }
  const path = join(gh.cwd, FULL_PLAN_FILE);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, full);
  } catch (error) {
    gh.out.write(workflowCommand('warning', `reel could not write ${FULL_PLAN_FILE}: ${(error as Error).message}`));
  }
  const rest = `\`${FULL_PLAN_FILE}\` (uploaded as the run's \`reel-plan\` artifact)`;
  await appendStepSummary(gh, heading + formatPlanMarkdown(plan, { cwd: gh.cwd, maxChars: limit, rest }));
}

export interface BuildReport extends BuildTotals {
  /** Where each entry is written in the manifests, by id (for annotations on failures). */
  sources: ReadonlyMap<string, SourcePosition>;
  shard?: { index: number; count: number };
}

/**
 * `reel build` in Actions: an error annotation per failed or unknown render, at the entry's
 * manifest position, and a results table with links to the output files in the job summary.
 */
export async function reportBuildToGithub(gh: GithubContext, report: BuildReport): Promise<void> {
  if (!inGithubActions(gh.env)) return;
  gh.out.write(formatBuildAnnotations(report.results, report.sources, gh.cwd));
  await appendStepSummary(gh, formatBuildSummary(report, gh.env));
}

const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const RESULT_ICONS: Record<string, string> = { completed: '✅', updated: '✅', removed: '🗑️', awaiting_review: '⏸️', skipped: '⏭️', unknown: '❓', failed: '❌', cancelled: '⏹️' };

/**
 * The build results as markdown. A file links to `REEL_OUTPUT_URL/<path>` when the workflow
 * publishes `out/` somewhere (a bucket, Pages), else to the run page whose artifacts hold it.
 */
export function formatBuildSummary(report: BuildReport, env: NodeJS.ProcessEnv): string {
  const link = fileLinker(env);
  const rows = [...report.results].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const title = report.shard ? `### reel build (shard ${report.shard.index}/${report.shard.count})` : '### reel build';
  const out = [title, '', summaryLine(report), ''];
  if (rows.length > 0) {
    out.push('| | Video | Action | Result | Time | File |', '|---|---|---|---|---|---|');
    for (const r of rows) out.push(row(r, link));
    const problems = rows.filter((r) => r.message && (r.result === 'failed' || r.result === 'unknown'));
    if (problems.length > 0) {
      out.push('', '**Failures**', '');
      for (const r of problems) out.push(`- \`${r.id}\`: ${cell(`${r.code ? `${r.code}: ` : ''}${r.message ?? ''}`)}`);
    }
    append(out, awaitingReviewMarkdown(rows));
  }
  return `${out.join('\n')}\n`;
}

function row(r: JobResult, link: (file: string) => string): string {
  const file = r.file ? link(r.file) : '';
  return `| ${RESULT_ICONS[r.result] ?? ''} | \`${r.id}\` | ${r.action} | ${r.result.replace('_', ' ')} | ${formatDuration(r.ms)} | ${file} |`;
}

function fileLinker(env: NodeJS.ProcessEnv): (file: string) => string {
  const base = env.REEL_OUTPUT_URL?.trim().replace(/\/+$/, '');
  const run = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}#artifacts` : undefined;
  return (file) => {
    const label = `\`${cell(file)}\``;
    if (base) return `[${label}](${base}/${file.split('/').map(encodeURIComponent).join('/')})`;
    return run ? `[${label}](${run})` : label;
  };
}
