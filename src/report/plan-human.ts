import type { Action, Plan } from '../plan/plan.js';
import { append, maxOf } from '../util/array.js';
import { displayPath } from '../util/path.js';
import { ACTION_COLORS, SYMBOLS, costCell, detail, draftLines, estimateCell, groupedId, isListed, location, planWarnings, totals } from './plan-common.js';
import { oneLine } from './safe-text.js';

export interface HumanPlanOptions {
  /** Directory paths are shown relative to. */
  cwd: string;
  /** List unchanged entries too. */
  verbose?: boolean;
  /** ANSI colours (the caller decides: a TTY without NO_COLOR). */
  color?: boolean;
}

/** The plan for people: one line per change, unchanged entries summarised, a totals line. */
export function formatPlanHuman(p: Plan, options: HumanPlanOptions): string {
  const paint = (action: Action, text: string): string => (options.color ? `\u001b[${ACTION_COLORS[action]}m${text}\u001b[0m` : text);
  const dim = (text: string): string => (options.color ? `\u001b[2m${text}\u001b[0m` : text);

  const listed = p.changes.filter((c) => isListed(c, options.verbose ?? false));
  const rows = listed.map((c) => ({
    change: c,
    id: groupedId(c),
    action: c.action,
    estimate: estimateCell(c),
    cost: costCell(c, p),
    where: location(c.entry?.source, options.cwd) ?? 'reel.lock',
    fields: c.changed.join(', '),
    note: oneLine(detail(c)),
  }));
  const width = (pick: (r: (typeof rows)[number]) => string): number =>
    maxOf(
      rows.map((r) => pick(r).length),
      0,
    );
  const wId = width((r) => r.id);
  const wAction = width((r) => r.action);
  const wEst = width((r) => r.estimate);
  const wCost = width((r) => r.cost);
  const wWhere = width((r) => r.where);

  const lines: string[] = [];
  for (const r of rows) {
    const extra = [r.fields, r.note].filter(Boolean).join('  ');
    const origin = r.change.entry?.origin ? dim(`  (row ${r.change.entry.origin.row} of ${displayPath(r.change.entry.origin.data, options.cwd)})`) : '';
    const line = [
      paint(r.action, `${SYMBOLS[r.action]} ${r.id.padEnd(wId)}  ${r.action.padEnd(wAction)}`),
      wEst ? r.estimate.padEnd(wEst) : '',
      wCost ? r.cost.padEnd(wCost) : '',
      r.where.padEnd(extra ? wWhere : 0),
      extra,
    ]
      .filter((part, i) => i === 0 || part !== '')
      .join('  ');
    lines.push(`  ${line.trimEnd()}${origin}`);
  }
  const hiddenUnchanged = options.verbose ? 0 : p.summary.unchanged;
  if (hiddenUnchanged > 0) {
    lines.push(dim(`  ${SYMBOLS.unchanged} ${hiddenUnchanged} unchanged (--verbose lists them)`));
  }

  const drafts = draftLines(p, options).map((line) => dim(line));
  const out: string[] = [];
  if (p.changes.every((c) => c.action === 'unchanged')) {
    if (options.verbose && lines.length) append(out, lines).push('');
    if (drafts.length) append(out, drafts).push('');
    const n = p.summary.unchanged;
    out.push(n === 0 ? (p.drafts?.length ? 'No videos to render.' : 'No videos to plan.') : `No changes. ${n === 1 ? '1 video is' : `${n} videos are`} up to date.`);
    return `${out.join('\n')}\n`;
  }
  const warnings = planWarnings(p).map((w) => (options.color ? `\u001b[1;31m${w}\u001b[0m` : w));
  out.push('reel plan:', '');
  append(append(out, lines), drafts).push('', ...(warnings.length ? [...warnings, ''] : []), totals(p));
  return `${out.join('\n')}\n`;
}
