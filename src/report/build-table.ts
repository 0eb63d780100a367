import { formatCost } from '../plan/cost.js';
import { nextStep } from '../agent/transcript.js';
import type { JobResult } from '../build/events.js';
import { append, maxOf } from '../util/array.js';
import { formatDuration } from '../build/describe.js';
import type { BuildTotals } from '../build/reporter.js';
import { noCommands, oneLine } from './safe-text.js';

export { formatDuration };

const RESULT_ORDER = ['completed', 'updated', 'removed', 'awaiting_review', 'skipped', 'unknown', 'failed', 'submitted', 'cancelled'];

/** The final table: id, action, result, duration, file — then failures explained, then totals. */
export function formatBuildTable(totals: BuildTotals, color: boolean): string {
  const paint = (code: number, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const rows = [...totals.results].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lines: string[] = [];
  if (rows.length > 0) {
    const cells = rows.map((r) => [r.id, r.action, r.result, formatDuration(r.ms), r.file ?? '']);
    const header = ['ID', 'ACTION', 'RESULT', 'DURATION', 'FILE'];
    const widths = header.map((h, i) =>
      maxOf(
        cells.map((c) => (c[i] ?? '').length),
        h.length,
      ),
    );
    const line = (c: string[]): string =>
      c
        .map((v, i) => v.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    lines.push(line(header));
    for (const [i, c] of cells.entries()) {
      const r = rows[i] as JobResult;
      const text = line(c);
      const bad = r.result === 'failed' || r.result === 'unknown';
      lines.push(bad ? paint(31, text) : r.result === 'cancelled' || r.result === 'submitted' || r.result === 'skipped' ? paint(33, text) : text);
    }
    const problems = rows.filter((r) => r.message && r.result !== 'completed');
    if (problems.length > 0) {
      lines.push('');
      for (const r of problems) {
        lines.push(`${r.id}: ${r.code ? `${r.code}: ` : ''}${oneLine(r.message ?? '')}`);
        if (r.result === 'awaiting_review') lines.push(...reviewLines(r).map((l) => `  ${l}`));
      }
    }
    lines.push('');
  }
  lines.push(summaryLine(totals));
  return `${lines.join('\n')}\n`;
}

/**
 * What a person reviewing an agent entry needs from a build: the agent's storyboard (its latest
 * messages) and what to do next.
 */
export function reviewLines(r: JobResult): string[] {
  const lines: string[] = [];
  if (r.storyboard && r.storyboard.length > 0) {
    lines.push('Storyboard:');
    for (const text of r.storyboard)
      append(
        lines,
        noCommands(text)
          .split('\n')
          .map((l) => `  ${l}`),
      );
  }
  lines.push(`Next: ${nextStep(r.id, 'reviewing')}`);
  return lines;
}

/** A video that needed no render, only its files downloaded again (a fresh runner, a cleaned out/). */
export function isRedownload(r: JobResult): boolean {
  return r.action === 'download' && r.result === 'completed';
}

export function summaryLine(totals: BuildTotals): string {
  const counts = new Map<string, number>();
  let redownloaded = 0;
  for (const r of totals.results) {
    if (isRedownload(r)) redownloaded += 1;
    else counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
  }
  const parts = RESULT_ORDER.filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k.replace('_', ' ')}`);
  if (redownloaded > 0) parts.push(`${redownloaded} re-downloaded`);
  if (totals.unchanged > 0) parts.push(`${totals.unchanged} unchanged`);
  const head = totals.cancelled ? 'Build interrupted' : 'Build finished';
  const cost =
    totals.cost && (totals.cost.estimated > 0 || totals.cost.rendered > 0)
      ? totals.cost.free
        ? `; free on the emulator (on HeyGen: ${formatCost(totals.cost.rendered, totals.cost.unit)} rendered, estimated ~${formatCost(totals.cost.estimated, totals.cost.unit)})`
        : `; cost ${formatCost(totals.cost.rendered, totals.cost.unit)} rendered (estimated ~${formatCost(totals.cost.estimated, totals.cost.unit)})`
      : '';
  return `${head}: ${parts.join(', ') || 'nothing to do'} in ${formatDuration(totals.ms)} (${totals.requests} API requests)${cost}.`;
}
