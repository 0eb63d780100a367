/**
 * What the studio page shows, as JSON: the overview (every entry with its action, seconds, cost
 * and problems) and one entry's page (the exact request, names from the catalog cache, the text diff,
 * the lock record and outputs). Pure: built from the watch engine's state.
 */
import { relativePath } from '../util/path.js';
import type { AvatarLook, VoiceInfo } from '../heygen/types.js';
import type { LockEntry } from '../lock/types.js';
import type { Diagnostic, Mode } from '../manifest/types.js';
import { explain } from '../plan/explain.js';
import type { Confirmation } from './confirm.js';
import type { PriceUnit } from '../plan/cost.js';
import type { Action, Change, Plan } from '../plan/plan.js';
import { speechKey, speechRequest } from '../plan/speech.js';
import { type TextChange, readableRequest, textChanges } from '../plan/text.js';

/** Paths the page shows: relative to the project root, with forward slashes. */
export function rel(root: string, file: string): string {
  return relativePath(root, file);
}

export interface OverviewEntry {
  id: string;
  action: Action;
  mode: Mode | null;
  render: boolean;
  /** HeyGen renders and bills it: its seconds and cost count in the totals. */
  billed: boolean;
  seconds: number;
  measured: boolean;
  /** Estimated cost in the overview's `totals.costUnit` (0 unless billed). */
  cost: number;
  /** Another id whose render this one receives, billed once (`reel plan`'s "same render as"). */
  sharedWith?: string;
  changed: string[];
  /** Where the entry is written (null for `remove`). */
  file: string | null;
  line: number | null;
  col: number | null;
  /** For entries from an `each:` template: `file:line` of the template key, and the data row. */
  template?: string;
  row?: number;
  status: string | null;
  title: string | null;
  /** Agent entries paused at a storyboard, waiting for a person. */
  review: boolean;
}

