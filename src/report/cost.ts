import type { Spend, SpendGroup } from '../cost/spend.js';
import { formatCost, roundCost } from '../plan/cost.js';
import { maxOf } from '../util/array.js';
import { displayPath } from '../util/path.js';

/** "42 s", "3 min 5 s", "2 h 4 min": rendered seconds, rounded. */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

interface Section {
  title: string;
  groups: SpendGroup[];
  label: (key: string) => string;
}

function sections(spend: Spend, cwd: string): Section[] {
  return [
    { title: 'By file', groups: spend.byFile, label: (k) => (k ? displayPath(k, cwd) : '(no longer in a manifest)') },
    { title: 'By month', groups: spend.byMonth, label: (k) => k },
    { title: 'By mode', groups: spend.byMode, label: (k) => k },
  ];
}

function headline(spend: Spend): string {
  const t = spend.total;
  return `${plural(t.renders, 'render')}, ${duration(t.seconds)} of video, ${formatCost(t.cost, spend.unit)}`;
}

function estimatedNote(spend: Spend): string | undefined {
  const estimated = spend.renders.filter((r) => !r.recorded).length;
  if (estimated === 0) return undefined;
  return `${plural(estimated, 'render')} without a recorded cost: estimated from ${estimated === 1 ? 'its' : 'their'} duration and the price table (docs/cost.md).`;
}

/** `reel cost` for people. */
export function formatCostHuman(spend: Spend, cwd: string): string {
  if (spend.total.renders === 0) return 'reel cost: reel.lock records no completed render yet.\n';
  const out = [`reel cost: ${headline(spend)} (renders recorded in reel.lock)`];
  for (const section of sections(spend, cwd)) {
    const rows = section.groups.map((g) => [section.label(g.key), String(g.renders), duration(g.seconds), formatCost(g.cost, spend.unit)]);
    const widths = [0, 1, 2, 3].map((i) =>
      maxOf(
        rows.map((r) => r[i]!.length),
        0,
      ),
    );
    out.push('', `${section.title}:`);
    for (const r of rows) out.push(`  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${r[3]!.padStart(widths[3]!)}`);
  }
  const note = estimatedNote(spend);
  if (note) out.push('', note);
  return `${out.join('\n')}\n`;
}

/** `reel cost --markdown`: tables for a pull request or a job summary. */
export function formatCostMarkdown(spend: Spend, cwd: string): string {
  const out = [`### reel cost: ${spend.total.renders === 0 ? 'no completed render yet' : headline(spend)}`];
  if (spend.total.renders > 0) {
    for (const section of sections(spend, cwd)) {
      const head = section.title.replace('By ', '');
      out.push('', `| ${head[0]!.toUpperCase()}${head.slice(1)} | Renders | Video | Cost |`, '|---|---:|---:|---:|');
      for (const g of section.groups) out.push(`| ${section.label(g.key).replace(/\|/g, '\\|')} | ${g.renders} | ${duration(g.seconds)} | ${formatCost(g.cost, spend.unit)} |`);
    }
    const note = estimatedNote(spend);
    if (note) out.push('', `_${note}_`);
  }
  return `${out.join('\n')}\n`;
}

const groupJson = (g: SpendGroup, key: string, label: string): Record<string, unknown> => ({
  [key]: label,
  renders: g.renders,
  seconds: Math.round(g.seconds * 10) / 10,
  cost: roundCost(g.cost),
});

/** `reel cost --json`. Paths relative to `root`. */
export function formatCostJson(spend: Spend, root: string): string {
  const doc = {
    version: 1,
    unit: spend.unit,
    total: { renders: spend.total.renders, seconds: Math.round(spend.total.seconds * 10) / 10, cost: roundCost(spend.total.cost) },
    by_file: spend.byFile.map((g) => groupJson(g, 'file', g.key ? displayPath(g.key, root) : '')),
    by_month: spend.byMonth.map((g) => groupJson(g, 'month', g.key)),
    by_mode: spend.byMode.map((g) => groupJson(g, 'mode', g.key)),
    videos: spend.renders.map((r) => ({
      id: r.id,
      file: r.file ? displayPath(r.file, root) : null,
      month: r.month,
      mode: r.mode,
      product: r.product,
      seconds: r.seconds,
      cost: roundCost(r.cost),
      recorded: r.recorded,
      shared_by: r.sharedBy,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
