import { diffWords } from 'diff';
import type { LockEntry } from '../lock/types.js';
import type { ResolvedEntry } from '../manifest/types.js';

/**
 * Request fields people write as prose. Their text at submission is kept in the lock (`text`), so a
 * later plan can show what changed in words rather than as digests.
 */
export const TEXT_FIELDS = ['script', 'prompt', 'motion_prompt', 'title'] as const;

/** The entry's prose fields as they are now (only those set). */
export function textFields(entry: ResolvedEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TEXT_FIELDS) {
    const value = name === 'title' ? entry.title : entry.request[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export interface TextPart {
  op: 'same' | 'add' | 'del';
  text: string;
}

export interface TextChange {
  field: string;
  before?: string;
  after?: string;
  /** Word-level diff of before → after. */
  parts: TextPart[];
}

/** A word-level diff (whitespace kept with the words), as `same` / `del` / `add` runs. */
export function wordDiff(before: string, after: string): TextPart[] {
  return diffWords(before, after).map((c) => ({ op: c.added ? 'add' : c.removed ? 'del' : 'same', text: c.value }));
}

/**
 * What changed in the prose of an entry since its last render. `undefined` when the lock has no
 * text to compare with (no render yet, or a lock written before reel kept it); else one item per
 * field whose text differs.
 */
export function textChanges(entry: ResolvedEntry | undefined, locked: LockEntry | undefined): TextChange[] | undefined {
  if (!locked?.text) return undefined;
  const before = locked.text;
  const after = entry ? textFields(entry) : {};
  const out: TextChange[] = [];
  for (const field of TEXT_FIELDS) {
    const a = before[field];
    const b = after[field];
    if (a === b) continue;
    const change: TextChange = { field, parts: wordDiff(a ?? '', b ?? '') };
    if (a !== undefined) change.before = a;
    if (b !== undefined) change.after = b;
    out.push(change);
  }
  return out;
}

/** `[-old-]{+new+}` markup of a diff for terminals (as `git diff --word-diff=plain`). */
export function formatWordDiff(parts: readonly TextPart[]): string {
  return parts.map((p) => (p.op === 'same' ? p.text : p.op === 'del' ? `[-${p.text}-]` : `{+${p.text}+}`)).join('');
}

/** The request with asset placeholders shown as the project paths they stand for (`file:assets/bg.png`). */
export function readableRequest(entry: ResolvedEntry): Record<string, unknown> {
  let text = JSON.stringify(entry.request);
  for (const asset of entry.assets) text = text.split(asset.placeholder).join(`file:${asset.relPath}`);
  return JSON.parse(text) as Record<string, unknown>;
}