export interface Problem {
  file: string;
  line: number;
  col: number;
  id?: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface Overview {
  version: number;
  project: string;
  api: string;
  build: { allowed: boolean; running: boolean };
  listen: { available: boolean; reason?: string };
  totals: { counts: Record<Action, number>; renders: number; seconds: number; measured: number; cost: number; costUnit: PriceUnit };
  /** What the Build button asks the person to confirm, and what the server checks it against. */
  confirm: Confirmation;
  problems: Problem[];
  staleFiles: string[];
  entries: OverviewEntry[];
}

export function problemsOf(root: string, diagnostics: readonly Diagnostic[]): Problem[] {
  return diagnostics.map((d) => ({
    file: rel(root, d.file),
    line: d.line,
    col: d.col,
    ...(d.id ? { id: d.id } : {}),
    severity: d.severity,
    message: d.message,
  }));
}

export function overviewEntry(root: string, c: Change): OverviewEntry {
  const e = c.entry;
  const out: OverviewEntry = {
    id: c.id,
    action: c.action,
    mode: e?.mode ?? c.locked?.mode ?? null,
    render: c.render,
    billed: c.billed,
    seconds: c.estimateSeconds,
    measured: c.measured === true,
    cost: c.estimateCost,
    changed: c.changed,
    file: e ? rel(root, e.source.file) : null,
    line: e?.source.line ?? null,
    col: e?.source.col ?? null,
    status: c.locked?.status ?? null,
    title: e?.title ?? null,
    review: c.locked?.status === 'awaiting_review',
  };
  if (e?.origin) {
    out.template = `${rel(root, e.source.file)}:${e.source.line}`;
    out.row = e.origin.row;
  }
  if (c.sharedWith !== undefined) out.sharedWith = c.sharedWith;
  return out;
}

export interface CatalogNames {
  avatars: Map<string, AvatarLook>;
  voices: Map<string, VoiceInfo>;
}

export interface EntryOutputs {
  video: boolean;
  thumbnail: boolean;
  captions: boolean;
}

export interface EntryView {
  id: string;
  action: Action;
  reason: string;
  mode: Mode | null;
  file: string | null;
  line: number | null;
  col: number | null;
  row?: number;
  render: boolean;
  billed: boolean;
  seconds: number;
  measured: boolean;
  /** Estimated cost of what it bills, in `costUnit`. */
  cost: number;
  costUnit: PriceUnit;
  sharedWith?: string;
  /** The exact body reel sends, local files shown by their project path. */
  request: Record<string, unknown> | null;
  endpoint: string | null;
  avatar?: { id: string; name?: string; preview_image_url?: string | null; type?: string };
  voice?: { id: string; name?: string; language?: string; gender?: string; preview_audio_url?: string | null };
  /** Changed fields with what changed in words; null when the lock has no text to compare with. */
  diff: TextChange[] | null;
  changed: string[];
  lock: LockEntry | null;
  outputs: EntryOutputs;
  speech: { key?: string; reason?: string; duration?: number };
  agent?: { review: boolean; revisions: string[]; approved: boolean; session: boolean };
}

export function entryView(root: string, change: Change, options: { catalog: CatalogNames; outputs: EntryOutputs; costUnit: PriceUnit; speechDuration?: number }): EntryView {
  const entry = change.entry;
  const x = explain(change.id, entry ? [entry] : [], { lockfileVersion: 1, videos: change.locked ? { [change.id]: change.locked } : {}, assets: {} });
  const view: EntryView = {
    id: change.id,
    action: change.action,
    reason: x?.reason ?? '',
    mode: entry?.mode ?? change.locked?.mode ?? null,
    file: entry ? rel(root, entry.source.file) : null,
    line: entry?.source.line ?? null,
    col: entry?.source.col ?? null,
    render: change.render,
    billed: change.billed,
    seconds: change.estimateSeconds,
    measured: change.measured === true,
    cost: change.estimateCost,
    costUnit: options.costUnit,
    request: entry ? readableRequest(entry) : null,
    endpoint: entry ? (entry.mode === 'agent' ? 'POST /v3/video-agents' : entry.mode === 'translate' ? 'POST /v3/video-translations' : 'POST /v3/videos') : null,
    diff: textChanges(entry, change.locked) ?? null,
    changed: change.changed,
    lock: change.locked ?? null,
    outputs: options.outputs,
    speech: {},
  };
  if (entry?.origin) view.row = entry.origin.row;
  if (change.sharedWith !== undefined) view.sharedWith = change.sharedWith;
  const avatarId = entry?.request.avatar_id;
  if (typeof avatarId === 'string') {
    const look = options.catalog.avatars.get(avatarId);
    view.avatar = { id: avatarId, ...(look ? { name: look.name, preview_image_url: look.preview_image_url ?? null, type: look.avatar_type } : {}) };
  }
  const voiceId = entry?.request.voice_id;
  if (typeof voiceId === 'string') {
    const voice = options.catalog.voices.get(voiceId);
    view.voice = {
      id: voiceId,
      ...(voice ? { name: voice.name, language: voice.language, gender: voice.gender, preview_audio_url: voice.preview_audio_url ?? null } : {}),
    };
  }
  if (entry) {
    const s = speechRequest(entry);
    if ('request' in s) {
      view.speech.key = speechKey(s.request);
      if (options.speechDuration !== undefined) view.speech.duration = options.speechDuration;
    } else {
      view.speech.reason = s.reason;
    }
  }
  if (entry?.agent) {
    view.agent = { ...entry.agent, session: Boolean(change.locked?.session_id) };
  }
  return view;
}

/** The overview's totals from the changes shown. */
export function totalsOf(p: Plan): Overview['totals'] {
  const { estimateSeconds, renders, measured, estimateCost, costUnit, ...counts } = p.summary;
  return { counts, renders, seconds: estimateSeconds, measured, cost: estimateCost, costUnit };
}
