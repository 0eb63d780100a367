import type { Action, Change, Plan } from '../plan/plan.js';
import { ACTIONS } from '../plan/plan.js';
import { formatCost } from '../plan/cost.js';
import { SYMBOLS, costCell, countsPhrase, detail, draftNeeds, estimateCell, formatSeconds, location, planWarnings, totals } from './plan-common.js';

/** GitHub refuses an issue or pull-request comment longer than this many characters. */
export const COMMENT_LIMIT = 65_536;
/** GitHub keeps at most 1 MiB of job summary per step. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;
/** First line of every `reel plan --markdown`: how a workflow finds its own comment again. */
export const PLAN_MARKER = '<!-- reel plan -->';
/** Ids named in a grouped row; the rest are counted. */
const EXAMPLES = 3;
/** Unchanged ids listed in the folded section; the rest are counted. */
const UNCHANGED_LISTED = 100;

export interface PlanMarkdownOptions {
  cwd: string;
  /**
   * `grouped` (the default, for a PR comment): one row per `each:` template with its counts and a
   * few example ids. `full`: one row per video (for the job summary).
   */
  rows?: 'grouped' | 'full';
  /** Stay under this many characters, dropping rows from the end (default COMMENT_LIMIT). */
  maxChars?: number;
  /** Where the dropped rows can be read, as in "… 12 more, see the job summary". */
  rest?: string;
}

/**
 * Text for a markdown table cell, shown as written: no links, images, HTML, mentions or emphasis
 * from manifest or API text can reach the pull-request comment (characters markdown or HTML would
 * read become entities, line breaks become spaces).
 */
export function cell(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\\`*_[\]<>#!|~@&]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An inline code span (ids, field names, paths): backticks and the table's `|` cannot break out of it. */
const code = (text: string): string =>
  text
    ? `\`${text
        .replace(/`/g, "'")
        .replace(/\|/g, '\\|')
        .replace(/\r\n?|\n/g, ' ')}\``
    : '';
const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** One table row and how many videos it stands for. */
interface Row {
  text: string;
  videos: number;
}

const HEADER = ['| | Video | Action | Changed | Estimate | Cost | Source |', '|---|---|---|---|---|---|---|'];

function videoRow(c: Change, p: Plan, cwd: string): Row {
  const changed = [c.changed.map(code).join(', '), cell(detail(c))].filter(Boolean).join(' — ');
  return {
    text: `| ${code(SYMBOLS[c.action])} | ${code(c.id)} | ${c.action} | ${changed} | ${estimateCell(c)} | ${costCell(c, p)} | ${code(location(c.entry?.source, cwd) ?? 'reel.lock')} |`,
    videos: 1,
  };
}

/** The entries of one `each:` template (same data file, same template key) in one row. */
function groupRow(changes: readonly Change[], p: Plan, cwd: string): Row {
  const byAction = new Map<Action, number>();
  for (const c of changes) byAction.set(c.action, (byAction.get(c.action) ?? 0) + 1);
  const actions = ACTIONS.filter((a) => byAction.has(a));
  const symbols = actions.map((a) => code(SYMBOLS[a])).join(' ');
  const actionText = actions.map((a) => `${count(byAction.get(a) ?? 0)} ${a}`).join(', ');
  const fields = [...new Set(changes.flatMap((c) => c.changed))].sort().map(code).join(', ');
  const seconds = changes.reduce((sum, c) => sum + (c.billed ? c.estimateSeconds : 0), 0);
  const cost = changes.reduce((sum, c) => sum + (c.billed ? c.estimateCost : 0), 0);
  const first = changes[0] as Change;
  const examples = changes
    .slice(0, EXAMPLES)
    .map((c) => code(c.id))
    .join(', ');
  const more = changes.length > EXAMPLES ? ` … ${count(changes.length - EXAMPLES)} more` : '';
  const data = first.entry?.origin ? ` from ${code(first.entry.origin.data)}` : '';
  return {
    text: `| ${symbols} | ${count(changes.length)} videos${data}: ${examples}${more} | ${actionText} | ${fields} | ${seconds > 0 ? formatSeconds(seconds) : ''} | ${seconds > 0 ? `~${formatCost(cost, p.summary.costUnit)}` : ''} | ${code(location(first.entry?.source, cwd) ?? 'reel.lock')} |`,
    videos: changes.length,
  };
}

/** The key of an entry's `each:` template, or undefined for an entry written out by hand. */
function templateOf(c: Change): string | undefined {
  const e = c.entry;
  if (!e?.origin) return undefined;
  return `${e.source.file}:${e.source.line}:${e.source.col}\0${e.origin.data}`;
}

