/**
 * One per run: when HeyGen answers 429, every request of the affected kind waits until Retry-After
 * has passed, so the whole build slows down instead of each job hammering the limit on its own.
 * `write` pauses only mutations (the concurrent-job limit is about creations); `all` pauses reads
 * too (a request-per-minute limit).
 */
export class RateGate {
  private writeUntil = 0;
  private allUntil = 0;

  constructor(private readonly now: () => number = Date.now) {}

  pause(ms: number, scope: 'write' | 'all'): void {
    const until = this.now() + Math.max(0, ms);
    if (scope === 'all') this.allUntil = Math.max(this.allUntil, until);
    this.writeUntil = Math.max(this.writeUntil, until);
  }

  /** Milliseconds a request of this kind must still wait (0 when free to go). */
  remaining(kind: 'read' | 'write'): number {
    const until = kind === 'write' ? Math.max(this.writeUntil, this.allUntil) : this.allUntil;
    return Math.max(0, until - this.now());
  }

  async wait(kind: 'read' | 'write', signal?: AbortSignal): Promise<void> {
    for (let ms = this.remaining(kind); ms > 0; ms = this.remaining(kind)) await sleep(ms, signal);
  }
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
