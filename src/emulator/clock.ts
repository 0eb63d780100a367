/**
 * The emulator's sense of time. Everything that ages in the emulator (renders, agent sessions,
 * batches, webhook retries, signed URLs, idempotency records) reads `now()` and waits with
 * `setTimeout` from one Clock, so a test can drive a manual clock instead of sleeping. The real
 * clock is the default; network-level faults (`slow`) still wait in real time, since they stand
 * for latency the client's own timers see.
 */

/** An opaque handle for a pending callback. */
export interface ClockTimer {
  readonly due: number;
}

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

interface SystemTimer extends ClockTimer {
  handle: NodeJS.Timeout;
}

/** Date.now and the event loop's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer: SystemTimer = { due: Date.now() + ms, handle: setTimeout(fn, ms) };
    return timer;
  },
  clearTimeout: (timer) => clearTimeout((timer as SystemTimer).handle),
};

interface ManualTimer extends ClockTimer {
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told: `advance(ms)` runs every callback that falls due, in order of
 * due time (ties in order of scheduling), with `now()` at each callback's due time.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private pending = new Set<ManualTimer>();

  constructor(start = Date.now()) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: ManualTimer = { due: this.time + Math.max(0, ms), seq: (this.seq += 1), fn };
    this.pending.add(timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer): void {
    this.pending.delete(timer as ManualTimer);
  }

  /** Moves time forward by `ms`, running what falls due on the way (callbacks may schedule more). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.pending) if (t.due <= until && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
      if (!next) break;
      this.pending.delete(next);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = until;
  }
}

/**
 * `clock` as a HeyGen whose clock is `offsetMs` off sees it: `now()` is shifted, timers are not
 * (they wait durations, and a skewed clock runs at the same rate).
 */
export function skewed(clock: Clock, offsetMs: number): Clock {
  if (offsetMs === 0) return clock;
  return {
    now: () => clock.now() + offsetMs,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (timer) => clock.clearTimeout(timer),
  };
}