function rowsOf(changes: readonly Change[], p: Plan, cwd: string, grouped: boolean): Row[] {
  if (!grouped) return changes.map((c) => videoRow(c, p, cwd));
  // Rows keep the order of their first change; a template's entries join its row.
  const groups = new Map<string, Change[]>();
  const order: Array<Change | Change[]> = [];
  for (const c of changes) {
    const key = templateOf(c);
    if (key === undefined) {
      order.push(c);
      continue;
    }
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
      order.push(group);
    }
    group.push(c);
  }
  return order.map((item) => (Array.isArray(item) ? (item.length === 1 ? videoRow(item[0] as Change, p, cwd) : groupRow(item, p, cwd)) : videoRow(item, p, cwd)));
}

/** Drafts (ejected entries still missing fields) are listed, never rendered; a long list is cut. */
function draftSection(p: Plan, cwd: string): string[] {
  const drafts = p.drafts ?? [];
  if (drafts.length === 0) return [];
  const listed = drafts.slice(0, UNCHANGED_LISTED).map((d) => `- ${code(d.id)} draft: ${cell(draftNeeds(d.needs))} (${code(location(d.source, cwd) ?? '')}); not rendered`);
  const more = drafts.length > UNCHANGED_LISTED ? [`- … ${count(drafts.length - UNCHANGED_LISTED)} more drafts`] : [];
  return ['', ...listed, ...more];
}

function unchangedSection(unchanged: readonly Change[]): string[] {
  if (unchanged.length === 0) return [];
  const listed = unchanged
    .slice(0, UNCHANGED_LISTED)
    .map((c) => code(c.id))
    .join(', ');
  const more = unchanged.length > UNCHANGED_LISTED ? ` … ${count(unchanged.length - UNCHANGED_LISTED)} more` : '';
  return ['', `<details><summary>${count(unchanged.length)} unchanged</summary>`, '', `${listed}${more}`, '', '</details>'];
}

/**
 * The plan as markdown: a heading with the counts, a table of changes, unchanged folded. Grouped
 * and capped for a pull-request comment by default; `rows: 'full'` lists every video.
 */
export function formatPlanMarkdown(p: Plan, options: PlanMarkdownOptions): string {
  const maxChars = options.maxChars ?? COMMENT_LIMIT;
  if (p.changes.every((c) => c.action === 'unchanged')) {
    return `${[PLAN_MARKER, '### reel plan: no changes', '', `${countsPhrase(p.summary)}.`, ...draftSection(p, options.cwd)].join('\n')}\n`;
  }
  const warnings = planWarnings(p).flatMap((w) => ['> [!WARNING]', `> ${w}`, '']);
  const head = [PLAN_MARKER, `### reel plan: ${countsPhrase(p.summary)}`, '', totals(p), '', ...warnings, ...HEADER];
  const rows = rowsOf(
    p.changes.filter((c) => c.action !== 'unchanged'),
    p,
    options.cwd,
    options.rows !== 'full',
  );
  const tail = [...draftSection(p, options.cwd), ...unchangedSection(p.changes.filter((c) => c.action === 'unchanged'))];

  const size = (lines: readonly string[]): number => lines.reduce((sum, l) => sum + l.length + 1, 0);
  // Room for the "… N more" line, whatever N is.
  const budget = maxChars - size(head) - size(tail) - 200;
  let used = 0;
  let shown = 0;
  while (shown < rows.length && used + (rows[shown] as Row).text.length + 1 <= budget) {
    used += (rows[shown] as Row).text.length + 1;
    shown += 1;
  }
  const out = [...head, ...rows.slice(0, shown).map((r) => r.text)];
  if (shown < rows.length) {
    const hidden = rows.slice(shown).reduce((sum, r) => sum + r.videos, 0);
    out.push('', `… ${count(hidden)} more, see ${options.rest ?? 'the job summary'}.`);
  }
  out.push(...tail);
  return `${out.join('\n')}\n`;
}

/**
 * The markdown of a plan that could not be made (invalid manifests): a comment that replaces the
 * last plan, so a pull request never shows a plan that no longer holds.
 */
export function formatPlanFailureMarkdown(problems: ReadonlyArray<{ where: string; message: string }>, total: number, maxChars = COMMENT_LIMIT): string {
  const out = [
    PLAN_MARKER,
    `### reel plan failed: ${count(total)} ${total === 1 ? 'error' : 'errors'} in the manifests`,
    '',
    'No plan until they are fixed (they are annotated on the files too):',
    '',
  ];
  let used = out.join('\n').length;
  let shown = 0;
  for (const p of problems) {
    const line = `- ${code(p.where)} ${cell(p.message)}`;
    if (used + line.length + 200 > maxChars) break;
    out.push(line);
    used += line.length + 1;
    shown += 1;
  }
  if (shown < problems.length) out.push(`- … ${count(problems.length - shown)} more, see the job log.`);
  return `${out.join('\n')}\n`;
}
