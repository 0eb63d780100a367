import { distance } from '../manifest/suggest.js';
import type { Diagnostic, ResolvedEntry } from '../manifest/types.js';
import type { CatalogKind, CatalogSource } from './catalog.js';
import { itemId } from './catalog.js';

/** Request fields that name something in the account, and the catalog that lists it. */
const REMOTE_FIELDS: ReadonlyArray<{ field: string; kind: CatalogKind; key: string; noun: string }> = [
  { field: 'avatar_id', kind: 'avatars', key: 'avatar', noun: 'avatar look' },
  { field: 'voice_id', kind: 'voices', key: 'voice', noun: 'voice' },
  { field: 'style_id', kind: 'styles', key: 'style', noun: 'style' },
];

interface Known {
  ids: Set<string>;
  /** id and name, for suggestions. */
  named: Array<{ id: string; name: string }>;
}

/**
 * Check every avatar, voice and style id of `entries` against the account's catalog. Returns one
 * error per unknown id at the position the id was written (for `defaults` and `each` templates,
 * once per position), with close matches by id or name. Only the catalogs that are needed are read.
 */
export async function remoteDiagnostics(entries: readonly ResolvedEntry[], source: CatalogSource): Promise<Diagnostic[]> {
  const needed = REMOTE_FIELDS.filter(({ field }) => entries.some((e) => typeof e.request[field] === 'string'));
  const known = new Map<CatalogKind, Known>();
  await Promise.all(
    needed.map(async ({ kind }) => {
      const { items } = await source.get(kind);
      const named = items.map((item) => ({ id: itemId(kind, item), name: item.name }));
      known.set(kind, { ids: new Set(named.map((n) => n.id)), named });
    }),
  );

  // One error per position: an id in `defaults` or in an `each` template is one mistake, not N.
  const found = new Map<string, { at: ResolvedEntry['source']; ids: string[]; key: string; noun: string; kind: CatalogKind; value: string }>();
  for (const entry of entries) {
    for (const { field, kind, key, noun } of needed) {
      const value = entry.request[field];
      const catalog = known.get(kind);
      if (typeof value !== 'string' || !catalog || catalog.ids.has(value)) continue;
      const at = entry.fieldSources[field] ?? entry.source;
      const where = `${at.file}:${at.line}:${at.col}:${value}`;
      const hit = found.get(where);
      if (hit) hit.ids.push(entry.id);
      else found.set(where, { at, ids: [entry.id], key, noun, kind, value });
    }
  }
  const out: Diagnostic[] = [];
  for (const { at, ids, key, noun, kind, value } of found.values()) {
    const named = known.get(kind)?.named ?? [];
    const label = (id: string): string => {
      const name = named.find((n) => n.id === id)?.name;
      return name && name !== id ? `\`${id}\` (${name})` : `\`${id}\``;
    };
    const close = closeMatches(value, named);
    const hint = close.length > 0 ? `; did you mean ${close.map(label).join(' or ')}?` : `; run \`reel ${kind}\` to list what the account offers`;
    const users = ids.length > 1 ? ` (used by ${ids.length} videos: ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''})` : '';
    const d: Diagnostic = { file: at.file, line: at.line, col: at.col, severity: 'error', message: `\`${key}\`: ${noun} \`${value}\` does not exist in this HeyGen account${users}${hint}` };
    if (ids.length === 1) d.id = ids[0];
    out.push(d);
  }
  return out;
}

/**
 * Up to three ids close to `wanted`: a small edit distance to the id (a typo), or a name that
 * equals or contains what was written (a name used where the id belongs).
 */
export function closeMatches(wanted: string, items: ReadonlyArray<{ id: string; name: string }>): string[] {
  const lower = wanted.toLowerCase();
  const max = Math.max(2, Math.min(6, Math.floor(wanted.length / 4)));
  const scored: Array<{ id: string; score: number }> = [];
  for (const { id, name } of items) {
    const n = name.toLowerCase();
    if (n === lower) scored.push({ id, score: 0 });
    else if (lower.length >= 3 && (n.includes(lower) || lower.includes(n))) scored.push({ id, score: 1 });
    else {
      const d = distance(lower, id.toLowerCase(), max);
      if (d <= max) scored.push({ id, score: 1 + d });
    }
  }
  return scored
    .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : 1))
    .slice(0, 3)
    .map((s) => s.id);
}
