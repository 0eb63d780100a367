import type { ShardShare } from '../plan/budget.js';
import type { Change, Plan, Summary } from '../plan/plan.js';
import { roundCost } from '../plan/cost.js';
import { displayPath } from '../util/path.js';
import { planWarnings } from './plan-common.js';

/** Version of the `reel plan --json` document; bumped on incompatible changes. */
export const PLAN_JSON_VERSION = 1;

export interface PlanJsonChange {
  id: string;
  action: Change['action'];
  fingerprint: string | null;
  /** Manifest file relative to the project root (null for `remove`). */
  file: string | null;
  line: number | null;
  changed: string[];
  estimate_seconds: number;
  /** `estimate_seconds` is the exact length of the script's text-to-speech preview. */
  measured?: boolean;
  /** The build submits a new render for this change. */
  render: boolean;
  /** Applying it makes HeyGen render and bill a video (renders, approvals, revisions, resumed sessions that still send). */
  billed: boolean;
  /** Estimated cost in `summary.cost_unit` (0 unless billed). */
  estimate_cost: number;
  /** The id whose render this change shares (same request, same Idempotency-Key). */
  shared_with?: string;
  generation: number;
  /** Lock state before the build, when there is one. */
  previous?: { fingerprint: string; status: string; video_id?: string; session_id?: string };
  continue_session?: boolean;
  /** Agent entries: why a new session replaces the locked one. */
  new_session?: string;
  origin?: { data: string; row: number };
  failure?: { code: string; message: string };
}

export interface PlanJson {
  version: number;
  changes: PlanJsonChange[];
  /** `draft: true` entries: never rendered; `needs` names the fields still missing. */
  drafts?: Array<{ id: string; file: string; line: number; needs: string[] }>;
  /** Lock records kept after `reel eject --replace` (never removed). */
  retained?: Array<{ id: string; ejected_to: string }>;
  summary: Omit<Summary, 'estimateSeconds' | 'estimateCost' | 'costUnit'> & { estimate_seconds: number; estimate_cost: number; cost_unit: string };
  /** Loud warnings (mass removals), when there are any. */
  warnings?: string[];
  /** `reel plan --shares N`: each shard's renders and seconds, as in the `matrix` step output. */
  shares?: ShardShare[];
}

function toJson(c: Change, root: string): PlanJsonChange {
  const out: PlanJsonChange = {
    id: c.id,
    action: c.action,
    fingerprint: c.fingerprint ?? null,
    file: c.entry ? displayPath(c.entry.source.file, root) : null,
    line: c.entry ? c.entry.source.line : null,
    changed: c.changed,
    estimate_seconds: c.estimateSeconds,
    render: c.render,
    billed: c.billed,
    estimate_cost: roundCost(c.estimateCost),
    generation: c.generation,
  };
  if (c.sharedWith !== undefined) out.shared_with = c.sharedWith;
  if (c.measured) out.measured = true;
  if (c.locked) {
    out.previous = { fingerprint: c.locked.fingerprint, status: c.locked.status };
    if (c.locked.video_id) out.previous.video_id = c.locked.video_id;
    if (c.locked.session_id) out.previous.session_id = c.locked.session_id;
    if (c.locked.failure && c.action === 'failed') out.failure = c.locked.failure;
  }
  if (c.continueSession) out.continue_session = true;
  if (c.newSession) out.new_session = c.newSession;
  if (c.entry?.origin) out.origin = { data: displayPath(c.entry.origin.data, root), row: c.entry.origin.row };
  return out;
}

/** The plan as one JSON document: every entry, unchanged ones included. Paths relative to `root`. */
export function planToJson(p: Plan, root: string): PlanJson {
  const { estimateSeconds, estimateCost, costUnit, ...counts } = p.summary;
  const out: PlanJson = {
    version: PLAN_JSON_VERSION,
    changes: p.changes.map((c) => toJson(c, root)),
    summary: { ...counts, estimate_seconds: estimateSeconds, estimate_cost: roundCost(estimateCost), cost_unit: costUnit },
  };
  const warnings = planWarnings(p);
  if (warnings.length > 0) out.warnings = warnings;
  if (p.drafts) out.drafts = p.drafts.map((d) => ({ id: d.id, file: displayPath(d.source.file, root), line: d.source.line, needs: d.needs }));
  if (p.retained) out.retained = p.retained.map((r) => ({ id: r.id, ejected_to: r.ejectedTo }));
  return out;
}

/** `pretty` indents for people (a TTY); pipes get compact JSON, a fraction of the bytes for big plans. */
export function formatPlanJson(p: Plan, root: string, options: { pretty?: boolean; shares?: ShardShare[] } = {}): string {
  const doc = planToJson(p, root);
  if (options.shares) doc.shares = options.shares;
  return `${JSON.stringify(doc, null, options.pretty ? 2 : undefined)}\n`;
}
