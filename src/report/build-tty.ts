import type { Writable } from 'node:stream';
import type { BuildEvent } from '../build/events.js';
import { describeEvent } from '../build/describe.js';
import type { BuildReporter, BuildTotals } from '../build/reporter.js';
import { formatBuildTable, formatDuration } from './build-table.js';

interface JobState {
  state: string;
  since: number;
  started: number;
}

/** How often the live view is redrawn. */
const FRAME_MS = 200;
/** How many of the slowest jobs the view names. */
const SLOWEST = 3;

/**
 * The live view on a terminal: notable events scroll above a status block (counts per state,
 * elapsed, ETA, the slowest jobs) that is redrawn in place.
 */
export class TtyBuildReporter implements BuildReporter {
  private readonly jobs = new Map<string, JobState>();
  /** When the build started (its `start` event): the reporter may be made before a prompt. */
  private started = Date.now();
  private total = 0;
  private finished = 0;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable & { columns?: number },
    private readonly color: boolean,
  ) {}

  event(event: BuildEvent): void {
    const now = Date.now();
    switch (event.type) {
      case 'start':
        this.total = event.jobs;
        this.started = now;
        this.timer = setInterval(() => this.draw(), FRAME_MS);
        this.timer.unref();
        break;
      case 'submit':
        this.set(event.id, 'submitting', now);
        break;
      case 'submitted':
      case 'resume':
        this.set(event.id, 'queued', now);
        break;
      case 'status':
        this.set(event.id, event.status, now);
        break;
      case 'rendered':
        this.set(event.id, 'downloading', now);
        break;
      case 'result':
        this.jobs.delete(event.job.id);
        this.finished += 1;
        break;
      default:
        break;
    }
    // Routine progress lives in the status block; the scrollback keeps what a person must see.
    const notable =
      event.type === 'warning' ||
      (event.type === 'submitted' && event.adopted !== undefined) ||
      (event.type === 'result' && event.job.result !== 'completed' && event.job.result !== 'removed' && event.job.result !== 'updated');
    if (notable) this.print(describeEvent(event).sentence ?? '');
    this.draw();
  }

  note(message: string): void {
    this.print(message);
  }

  done(totals: BuildTotals): void {
    this.close();
    this.out.write(formatBuildTable(totals, this.color));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private set(id: string, state: string, now: number): void {
    const job = this.jobs.get(id);
    if (!job) this.jobs.set(id, { state, since: now, started: now });
    else if (job.state !== state) {
      job.state = state;
      job.since = now;
    }
  }

  private print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.timer) return;
    const now = Date.now();
    const elapsed = now - this.started;
    const counts = new Map<string, number>();
    for (const job of this.jobs.values()) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
    const waiting = Math.max(0, this.total - this.finished - this.jobs.size);
    const parts = [`${this.finished}/${this.total} done`];
    if (waiting > 0) parts.push(`${waiting} waiting`);
    for (const [state, n] of [...counts.entries()].sort()) parts.push(`${n} ${state}`);
    parts.push(`elapsed ${formatDuration(elapsed)}`);
    if (this.finished > 0 && this.finished < this.total) {
      parts.push(`ETA ${formatDuration((elapsed / this.finished) * (this.total - this.finished))}`);
    }
    const width = Math.max(40, (this.out.columns ?? 80) - 1);
    const lines = [parts.join(' · ')];
    const slowest = [...this.jobs.entries()].sort((a, b) => a[1].started - b[1].started).slice(0, SLOWEST);
    if (slowest.length > 0) {
      lines.push(`slowest: ${slowest.map(([id, j]) => `${id} (${formatDuration(now - j.started)}, ${j.state})`).join(', ')}`);
    }
    this.clear();
    const text = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    this.out.write(`${this.color ? `\u001b[2m${text.join('\n')}\u001b[0m` : text.join('\n')}\n`);
    this.drawn = text.length;
  }
}
