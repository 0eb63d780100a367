import type { Plan } from '../plan/plan.js';
import { SYMBOLS, costCell, countsPhrase, detail, estimateCell, location, planWarnings, totals } from './plan-common.js';

/** Escape text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const code = (text: string): string => (text ? `\`${text.replace(/`/g, "'")}\`` : '');

/** The plan as a pull-request comment: a heading with the counts, a table of changes, unchanged folded. */
export function formatPlanMarkdown(p: Plan, options: { cwd: string }): string {
  const out: string[] = [];
  if (p.changes.every((c) => c.action === 'unchanged')) {
    out.push(`### reel plan: no changes`, '', `${countsPhrase(p.summary)}.`);
    return `${out.join('\n')}\n`;
  }
  out.push(`### reel plan: ${countsPhrase(p.summary)}`, '', totals(p), '');
  for (const warning of planWarnings(p)) out.push(`> [!WARNING]`, `> ${warning}`, '');
  out.push('| | Video | Action | Changed | Estimate | Cost | Source |', '|---|---|---|---|---|---|---|');
  for (const c of p.changes) {
    if (c.action === 'unchanged') continue;
    const changed = [c.changed.map(code).join(', '), cell(detail(c))].filter(Boolean).join(' — ');
    out.push(
      `| ${code(SYMBOLS[c.action])} | ${code(c.id)} | ${c.action} | ${changed} | ${cell(estimateCell(c))} | ${costCell(c, p)} | ${code(location(c.entry?.source, options.cwd) ?? 'reel.lock')} |`,
    );
  }
  const unchanged = p.changes.filter((c) => c.action === 'unchanged');
  if (unchanged.length > 0) {
    out.push('', `<details><summary>${unchanged.length} unchanged</summary>`, '', unchanged.map((c) => code(c.id)).join(', '), '', '</details>');
  }
  return `${out.join('\n')}\n`;
}
