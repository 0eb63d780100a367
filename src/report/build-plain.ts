import type { Writable } from 'node:stream';
import { describeEvent } from '../build/describe.js';
import type { BuildEvent } from '../build/events.js';
import type { BuildReporter, BuildTotals } from '../build/reporter.js';
import { formatBuildTable } from './build-table.js';

/** One line per event, `HH:MM:SS` first: for CI logs and anything that is not a terminal. */
export class PlainBuildReporter implements BuildReporter {
  constructor(
    private readonly out: Writable,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  event(event: BuildEvent): void {
    const line = describeEvent(event).sentence;
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
