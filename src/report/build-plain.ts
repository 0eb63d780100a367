import type { Writable } from 'node:stream';
import type { BuildEvent } from '../build/events.js';
import type { BuildReporter } from './build-reporter.js';
import { type BuildTotals, formatBuildTable, formatDuration } from './build-table.js';

/** One line per event, `HH:MM:SS` first: for CI logs and anything that is not a terminal. */
export class PlainBuildReporter implements BuildReporter {
  constructor(
    private readonly out: Writable,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  event(event: BuildEvent): void {
    const line = describeEvent(event);
    if (line) this.write(line);
  }

  note(message: string): void {
    this.write(message);
  }

  done(totals: BuildTotals): void {
    this.out.write(`\n${formatBuildTable(totals, false)}`);
  }

  close(): void {}

  private write(line: string): void {
    this.out.write(`${this.clock().toISOString().slice(11, 19)} ${line}\n`);
  }
}

/** The human sentence for an event, shared by the plain log and the TTY view's scrollback. */
export function describeEvent(event: BuildEvent): string | undefined {
  switch (event.type) {
    case 'start':
      return `build: ${event.renders} to render, ${event.resumes} to resume, ${event.removals} to remove (concurrency ${event.concurrency})`;
    case 'upload':
      return `${event.id}: ${event.reused ? 'reusing' : 'uploaded'} ${event.file} as asset ${event.asset_id}`;
    case 'submit':
      return undefined;
    case 'submitted': {
      const what = event.video_id ? `video ${event.video_id}` : `agent session ${event.session_id}`;
      const how = event.adopted === 'title' ? ' (found by its title tag: not created again)' : event.adopted === 'session' ? ' (found among recent agent sessions: not created again)' : '';
      return `${event.id}: submitted, ${what}${how}`;
    }
    case 'resume':
      return `${event.id}: resuming ${event.video_id ? `video ${event.video_id}` : `agent session ${event.session_id}`}`;
    case 'status':
      return `${event.id}: ${event.status}`;
    case 'rendered':
      return `${event.id}: rendered${event.duration !== undefined ? ` (${event.duration.toFixed(1)} s of video)` : ''}`;
    case 'downloaded':
      return `${event.id}: downloaded ${event.file} (${event.size} bytes)`;
    case 'warning':
      return `${event.id ? `${event.id}: ` : ''}warning: ${event.message}`;
    case 'result': {
      const j = event.job;
      const tail = j.message ? `: ${j.code ? `${j.code}: ` : ''}${j.message}` : '';
      return `${j.id}: ${j.result} after ${formatDuration(j.ms)}${tail}`;
    }
  }
}
