/**
 * Fault injection. Two sources: one-off rules a test injects (`inject`), consumed in order, and
 * random faults drawn from seeded generators, so the same seed and the same request sequence give
 * the same faults run after run.
 */

export type FaultKind =
  | 'http-500'
  | 'http-502'
  | 'http-503'
  /** A 429 rate_limit_exceeded with Retry-After, without touching the job count. */
  | 'http-429'
  | 'reset'
  | 'reset-after'
  | 'slow'
  /** Handle fully (the job IS created), then hold the answer: a create whose answer is on its way when the client dies. */
  | 'slow-after'
  | 'truncate'
  /** A download answered 200 with an HTML page (a captive portal, a CDN error page). */
  | 'html-200'
  | 'render-fail';

/** A one-off fault for tests. */
export interface FaultRule {
  /** e.g. 'POST'; default any method. */
  method?: string;
  /** Path prefix, e.g. '/v3/videos' or '/files/'. */
  path: string;
  kind: FaultKind;
  /** How many matching requests (or created videos, for render-fail) it hits; default 1. */
  times?: number;
  /** For 'slow' and 'slow-after': how long the answer is held; default 1000 ms. */
  delayMs?: number;
}

export const FAULT_KINDS: readonly FaultKind[] = ['http-500', 'http-502', 'http-503', 'http-429', 'reset', 'reset-after', 'slow', 'slow-after', 'truncate', 'html-200', 'render-fail'];

/** mulberry32: tiny, fast, and good enough to spread faults evenly. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fault chosen for one request. */
export interface ChosenFault {
  kind: FaultKind;
  delayMs: number;
}

/** Where the request goes, as far as faults care. */
export type RequestClass = 'api' | 'create' | 'download';

export class Faults {
  private rules: Array<Required<Pick<FaultRule, 'path' | 'kind'>> & { method?: string; times: number; delayMs: number }> = [];
  // Separate streams, so adding a download does not shift which API request fails.
  private apiRandom: () => number;
  private downloadRandom: () => number;
  private renderRandom: () => number;

  constructor(
    private readonly rate: number,
    private readonly seed: number,
  ) {
    this.apiRandom = mulberry32(seed);
    this.downloadRandom = mulberry32(seed ^ 0x9e3779b9);
    this.renderRandom = mulberry32(seed ^ 0x85ebca6b);
  }

  inject(rule: FaultRule): void {
    this.rules.push({
      path: rule.path,
      kind: rule.kind,
      ...(rule.method ? { method: rule.method.toUpperCase() } : {}),
      times: rule.times ?? 1,
      delayMs: rule.delayMs ?? 1000,
    });
  }

  /** Forgets injected rules and restarts the random streams from the seed. */
  reset(): void {
    this.rules = [];
    this.apiRandom = mulberry32(this.seed);
    this.downloadRandom = mulberry32(this.seed ^ 0x9e3779b9);
    this.renderRandom = mulberry32(this.seed ^ 0x85ebca6b);
  }

  private take(method: string, path: string, accept: (kind: FaultKind) => boolean): ChosenFault | null {
    const index = this.rules.findIndex((r) => accept(r.kind) && (!r.method || r.method === method) && path.startsWith(r.path));
    if (index < 0) return null;
    const rule = this.rules[index]!;
    rule.times -= 1;
    if (rule.times <= 0) this.rules.splice(index, 1);
    return { kind: rule.kind, delayMs: rule.delayMs };
  }

  /** The fault (if any) for an incoming request. Render failures are decided separately. */
  forRequest(method: string, path: string, cls: RequestClass): ChosenFault | null {
    const injected = this.take(method, path, (k) => k !== 'render-fail');
    if (injected) return injected;
    if (this.rate <= 0) return null;
    if (cls === 'download') {
      return this.downloadRandom() < this.rate ? { kind: 'truncate', delayMs: 0 } : null;
    }
    if (this.apiRandom() >= this.rate) return null;
    const kinds: FaultKind[] = cls === 'create' ? ['http-500', 'http-502', 'http-503', 'reset', 'slow', 'reset-after'] : ['http-500', 'http-502', 'http-503', 'reset', 'slow'];
    const pick = this.apiRandom();
    const kind = kinds[Math.floor(pick * kinds.length)] ?? 'http-500';
    return { kind, delayMs: kind === 'slow' ? 200 + Math.floor(this.apiRandom() * 1300) : 0 };
  }

  /** Whether a newly created render (at `path`, e.g. '/v3/videos') should fail. */
  renderFails(method: string, path: string): boolean {
    if (this.take(method, path, (k) => k === 'render-fail')) return true;
    return this.rate > 0 && this.renderRandom() < this.rate;
  }
}
