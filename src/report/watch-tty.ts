/**
 * `reel watch` on a terminal: one stable screen redrawn in place after every run (cursor home,
 * each line cleared to its end, the rest of the screen cleared), cut to the terminal's height and
 * width, with "… N more" where a list does not fit.
 */
import type { Action } from '../plan/index.js';
import type { RunReport, WatchSnapshot } from '../watch/engine.js';
import type { WatchBuildEvent, TerminalSink, WatchReporter } from '../watch/reporter.js';
import { ACTION_SYMBOLS, changeLocation, clock, describeChange, describeDelta, formatDiagnostic, planTotals, projectTotals } from './watch-format.js';
import { displayPath } from '../util/path.js';
import { ACTION_COLORS } from './plan-common.js';
import { append } from '../util/array.js';

const ESC = '\u001b[';

interface Section {
  title: string;
  /** The first lines of the section; with `total`, only as many as could ever fit on screen. */
  items: string[];
  /** How many items there are in all, when `items` holds only the first ones. */
  total?: number;
}

/** Cut sections to `budget` lines: each gets its title and a fair share, the rest is "… N more". */
export function fitSections(sections: Section[], budget: number): string[] {
  const shown = sections.filter((s) => s.items.length > 0 || s.title !== '');
  const need = shown.map((s) => s.total ?? s.items.length);
  // Titles and blank separators come first; what is left is shared among the items.
  let left = Math.max(0, budget - shown.length * 2);
  const give = need.map(() => 0);
  // Round-robin one line at a time so no section starves another.
  let progress = true;
  while (left > 0 && progress) {
    progress = false;
    for (let i = 0; i < shown.length && left > 0; i += 1) {
      if (give[i]! < need[i]!) {
        give[i]! += 1;
        left -= 1;
        progress = true;
      }
    }
  }
  const lines: string[] = [];
  shown.forEach((section, i) => {
    lines.push('');
    lines.push(section.title);
    const n = give[i]!;
    const total = need[i]!;
    if (n >= total) {
      append(lines, section.items);
    } else if (n > 0) {
      append(lines, section.items.slice(0, n - 1));
      lines.push(`  … ${total - (n - 1)} more`);
    }
  });
  return lines.slice(0, Math.max(0, budget));
}

export class TtyWatchReporter implements WatchReporter {
  private snapshot: WatchSnapshot | undefined;
  private lastRun: { report: RunReport; at: Date } | undefined;
  private error: string | undefined;
  private readonly builds = new Map<string, string>();
  private buildLine: string | undefined;
  private readonly onResize = (): void => this.render();

  constructor(
    private readonly out: TerminalSink,
    private readonly cwd: string,
    private readonly color: boolean,
  ) {
    this.out.write(`${ESC}?25l${ESC}2J${ESC}H`);
    this.out.on?.('resize', this.onResize);
  }

  onRun(report: RunReport, snapshot: WatchSnapshot, at: Date): void {
    this.snapshot = snapshot;
    this.lastRun = { report, at };
    this.error = undefined;
    this.render();
  }

  onError(message: string, at: Date): void {
    this.error = `${clock(at)} ${message}`;
    this.render();
  }

  onBuild(event: WatchBuildEvent, at: Date): void {
    switch (event.kind) {
      case 'start':
        this.builds.clear();
        for (const id of event.ids) this.builds.set(id, 'queued');
        this.buildLine = `started ${clock(at)}`;
        break;
      case 'progress':
        this.builds.set(event.id, `${event.state}${event.detail ? ` ${event.detail}` : ''}`);
        break;
      case 'stale':
        for (const id of event.ids) this.builds.set(id, 'stale: not waiting for it (still billed if submitted)');
        break;
      case 'done':
        this.buildLine = `${event.ok ? 'done' : 'failed'} ${clock(at)}: ${event.summary}`;
        break;
      case 'unavailable':
        this.buildLine = event.message;
        break;
    }
    this.render();
  }

  close(): void {
    this.out.off?.('resize', this.onResize);
    this.out.write(`${ESC}?25h\n`);
  }

  private paint(action: Action, text: string): string {
    return this.color ? `${ESC}${ACTION_COLORS[action]}m${text}${ESC}22;39m` : text;
  }

  private render(): void {
    const rows = Math.max(5, this.out.rows || 24);
    const columns = Math.max(20, this.out.columns || 80);
    const snap = this.snapshot;
    const header = snap
      ? `reel watch · ${projectTotals(snap)} · updated ${this.lastRun ? clock(this.lastRun.at) : '-'}` + (this.lastRun ? ` in ${Math.round(this.lastRun.report.durationMs)} ms` : '')
      : 'reel watch · loading…';
    const sections: Section[] = [];
    if (snap) {
      // Format only what can ever be on screen: a plan of 10,000 creates is cut to a few lines.
      const visible = snap.changes.slice(0, rows);
      const width = Math.min(
        32,
        visible.reduce((max, c) => Math.max(max, c.id.length), 0),
      );
      sections.push({
        title: `Plan: ${planTotals(snap)}`,
        items: visible.map((c) => {
          const where = changeLocation(c, this.cwd);
          return `  ${ACTION_SYMBOLS[c.action]} ${c.id.padEnd(width)}  ${describeChange(c, snap.totals.costUnit)}${where ? `  ${where}` : ''}`;
        }),
        total: snap.changes.length,
      });
      const problems = snap.diagnostics.slice(0, rows).map((d) => `  ${formatDiagnostic(d, this.cwd)}`);
      for (const file of snap.staleFiles.slice(0, rows)) problems.push(`  ${displayPath(file, this.cwd)}: showing its last good state`);
      const problemCount = snap.diagnostics.length + snap.staleFiles.length;
      if (problemCount > 0) {
        // Cut problems and stale notes alike; the count says how many there are in all.
        sections.push({ title: `Problems (${snap.diagnostics.length}):`, items: problems.slice(0, rows), total: problemCount });
      }
      if (this.lastRun && this.lastRun.report.kind !== 'initial' && this.lastRun.report.delta.length > 0) {
        sections.push({ title: `Last change (${clock(this.lastRun.at)}):`, items: this.lastRun.report.delta.map((d) => `  ${describeDelta(d, snap.totals.costUnit)}`) });
      }
    }
    if (this.buildLine || this.builds.size > 0) {
      sections.push({ title: `Build: ${this.buildLine ?? ''}`, items: [...this.builds].map(([id, state]) => `  ${id}  ${state}`) });
    }
    if (this.error) sections.push({ title: 'Error:', items: [`  ${this.error}`] });

    const body = fitSections(sections, rows - 2);
    const lines = [header, ...body, 'Ctrl-C to stop'].map((line) => {
      const cut = line.length > columns ? `${line.slice(0, columns - 1)}…` : line;
      // Colour only the action symbol, after cutting, so widths are measured on plain text.
      const m = /^ {2}([+~*=>!-]) /.exec(cut);
      if (!m) return cut;
      const action = (Object.keys(ACTION_SYMBOLS) as Action[]).find((a) => ACTION_SYMBOLS[a] === m[1]);
      return action ? `  ${this.paint(action, m[1]!)}${cut.slice(3)}` : cut;
    });
    this.out.write(`${ESC}H${lines.map((l) => `${l}${ESC}K`).join('\n')}${ESC}J`);
  }
}
