/**
 * Events → sets → one debounced run at a time. The file watcher only tells the scheduler which
 * paths were added, changed or removed; the scheduler coalesces a burst of events into one batch,
 * waits for a quiet period, and never starts a run while the previous one is still going (events
 * that arrive meanwhile form the next batch).
 */

export type ChangeKind = 'added' | 'changed' | 'removed';

/** The paths touched since the previous run, each in exactly one set. */
export interface ChangeBatch {
  added: Set<string>;
  changed: Set<string>;
  removed: Set<string>;
}

export interface SchedulerOptions {
  /** Quiet period after the last event before a run starts. */
  debounceMs: number;
  run: (batch: ChangeBatch) => Promise<void>;
  /** A run that throws does not stop the scheduler; the error goes here. */
  onError: (error: unknown) => void;
}

/** The debounce reel uses: long enough to merge an editor's write+rename, short enough to feel instant. */
export const DEFAULT_DEBOUNCE_MS = 100;

/**
 * Merge a new event into what is already pending for the same path. Editors save in many ways
 * (truncate+write, write+rename, unlink+add), so the last word is "does the file exist now":
 * anything ending in an add or change is a change (or an add if the run has never seen it), an
 * unlink last is a removal.
 */
function merge(previous: ChangeKind | undefined, next: ChangeKind): ChangeKind {
  if (previous === undefined) return next;
  // Added then removed within one batch may still have existed before: report the removal and let
  // the run find out that it knew nothing about the file.
  if (next === 'removed') return 'removed';
  if (previous === 'added') return 'added';
  if (previous === 'removed') return 'changed';
  return next === 'added' ? 'changed' : next;
}

export class RunScheduler {
  private pending = new Map<string, ChangeKind>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: SchedulerOptions) {}

  /** Record one file-system event; a run follows after the quiet period. */
  push(kind: ChangeKind, path: string): void {
    if (this.closed) return;
    this.pending.set(path, merge(this.pending.get(path), kind));
    this.schedule();
  }

  /** True while a run is in progress or events are waiting for one. */
  get busy(): boolean {
    return this.running !== undefined || this.pending.size > 0;
  }

  /** Resolves once no run is in progress and no events are pending. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop scheduling; waits for a run in progress to finish. Pending events are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await this.running;
    this.notifyIdle();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.start();
    }, this.options.debounceMs);
  }

  private async start(): Promise<void> {
    // A run in progress: its end picks the pending batch up (see below), so runs never overlap.
    if (this.running || this.closed || this.pending.size === 0) return;
    const batch: ChangeBatch = { added: new Set(), changed: new Set(), removed: new Set() };
    for (const [path, kind] of this.pending) batch[kind].add(path);
    this.pending = new Map();
    this.running = this.options.run(batch).then(
      () => undefined,
      (error: unknown) => this.options.onError(error),
    );
    await this.running;
    this.running = undefined;
    // Events that arrived during the run already waited out their own quiet period if no timer is
    // pending; start at once rather than adding a second debounce.
    if (this.pending.size > 0 && !this.timer && !this.closed) void this.start();
    else this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.busy && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
