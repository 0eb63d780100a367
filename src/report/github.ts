import { appendFile } from 'node:fs/promises';
import type { JobResult } from '../build/events.js';
import type { SourcePosition } from '../errors.js';
import type { Diagnostic } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import { awaitingReviewMarkdown, formatBuildAnnotations } from './build-github.js';
import type { BuildTotals } from '../build/reporter.js';
import { formatDuration, summaryLine } from './build-table.js';
import { formatGithubAnnotations } from './diagnostics.js';
import { formatPlanMarkdown } from './plan-markdown.js';
import { inGithubActions } from '../util/terminal.js';
import { workflowCommand } from './workflow-command.js';

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

/** `reel plan` in Actions: the plan table (as the PR comment shows it) in the job summary. */
export async function reportPlanToGithub(gh: GithubContext, plan: Plan, shard?: { index: number; count: number }): Promise<void> {
  if (!inGithubActions(gh.env)) return;
  const heading = shard ? `<!-- reel plan shard ${shard.index}/${shard.count} -->\n` : '';
  await appendStepSummary(gh, heading + formatPlanMarkdown(plan, { cwd: gh.cwd }));
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
    out.push(...awaitingReviewMarkdown(rows));
  }
  return `${out.join('\n')}\n`;
}

function row(r: JobResult, link: (file: string) => string): string {
  const file = r.file ? link(r.file) : '';
  return `| ${RESULT_ICONS[r.result] ?? ''} | \`${r.id}\` | ${r.action} | ${r.result.replace('_', ' ')} | ${formatDuration(r.ms)} | ${file} |`;
}

function fileLinker(env: NodeJS.ProcessEnv): (file: string) => string {
  const base = env.REEL_OUTPUT_URL?.trim().replace(/\/+$/, '');
  const run =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}#artifacts`
      : undefined;
  return (file) => {
    const label = `\`${cell(file)}\``;
    if (base) return `[${label}](${base}/${file.split('/').map(encodeURIComponent).join('/')})`;
    return run ? `[${label}](${run})` : label;
  };
}
