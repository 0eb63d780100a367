import { appendFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { JobResult } from '../build/events.js';
import type { SourcePosition } from '../errors.js';
import { type BuildTotals, formatDuration, summaryLine } from './build-table.js';

/** Workflow commands must not contain raw newlines, `%`, `\r`. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * `::error` annotations for failed and unconfirmed renders, pointing at the manifest entry, so a
 * GitHub Actions run shows them on the pull request's files.
 */
export function formatBuildAnnotations(results: readonly JobResult[], sources: ReadonlyMap<string, SourcePosition>, cwd: string): string {
  let out = '';
  for (const r of results) {
    if (r.result !== 'failed' && r.result !== 'unknown') continue;
    const source = sources.get(r.id);
    const where = source ? `file=${escapeProperty(relative(cwd, source.file).split(sep).join('/'))},line=${source.line},col=${source.col},` : '';
    out += `::error ${where}title=${escapeProperty(`reel build: ${r.id}`)}::${escapeData(`${r.code ? `${r.code}: ` : ''}${r.message ?? r.result}`)}\n`;
  }
  return out;
}

/** The final table as markdown for `$GITHUB_STEP_SUMMARY`. */
export function formatBuildSummaryMarkdown(totals: BuildTotals): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = [...totals.results].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lines = ['## reel build', '', summaryLine(totals), ''];
  if (rows.length > 0) {
    lines.push('| id | action | result | duration | file |', '|---|---|---|---|---|');
    for (const r of rows) lines.push(`| ${cell(r.id)} | ${r.action} | ${r.result} | ${formatDuration(r.ms)} | ${cell(r.file ?? '')} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

export async function appendStepSummary(path: string, markdown: string): Promise<void> {
  await appendFile(path, markdown);
}
