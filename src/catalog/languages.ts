import { ApiError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { Diagnostic, ResolvedEntry } from '../manifest/types.js';
import { distance } from '../manifest/suggest.js';

/** Pages of `GET /v3/brand-glossaries` read at most (glossaries are few; 100 a page). */
const GLOSSARY_PAGES = 10;

/**
 * `validate --remote` for `translate` locales: every `language` must be a name
 * `GET /v3/video-translations/languages` lists (with close matches when it is not: `German` →
 * `German (Germany)`), and every `glossary` a brand glossary of the account.
 */
export async function localeDiagnostics(entries: readonly ResolvedEntry[], client: HeyGenClient): Promise<Diagnostic[]> {
  const locales = entries.filter((e) => e.mode === 'translate');
  if (locales.length === 0) return [];
  const out: Diagnostic[] = [];
  const got = await client.translationLanguages();
  if (got.kind !== 'ok') throw new ApiError(`cannot list translation languages: ${got.kind === 'error' ? `${got.code}: ${got.message}` : got.message}`);
  const names = new Set(got.value.languages);
  const glossaryIds = locales.some((e) => typeof e.request['brand_glossary_id'] === 'string') ? await glossaries(client) : undefined;
  for (const entry of locales) {
    const language = (entry.request['output_languages'] as unknown[] | undefined)?.[0];
    if (typeof language === 'string' && !names.has(language)) {
      const close = closeLanguages(language, got.value.languages);
      const at = entry.fieldSources['output_languages'] ?? entry.source;
      const hint = close.length > 0 ? `; did you mean ${close.map((c) => `\`${c}\``).join(' or ')}?` : '; HeyGen takes the exact names GET /v3/video-translations/languages lists';
      out.push({ ...at, id: entry.id, severity: 'error', message: `\`language\`: HeyGen does not translate into \`${language}\`${hint}` });
    }
    const glossary = entry.request['brand_glossary_id'];
    if (glossaryIds && typeof glossary === 'string' && !glossaryIds.has(glossary)) {
      const at = entry.fieldSources['brand_glossary_id'] ?? entry.source;
      out.push({
        ...at,
        id: entry.id,
        severity: 'error',
        message: `\`glossary\`: brand glossary \`${glossary}\` does not exist in this HeyGen account (glossaries are made in the web app's Brand Kit)`,
      });
    }
  }
  return out;
}

async function glossaries(client: HeyGenClient): Promise<Set<string>> {
  const ids = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < GLOSSARY_PAGES; page += 1) {
    const got = await client.listGlossaries({ limit: 100, ...(token ? { token } : {}) });
    if (got.kind !== 'ok') throw new ApiError(`cannot list brand glossaries: ${got.kind === 'error' ? `${got.code}: ${got.message}` : got.message}`);
    for (const g of got.value.items) ids.add(g.brand_glossary_id);
    if (!got.value.hasMore || !got.value.nextToken) break;
    token = got.value.nextToken;
  }
  return ids;
}

/**
 * Up to three language names close to `wanted`: a typo of the whole name first (`French (Frnace)`
 * → `French (France)`), then names that contain it or that it contains (`German` → `German (Germany)`).
 */
export function closeLanguages(wanted: string, names: readonly string[]): string[] {
  const lower = wanted.toLowerCase();
  const max = Math.max(2, Math.min(6, Math.floor(wanted.length / 4)));
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of names) {
    const n = name.toLowerCase();
    const d = distance(lower, n, max);
    if (d <= max) scored.push({ name, score: d });
    else if (lower.length >= 3 && (n.includes(lower) || lower.includes(n))) scored.push({ name, score: max + 1 + Math.abs(n.length - lower.length) / 100 });
  }
  return scored
    .sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : 1))
    .slice(0, 3)
    .map((s) => s.name);
}
