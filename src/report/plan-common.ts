import { recordedApi } from '../util/api.js';
import type { SourcePosition } from '../errors.js';
import { formatCost } from '../plan/cost.js';
import { displayPath } from '../util/path.js';
import { sourceChanged } from '../plan/l10n.js';
import { ACTIONS, type Action, type Change, type Plan, type Summary, removalGuard, sourceOf, stoppable } from '../plan/plan.js';

/** A locale's id indented under its source, so the plan reads as one group per source video. */
export function groupedId(change: Change): string {
  return sourceOf(change) !== undefined ? `  ${change.id}` : change.id;
}

/** One symbol per action, shared by the human and markdown reports. */
export const SYMBOLS: Record<Action, string> = {
  create: '+',
  update: '~',
  metadata: '*',
  resume: '>',
  failed: '!',
  remove: '-',
  unchanged: '=',
};

/** SGR colour of each action on a terminal. */
export const ACTION_COLORS: Record<Action, number> = {
  create: 32, // green
  update: 33, // yellow
  metadata: 36, // cyan
  resume: 34, // blue
  failed: 31, // red
  remove: 31,
  unchanged: 2, // dim
};

const PHRASES: Record<Action, string> = {
  create: 'to create',
  update: 'to update',
  metadata: 'metadata only',
  resume: 'to resume',
  failed: 'failed',
  remove: 'to remove',
  unchanged: 'unchanged',
};

export function location(position: SourcePosition | undefined, from: string): string | undefined {
  return position ? `${displayPath(position.file, from)}:${position.line}` : undefined;
}

/** "~74 s", or "~2 min 5 s" past two minutes. */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `~${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest ? `~${minutes} min ${rest} s` : `~${minutes} min`;
}

/** A change's seconds: "~74 s" estimated from the words, "74 s (measured)" from its text-to-speech preview. */
export function changeSeconds(change: Change): string {
  return change.measured ? `${formatSeconds(change.estimateSeconds).slice(1)} (measured)` : formatSeconds(change.estimateSeconds);
}

/** "3 to create, 1 to update, 5 unchanged" — only the actions that occur. */
export function countsPhrase(summary: Summary): string {
  const parts = ACTIONS.filter((a) => summary[a] > 0).map((a) => `${summary[a]} ${PHRASES[a]}`);
  return parts.length ? parts.join(', ') : 'no videos';
}

/** What a build does with the change beyond its action, in a few words (or ''). */
export function detail(change: Change): string {
  if (change.sharedWith !== undefined) return `(same render as ${change.sharedWith}: rendered and billed once)`;
  const base = actionDetail(change);
  const locale = sourceChanged(change) ? '(source changed)' : '';
  return base && locale ? `${base} ${locale}` : base || locale;
}

function actionDetail(change: Change): string {
  switch (change.action) {
    case 'failed': {
      const failure = change.locked?.failure;
      const why = failure ? `${failure.code}: ${failure.message}` : 'failed earlier';
      return change.render ? `${why} (rendering again)` : `${why} (--retry-failed renders it again)`;
    }
    case 'create':
      return change.locked && change.changed.includes('api') ? `(reel.lock holds a render made by ${recordedApi(change.locked.api)}, which this API cannot use)` : '';
    case 'resume':
      if (change.continueSession) return '(sends the new messages into the session, which renders)';
      if (change.billed) return '(the session still has messages to send, which renders)';
      return change.locked?.status === 'awaiting_review' ? `(awaiting review, nothing is sent: \`reel review ${change.id}\`, then add a revision or \`approved: true\`)` : '';
    case 'update':
      if (change.newSession) return `(new agent session: ${change.newSession}${stoppable(change) ? '; the old one is stopped' : ''})`;
      if (change.continueSession && change.changed.length === 0) return '(the agent rendered before hearing the committed revisions: sends them into the session, which renders)';
      return change.continueSession ? '(continues the agent session)' : '';
    default:
      return '';
  }
}

export function isListed(change: Change, verbose: boolean): boolean {
  return verbose || change.action !== 'unchanged';
}

/** The seconds a change renders, as a column: '' when it bills nothing (shared renders say whose). */
export function estimateCell(change: Change): string {
  if (change.sharedWith !== undefined) return `= ${change.sharedWith}`;
  return change.billed ? changeSeconds(change) : '';
}

/** The estimated cost of a change, as a column: '' when it bills nothing. */
export function costCell(change: Change, p: Plan): string {
  if (!change.billed) return '';
  return `~${formatCost(change.estimateCost, p.summary.costUnit)}`;
}

/** "about $1.20" for a summary. */
export function totalCost(summary: Summary): string {
  return `~${formatCost(summary.estimateCost, summary.costUnit)}`;
}

/** "needs `avatar`, `script`", or what is left to do when a draft lacks nothing. */
export function draftNeeds(needs: readonly string[]): string {
  return needs.length > 0 ? `needs ${needs.join(', ')}` : 'complete: remove `draft: true` to render it';
}

/**
 * Lines for drafts (`? id  draft: needs …  file:line`: never rendered) and, with `verbose`, lock
 * records kept after `reel eject --replace`.
 */
export function draftLines(p: Plan, options: { cwd: string; verbose?: boolean }): string[] {
  const lines: string[] = [];
  const drafts = p.drafts ?? [];
  const width = Math.max(0, ...drafts.map((d) => d.id.length));
  for (const d of drafts) {
    lines.push(`  ? ${d.id.padEnd(width)}  draft: ${draftNeeds(d.needs)}  ${location(d.source, options.cwd) ?? ''}`.trimEnd());
  }
  if (options.verbose) {
    for (const r of p.retained ?? []) lines.push(`  = ${r.id}  kept  reel.lock  (replaced by ${r.ejectedTo} with \`reel eject --replace\`; its video and files stay)`);
  }
  return lines;
}

/** The totals sentence every report ends with. */
export function totals(p: Plan): string {
  const s = p.summary;
  const counts = countsPhrase(s);
  if (s.renders === 0) return `${counts}; nothing to render.`;
  const videos = s.renders === 1 ? '1 video' : `${s.renders} videos`;
  const measured = s.measured > 0 ? `; ${s.measured === s.renders ? 'all' : s.measured} measured by text to speech, ${s.measured === s.renders ? 'none' : 'the rest'} estimated` : '';
  return `${counts}; ${formatSeconds(s.estimateSeconds)} of video to render (${videos}${measured}), estimated ${totalCost(s)}.`;
}

/** Loud warnings a plan must show before its totals (mass removals). */
export function planWarnings(p: Plan): string[] {
  const removals = removalGuard(p);
  if (!removals) return [];
  return [
    `WARNING: ${removals}. \`reel build\` refuses this without --allow-removals. ` +
      'If manifests were moved or renamed, fix `manifests` in reel.config.yaml instead: removed entries are rendered (and paid for) again when they come back.',
  ];
}
