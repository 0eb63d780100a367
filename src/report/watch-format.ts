/** Text pieces shared by the watch screen (TTY) and the plain watch lines. */
import { displayPath } from '../util/path.js';
import type { Diagnostic } from '../manifest/types.js';
import { type PriceUnit, formatCost } from '../plan/cost.js';
import type { Action, Change } from '../plan/index.js';
import type { DeltaItem, WatchSnapshot } from '../watch/engine.js';
import { SYMBOLS } from './plan-common.js';
import { oneLine } from './safe-text.js';

/** One character per action, as in `reel plan`. */
/** The plan's symbols, so watch and plan speak alike. */
export const ACTION_SYMBOLS = SYMBOLS;

const SUMMARY_WORDS: Array<[Action, string]> = [
  ['create', 'to create'],
  ['update', 'to update'],
  ['metadata', 'metadata only'],
  ['resume', 'to resume'],
  ['failed', 'failed'],
  ['remove', 'to remove'],
];

/** `HH:MM:SS` in local time. */
export function clock(at: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** `update (script, voice_id) ~12 s` */
export function describeChange(change: Change, costUnit: PriceUnit = 'usd'): string {
  let text = change.action;
  if (change.changed.length > 0 && change.action !== 'create') text += ` (${change.changed.join(', ')})`;
  if (change.sharedWith !== undefined) text += ` (same render as ${change.sharedWith})`;
  else if (change.billed) text += ` ~${change.estimateSeconds} s ~${formatCost(change.estimateCost, costUnit)}`;
  return text;
}

/** Where an entry lives, `videos/a.yaml:12`, when it has a source. */
export function changeLocation(change: Change, cwd: string): string | undefined {
  const source = change.entry?.source;
  return source ? `${displayPath(source.file, cwd)}:${source.line}` : undefined;
}

/** One delta item: `~ welcome update (script) ~12 s`, or `x welcome no longer planned (was create)`. */
export function describeDelta(item: DeltaItem, costUnit: PriceUnit = 'usd'): string {
  const now = item.after;
  if (!now) return `x ${item.id} no longer in any manifest (was ${item.before?.action ?? 'planned'})`;
  let text = `${ACTION_SYMBOLS[now.action]} ${item.id} ${describeChange(now, costUnit)}`;
  if (item.before && item.before.action !== now.action) text += ` (was ${item.before.action})`;
  return text;
}

/** `path:line:col  id  message` with the path relative to the working directory. */
export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const where = `${displayPath(d.file, cwd)}:${d.line}:${d.col}`;
  const severity = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}  ${d.id ?? '-'}  ${severity}${oneLine(d.message)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `1 to create, 2 to update, ~34 s of video` or `no changes`. */
export function planTotals(snapshot: WatchSnapshot): string {
  const { counts, estimateSeconds, estimateCost, costUnit } = snapshot.totals;
  const parts = SUMMARY_WORDS.filter(([action]) => counts[action] > 0).map(([action, words]) => `${counts[action]} ${words}`);
  if (parts.length === 0) return 'no changes';
  if (estimateSeconds > 0) parts.push(`~${estimateSeconds} s of video, ~${formatCost(estimateCost, costUnit)}`);
  return parts.join(', ');
}

/** `3 files, 12 videos` plus errors, if any. */
export function projectTotals(snapshot: WatchSnapshot): string {
  let text = `${plural(snapshot.files, 'file')}, ${plural(snapshot.videos, 'video')}`;
  const errors = snapshot.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) text += `, ${plural(errors, 'error')}`;
  return text;
}
