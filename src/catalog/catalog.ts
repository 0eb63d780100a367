import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from '../util/path.js';
import { ApiError, UsageError } from '../errors.js';
import type { HeyGenClient, Outcome } from '../heygen/client.js';
import type { AvatarLook, Page, StyleInfo, VoiceInfo } from '../heygen/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sha256 } from '../util/hash.js';

/** What the account offers, one list per kind, every page followed. */
export type CatalogKind = 'avatars' | 'voices' | 'styles';

export interface CatalogItems {
  avatars: AvatarLook[];
  voices: VoiceInfo[];
  styles: StyleInfo[];
}

/** How long a cached listing is trusted: long enough for a validate/plan loop, short enough to see a new look. */
export const CATALOG_TTL_MS = 10 * 60_000;

/** `REEL_CATALOG_TTL` (seconds; 0 turns the cache off) overrides CATALOG_TTL_MS. */
export function catalogTtl(env: NodeJS.ProcessEnv): number {
  const raw = env.REEL_CATALOG_TTL;
  if (raw === undefined || raw.trim() === '') return CATALOG_TTL_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`REEL_CATALOG_TTL must be a number of seconds ≥ 0, got "${raw}"`);
  return seconds * 1000;
}

/** Where catalog listings are cached, relative to the project root (shared with the manifest cache). */
export const CATALOG_CACHE_DIR = '.reel/cache/catalog';

/** A guard against a server whose cursor never ends. */
const MAX_PAGES = 1000;

/**
 * A stable, non-reversible name for the account a key belongs to, so that two keys (or the
 * emulator and HeyGen) never share cached listings, and the key itself is never written to disk.
 */
export function accountKey(baseUrl: string, apiKey: string): string {
  return sha256(`${baseUrl.replace(/\/+$/, '')}\n${apiKey}`).slice(0, 16);
}

/**
 * Follow `next_token` until `has_more` is false (API.md §7). A failed page is an ApiError: a
 * partial list would make `validate --remote` call real ids unknown.
 */
export async function allPages<T>(what: string, fetchPage: (token: string | undefined) => Promise<Outcome<Page<T>>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const outcome = await fetchPage(token);
    if (outcome.kind === 'ambiguous') throw new ApiError(`cannot list ${what}: ${outcome.message}`);
    if (outcome.kind === 'error') {
      throw new ApiError(`cannot list ${what}: HeyGen answered ${outcome.status === 0 ? outcome.message : `${outcome.status} ${outcome.code}: ${outcome.message}`}`, outcome.status, outcome.code);
    }
    items.push(...outcome.value.items);
    if (!outcome.value.hasMore || !outcome.value.nextToken) return items;
    token = outcome.value.nextToken;
  }
  throw new ApiError(`cannot list ${what}: more than ${MAX_PAGES} pages; HeyGen kept answering has_more`);
}

/** Every item of one kind, straight from the API. Voices: public and private (cloned) ones. */
export async function fetchCatalog<K extends CatalogKind>(client: HeyGenClient, kind: K): Promise<CatalogItems[K]> {
  switch (kind) {
    case 'avatars':
      return (await allPages('avatar looks', (token) => client.listLooks({ token }))) as CatalogItems[K];
    case 'styles':
      return (await allPages('styles', (token) => client.listStyles({ token }))) as CatalogItems[K];
    default: {
      const [pub, priv] = await Promise.all([
        allPages('public voices', (token) => client.listVoices({ type: 'public', token })),
        allPages('private voices', (token) => client.listVoices({ type: 'private', token })),
      ]);
      return [...priv, ...pub] as CatalogItems[K];
    }
  }
}

interface CacheFile<T> {
  format: 1;
  fetched_at: number;
  items: T[];
}

export interface CatalogSourceOptions {
  /** Project root; the cache lives under `<root>/.reel/cache/catalog/<account>/`. */
  root: string;
  client: HeyGenClient;
  /** `accountKey(baseUrl, apiKey)`. */
  account: string;
  /** 0 disables the cache (read and write). */
  ttlMs?: number;
  /** Ignore what is cached, fetch, and cache the new listing. */
  refresh?: boolean;
  now?: () => number;
}

export interface CatalogListing<T> {
  items: T[];
  /** Whether the listing came from the cache (no request sent). */
  cached: boolean;
  fetchedAt: number;
}

/**
 * The account's catalog, read through a per-account cache with a short TTL. A damaged or
 * unwritable cache is never an error: it only costs a request.
 */
