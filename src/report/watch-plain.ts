/**
 * `reel watch` when stdout is not a terminal: every run appends lines, never redraws. First what
 * changed since the previous run (never cut), then the problems if they changed, then one totals
 * line that starts with `plan:` (easy to wait for in a script or a test).
 */
import type { RunReport, WatchSnapshot } from '../watch/engine.js';
import type { WatchBuildEvent, TextSink, WatchReporter } from '../watch/reporter.js';
import { ACTION_SYMBOLS, changeLocation, clock, describeChange, describeDelta, formatDiagnostic, planTotals, projectTotals } from './watch-format.js';
import { displayPath } from '../util/path.js';

export class PlainWatchReporter implements WatchReporter {
  private lastDiagnostics = '';

  constructor(
    private readonly out: TextSink,
    private readonly cwd: string,
  ) {}

  onRun(report: RunReport, snapshot: WatchSnapshot, at: Date): void {
    const stamp = `[${clock(at)}]`;
    const lines: string[] = [];
    if (report.kind === 'initial') {
      lines.push(`${stamp} watching ${projectTotals(snapshot)}`);
      // The first view has no "previous run": list what a build would do, as `reel plan` does.
      for (const change of snapshot.changes) {
        const where = changeLocation(change, this.cwd);
        lines.push(`${stamp} ${ACTION_SYMBOLS[change.action]} ${change.id} ${describeChange(change, snapshot.totals.costUnit)}${where ? `  ${where}` : ''}`);
      }
    } else {
      if (report.kind === 'config') lines.push(`${stamp} config changed: reloaded every manifest`);
      if (report.kind === 'lock') lines.push(`${stamp} reel.lock changed`);
      for (const item of report.delta) lines.push(`${stamp} ${describeDelta(item, snapshot.totals.costUnit)}`);
    }

    const problems = snapshot.diagnostics.map((d) => formatDiagnostic(d, this.cwd));
    const signature = problems.join('\n');
    // Problems are printed when they change, and again when a file that has them was just saved
    // (the author is looking at that file now); otherwise the totals line carries their count.
    const touched = new Set(report.reloaded);
    if (signature !== this.lastDiagnostics || snapshot.diagnostics.some((d) => touched.has(d.file))) {
      if (problems.length === 0) lines.push(`${stamp} no problems`);
      else for (const problem of problems) lines.push(problem);
      for (const file of snapshot.staleFiles) {
        lines.push(`${stamp} ${displayPath(file, this.cwd)} has errors: the plan keeps its last good state`);
      }
      this.lastDiagnostics = signature;
    }
    lines.push(`${stamp} plan: ${planTotals(snapshot)} (${projectTotals(snapshot)})`);
    this.out.write(`${lines.join('\n')}\n`);
  }

  onError(message: string, at: Date): void {
    this.out.write(`[${clock(at)}] error: ${message}\n`);
  }

  onBuild(event: WatchBuildEvent, at: Date): void {
    const stamp = `[${clock(at)}]`;
    switch (event.kind) {
      case 'start':
        this.out.write(`${stamp} build: rendering ${event.ids.join(', ')}\n`);
        break;
      case 'progress':
        this.out.write(`${stamp} build: ${event.id} ${event.state}${event.detail ? ` ${event.detail}` : ''}\n`);
        break;
      case 'stale':
        this.out.write(`${stamp} build: not waiting for stale renders of ${event.ids.join(', ')}: those HeyGen already has are still rendered and billed\n`);
        break;
      case 'done':
        this.out.write(`${stamp} build: ${event.ok ? 'done' : 'failed'}: ${event.summary}\n`);
        break;
      case 'unavailable':
        this.out.write(`${stamp} build: ${event.message}\n`);
        break;
    }
  }

  close(): void {}
}
