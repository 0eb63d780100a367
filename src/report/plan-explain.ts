import type { Explanation } from '../plan/explain.js';
import { shortFingerprint } from '../plan/fingerprint.js';
import { formatCost, productOf, roundCost } from '../plan/cost.js';
import { type TextChange, formatWordDiff } from '../plan/text.js';
import { displayPath } from '../util/path.js';
import { SYMBOLS, formatSeconds } from './plan-common.js';

const fp = (value: string | undefined): string => (value ? shortFingerprint(value) : '(none)');

/** `reel explain ID` for people. Paths relative to `cwd`. */
export function formatExplainHuman(x: Explanation, options: { cwd: string; all?: boolean }): string {
  const c = x.change;
  const out: string[] = [];
  out.push(`${SYMBOLS[c.action]} ${x.id}: ${c.action}`);
  out.push(`  ${x.reason}`);
  if (c.entry) {
    const where = `${displayPath(c.entry.source.file, options.cwd)}:${c.entry.source.line}:${c.entry.source.col}`;
    const row = c.entry.origin ? ` (row ${c.entry.origin.row} of ${displayPath(c.entry.origin.data, options.cwd)})` : '';
    out.push(`  defined at ${where}${row}`);
  }
  if (c.sharedWith !== undefined) out.push(`  same render as ${c.sharedWith}: HeyGen renders and bills it once`);
  else if (c.billed && c.entry) {
    const product = productOf(c.entry);
    const rate = x.pricing.rates[product];
    const per = product === 'cinematic_avatar' ? 'per video' : '/s';
    const price = x.pricing.unit === 'usd' ? `$${rate}` : `${rate} credits`;
    out.push(`  estimate: ${formatSeconds(c.estimateSeconds)} of video, ~${formatCost(c.estimateCost, x.pricing.unit)} (${product} at ${price}${per})`);
  }
  const { before, after } = x.fingerprint;
  if (before && after && before !== after) out.push(`  fingerprint ${fp(before)} → ${fp(after)}`);
  else out.push(`  fingerprint ${fp(after ?? before)}`);
  if (c.locked) {
    const l = c.locked;
    const ids = [l.video_id && `video ${l.video_id}`, l.session_id && `session ${l.session_id}`].filter(Boolean).join(', ');
    out.push(`  lock: ${l.status}, generation ${l.generation}${ids ? `, ${ids}` : ''}${l.output ? `, ${l.output.path}` : ''}`);
  }

  const shown = x.fields.filter((f) => f.changed || options.all);
  if (shown.length > 0) {
    out.push('', options.all ? '  fields:' : '  changed fields:');
    const width = Math.max(...shown.map((f) => f.name.length));
    const rows = shown.map((f) => ({
      f,
      digests: (f.changed || !f.before ? `${f.before ?? '(absent)'} → ${f.after ?? '(absent)'}` : `${f.before} (same)`) + (f.kind === 'render' ? '' : ` [${f.kind}]`),
    }));
    const digestWidth = Math.max(...rows.map((r) => r.digests.length));
    for (const { f, digests } of rows) {
      const where = f.source ? `${displayPath(f.source.file, options.cwd)}:${f.source.line}:${f.source.col}` : '';
      out.push(`    ${f.changed ? '*' : ' '} ${f.name.padEnd(width)}  ${digests.padEnd(where ? digestWidth : 0)}  ${where}`.trimEnd());
    }
  }
  out.push(...textDiffLines(x.text));
  return `${out.join('\n')}\n`;
}

/** "What changed in words" lines of `reel explain` and `reel show`: `[-old-]{+new+}` per field. */
export function textDiffLines(text: readonly TextChange[] | undefined): string[] {
  if (!text || text.length === 0) return [];
  const out = ['', '  since the last render:'];
  for (const t of text) out.push(`    ${t.field}: ${formatWordDiff(t.parts).replace(/\n/g, '\n      ')}`);
  return out;
}

/** `reel explain ID --json`. Paths relative to `root`. */
export function explainToJson(x: Explanation, root: string): Record<string, unknown> {
  const c = x.change;
  const rel = (file: string): string => displayPath(file, root);
  return {
    version: 1,
    id: x.id,
    action: c.action,
    reason: x.reason,
    render: c.render,
    billed: c.billed,
    estimate_seconds: c.billed ? c.estimateSeconds : 0,
    estimate_cost: roundCost(c.estimateCost),
    cost_unit: x.pricing.unit,
    product: c.entry ? productOf(c.entry) : null,
    shared_with: c.sharedWith ?? null,
    generation: c.generation,
    fingerprint: { before: x.fingerprint.before ?? null, after: x.fingerprint.after ?? null },
    file: c.entry ? rel(c.entry.source.file) : null,
    line: c.entry?.source.line ?? null,
    col: c.entry?.source.col ?? null,
    lock: c.locked ?? null,
    fields: x.fields.map((f) => ({
      name: f.name,
      kind: f.kind,
      changed: f.changed,
      before: f.before ?? null,
      after: f.after ?? null,
      source: f.source ? { file: rel(f.source.file), line: f.source.line, col: f.source.col } : null,
    })),
    text_changes: x.text ?? null,
  };
}
