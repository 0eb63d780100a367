import { afterEach, describe, expect, it } from 'vitest';
import { fitSections, TtyWatchReporter } from '../../src/report/watch-tty.js';
import { realDeps } from '../../src/watch/deps.js';
import { WatchEngine } from '../../src/watch/engine.js';
import { project, removeProject } from '../helpers/project.js';

let root: string | undefined;
afterEach(() => {
  if (root) removeProject(root);
  root = undefined;
});

/** A terminal-like stream that keeps what was written. */
function terminal(columns: number, rows: number): { stream: { write(s: string): boolean; columns: number; rows: number; isTTY: true }; text(): string } {
  let text = '';
  return {
    stream: {
      write(s: string) {
        text += s;
        return true;
      },
      columns,
      rows,
      isTTY: true,
    },
    text: () => text,
  };
}

/** The last frame drawn: what follows the last cursor-home, with the clear-line codes removed. */
function lastFrame(text: string): string[] {
  const frame = text.slice(text.lastIndexOf('\u001b[H') + 3);
  return frame
    .replace(/\u001b\[J$/, '')
    .split('\n')
    .map((line) => line.replace(/\u001b\[K$/, ''));
}

async function bigProject(videos: number, broken = false): Promise<WatchEngine> {
  let yaml = 'version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n';
  for (let i = 0; i < videos; i += 1) yaml += `  clip-${String(i).padStart(3, '0')}:\n    script: Clip number ${i} of the series, with a longer script so that lines get long.\n`;
  const files: Record<string, string> = { 'videos/clips.yaml': yaml };
  if (broken) files['videos/bad.yaml'] = 'version: 1\nvideos:\n  bad:\n    avatr: x\n';
  root = project(files);
  const engine = new WatchEngine(root, await realDeps());
  await engine.prepare();
  await engine.start();
  return engine;
}

describe('the watch screen on a terminal', () => {
  it('redraws one frame in place, cut to the height and width, with a count of what does not fit', async () => {
    const engine = await bigProject(40, true);
    const term = terminal(60, 14);
    const reporter = new TtyWatchReporter(term.stream, root!, false);
    const report = { kind: 'initial' as const, delta: [], reloaded: [], durationMs: 12 };
    reporter.onRun(report, engine.snapshot(), new Date());
    reporter.onRun(report, engine.snapshot(), new Date());
    reporter.close();

    const frame = lastFrame(term.text().replace(/\u001b\[\?25h\n$/, ''));
    expect(frame.length).toBeLessThanOrEqual(14);
    for (const line of frame) expect(line.length).toBeLessThanOrEqual(60);
    expect(frame[0]).toMatch(/^reel watch · 2 files, 40 videos, 1 error · updated/);
    expect(frame.join('\n')).toMatch(/Plan: 40 to create/);
    expect(frame.join('\n')).toMatch(/ {2}\+ clip-000 /);
    expect(frame.join('\n')).toMatch(/… \d+ more/);
    // The error is on screen even though the plan alone would fill it.
    expect(frame.join('\n')).toMatch(/videos\/bad\.yaml:4:5 {2}bad/);
    expect(frame.at(-1)).toBe('Ctrl-C to stop');
    // Plain text when colour is off; the cursor is shown again on close.
    expect(term.text()).not.toMatch(/\u001b\[3\dm/);
    expect(term.text().endsWith('\u001b[?25h\n')).toBe(true);
  });

  it('colours only the action symbols when asked to', async () => {
    const engine = await bigProject(2);
    const term = terminal(100, 30);
    const reporter = new TtyWatchReporter(term.stream, root!, true);
    reporter.onRun({ kind: 'initial', delta: [], reloaded: [], durationMs: 1 }, engine.snapshot(), new Date());
    expect(term.text()).toMatch(/ {2}\u001b\[32m\+\u001b\[22;39m clip-000/);
  });

  it('shares the lines fairly between sections', () => {
    const many = (n: number, p: string): string[] => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const lines = fitSections(
      [
        { title: 'A', items: many(50, 'a') },
        { title: 'B', items: many(2, 'b') },
      ],
      12,
    );
    expect(lines).toEqual(['', 'A', 'a0', 'a1', 'a2', 'a3', 'a4', '  … 45 more', '', 'B', 'b0', 'b1']);
    // Only the first items formatted, the total known: the count still covers all of them.
    expect(fitSections([{ title: 'A', items: many(4, 'a'), total: 10_000 }], 5)).toEqual(['', 'A', 'a0', 'a1', '  … 9998 more']);
  });
});