export class CatalogSource {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly memo = new Map<CatalogKind, Promise<CatalogListing<unknown>>>();

  constructor(private readonly options: CatalogSourceOptions) {
    this.ttlMs = options.ttlMs ?? CATALOG_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  get<K extends CatalogKind>(kind: K): Promise<CatalogListing<CatalogItems[K][number]>> {
    let pending = this.memo.get(kind);
    if (!pending) {
      pending = this.load(kind);
      this.memo.set(kind, pending);
    }
    return pending as Promise<CatalogListing<CatalogItems[K][number]>>;
  }

  private file(kind: CatalogKind): string {
    return join(this.options.root, CATALOG_CACHE_DIR, this.options.account, `${kind}.json`);
  }

  private async load(kind: CatalogKind): Promise<CatalogListing<unknown>> {
    const file = this.file(kind);
    if (this.ttlMs > 0 && !this.options.refresh) {
      const hit = await readCache(file);
      const age = hit ? this.now() - hit.fetched_at : Infinity;
      if (hit && age >= 0 && age < this.ttlMs) return { items: hit.items, cached: true, fetchedAt: hit.fetched_at };
    }
    const items: unknown[] = await fetchCatalog(this.options.client, kind);
    const fetchedAt = this.now();
    if (this.ttlMs > 0) {
      const body: CacheFile<unknown> = { format: 1, fetched_at: fetchedAt, items };
      await mkdir(join(this.options.root, CATALOG_CACHE_DIR, this.options.account), { recursive: true })
        .then(() => writeFileAtomic(file, `${JSON.stringify(body)}\n`))
        .catch(() => {});
    }
    return { items, cached: false, fetchedAt };
  }
}

/**
 * Avatar looks and voices from every cached listing of the project (any account, any age): names
 * and preview images for `reel studio`, without a request. Newer listings win.
 */
export async function cachedCatalogNames(root: string): Promise<{ avatars: Map<string, AvatarLook>; voices: Map<string, VoiceInfo> }> {
  const avatars = new Map<string, AvatarLook>();
  const voices = new Map<string, VoiceInfo>();
  const dir = join(root, CATALOG_CACHE_DIR);
  const accounts = await readdir(dir).catch(() => [] as string[]);
  const read = async (kind: 'avatars' | 'voices') =>
    (await Promise.all(accounts.map((a) => readCache(join(dir, a, `${kind}.json`))))).filter((c) => c !== undefined).sort((a, b) => a.fetched_at - b.fetched_at);
  for (const cache of await read('avatars')) for (const item of cache.items as AvatarLook[]) if (item && typeof item.id === 'string') avatars.set(item.id, item);
  for (const cache of await read('voices')) for (const item of cache.items as VoiceInfo[]) if (item && typeof item.voice_id === 'string') voices.set(item.voice_id, item);
  return { avatars, voices };
}

async function readCache(file: string): Promise<CacheFile<unknown> | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFile<unknown>;
    return parsed?.format === 1 && typeof parsed.fetched_at === 'number' && Array.isArray(parsed.items) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The id a manifest uses for an item of each kind. */
export function itemId(kind: CatalogKind, item: AvatarLook | VoiceInfo | StyleInfo): string {
  if (kind === 'avatars') return (item as AvatarLook).id;
  if (kind === 'voices') return (item as VoiceInfo).voice_id;
  return (item as StyleInfo).style_id;
}

export interface CatalogFilter {
  gender?: string;
  language?: string;
  search?: string;
}

/**
 * Filters applied locally to the cached listing (so one cache serves every filter): gender and
 * language match case-insensitively (`--language english`, or a prefix such as `--language eng`),
 * search matches id, name or tags as a case-insensitive substring.
 */
export function filterCatalog<T extends AvatarLook | VoiceInfo | StyleInfo>(kind: CatalogKind, items: readonly T[], filter: CatalogFilter): T[] {
  const gender = filter.gender?.trim().toLowerCase();
  const language = filter.language?.trim().toLowerCase();
  const search = filter.search?.trim().toLowerCase();
  return items.filter((item) => {
    const record = item as Partial<AvatarLook & VoiceInfo & StyleInfo>;
    if (gender && (record.gender ?? '').toLowerCase() !== gender) return false;
    if (language && !(record.language ?? '').toLowerCase().startsWith(language)) return false;
    if (search) {
      const hay = [itemId(kind, item), record.name ?? '', ...(record.tags ?? [])].join('\n').toLowerCase();
      if (!hay.includes(search)) return false;
    }
    return true;
  });
}
