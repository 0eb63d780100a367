import type { Plan } from '../plan/plan.js';
import { SYMBOLS, countsPhrase, changeSeconds, detail, location, totals } from './plan-common.js';

/**
 * Text for a markdown table cell, shown as written: no links, images, HTML, mentions or emphasis
 * from manifest or API text can reach the pull-request comment (characters markdown or HTML would
 * read become entities, line breaks become spaces).
 */
export function cell(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\\`*_[\]<>#!|~@&]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An inline code span (ids, field names, paths): backticks and the table's `|` cannot break out of it. */
const code = (text: string): string => (text ? `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r\n?|\n/g, ' ')}\`` : '');

/** The plan as a pull-request comment: a heading with the counts, a table of changes, unchanged folded. */
export function formatPlanMarkdown(p: Plan, options: { cwd: string }): string {
  const out: string[] = [];
  if (p.changes.every((c) => c.action === 'unchanged')) {
    out.push(`### reel plan: no changes`, '', `${countsPhrase(p.summary)}.`);
    return `${out.join('\n')}\n`;
  }
  out.push(`### reel plan: ${countsPhrase(p.summary)}`, '', totals(p), '');
  out.push('| | Video | Action | Changed | Estimate | Source |', '|---|---|---|---|---|---|');
  for (const c of p.changes) {
    if (c.action === 'unchanged') continue;
    const changed = [c.changed.map(code).join(', '), cell(detail(c))].filter(Boolean).join(' — ');
    out.push(
      `| ${code(SYMBOLS[c.action])} | ${code(c.id)} | ${c.action} | ${changed} | ${c.render ? changeSeconds(c) : ''} | ${code(location(c.entry?.source, options.cwd) ?? 'reel.lock')} |`,
    );
  }
  const unchanged = p.changes.filter((c) => c.action === 'unchanged');
  if (unchanged.length > 0) {
    out.push('', `<details><summary>${unchanged.length} unchanged</summary>`, '', unchanged.map((c) => code(c.id)).join(', '), '', '</details>');
  }
  return `${out.join('\n')}\n`;
}
