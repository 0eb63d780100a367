import type { LockEntry, Lockfile } from '../lock/types.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { type PriceUnit, type Pricing, type Product, PRODUCTS, priceOf, productOf } from '../plan/cost.js';

/**
 * What the renders recorded in reel.lock cost, grouped by manifest file, month and mode. Pure: the
 * lock, the entries (for their file and product) and a price table in, numbers out.
 */

export interface SpentRender {
  id: string;
  /** Manifest file (absolute) of the entry, when a manifest still defines it. */
  file?: string;
  /** `YYYY-MM` of completion (`unknown` when the lock has no date). */
  month: string;
  mode: LockEntry['mode'];
  product: Product;
  seconds: number;
  cost: number;
  /** The cost was recorded by the build; otherwise it is estimated from the duration and `pricing:`. */
  recorded: boolean;
  /** Other ids that received the same HeyGen video (one render, billed once). */
  sharedBy: string[];
}

export interface SpendGroup {
  key: string;
  renders: number;
  seconds: number;
  cost: number;
}

export interface Spend {
  unit: PriceUnit;
  renders: SpentRender[];
  total: SpendGroup;
  byFile: SpendGroup[];
  byMonth: SpendGroup[];
  byMode: SpendGroup[];
}

function group(renders: readonly SpentRender[], keyOf: (r: SpentRender) => string): SpendGroup[] {
  const groups = new Map<string, SpendGroup>();
  for (const r of renders) {
    const key = keyOf(r);
    let g = groups.get(key);
    if (!g) {
      g = { key, renders: 0, seconds: 0, cost: 0 };
      groups.set(key, g);
    }
    g.renders += 1;
    g.seconds += r.seconds;
    g.cost += r.cost;
  }
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function productOfLocked(locked: LockEntry, entry: ResolvedEntry | undefined): Product {
  const recorded = locked.cost?.product;
  if (recorded && (PRODUCTS as readonly string[]).includes(recorded)) return recorded as Product;
  if (entry && entry.mode === locked.mode) return productOf(entry);
  return locked.mode === 'agent' ? 'video_agent' : 'avatar_iv';
}

/**
 * Spend of every completed render in the lock. A HeyGen video several entries share is counted
 * once, under the first id. Costs recorded in another unit than `pricing`'s are estimated again.
 */
export function spendOf(lock: Lockfile, entries: readonly ResolvedEntry[], pricing: Pricing): Spend {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const renders: SpentRender[] = [];
  const byVideo = new Map<string, SpentRender>();
  for (const id of Object.keys(lock.videos).sort()) {
    const locked = lock.videos[id]!;
    if (locked.status !== 'completed' || typeof locked.duration !== 'number') continue;
    const video = locked.video_id !== undefined ? `${locked.api ?? 'heygen'}:${locked.video_id}` : undefined;
    const owner = video !== undefined ? byVideo.get(video) : undefined;
    if (owner) {
      owner.sharedBy.push(id);
      continue;
    }
    const entry = byId.get(id);
    const product = productOfLocked(locked, entry);
    const recorded = locked.cost !== undefined && locked.cost.unit === pricing.unit;
    const render: SpentRender = {
      id,
      month: locked.completed_at?.slice(0, 7) ?? 'unknown',
      mode: locked.mode,
      product,
      seconds: locked.duration,
      cost: recorded ? locked.cost!.amount : priceOf(product, locked.duration, pricing),
      recorded,
      sharedBy: [],
    };
    if (entry) render.file = entry.source.file;
    renders.push(render);
    if (video !== undefined) byVideo.set(video, render);
  }
  const [total] = group(renders, () => 'total');
  return {
    unit: pricing.unit,
    renders,
    total: total ?? { key: 'total', renders: 0, seconds: 0, cost: 0 },
    byFile: group(renders, (r) => r.file ?? ''),
    byMonth: group(renders, (r) => r.month),
    byMode: group(renders, (r) => r.mode),
  };
}
