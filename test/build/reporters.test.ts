import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/build/events.js';
import { formatBuildAnnotations } from '../../src/report/build-github.js';
import { JsonBuildReporter } from '../../src/report/build-json.js';
import { PlainBuildReporter } from '../../src/report/build-plain.js';
import { formatBuildTable, formatDuration } from '../../src/report/build-table.js';
import { TtyBuildReporter } from '../../src/report/build-tty.js';

class Sink extends Writable {
  text = '';
  isTTY?: boolean;
  columns = 100;
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const results: JobResult[] = [
  { id: 'welcome', action: 'create', result: 'completed', ms: 1234, file: 'out/welcome.mp4' },
  { id: 'broken', action: 'update', result: 'failed', ms: 65_000, code: 'rendering_failed', message: 'Avatar rendering timed out' },
];
const totals = { results, unchanged: 3, ms: 70_000, requests: 12, cancelled: false };

describe('build reporters', () => {
  it('formats durations for a table column', () => {
    expect(formatDuration(1234)).toBe('1.2s');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3:05');
  });

  it('prints the final table sorted by id, failures explained, and a totals line', () => {
    const text = formatBuildTable(totals, false);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID\s+ACTION\s+RESULT\s+DURATION\s+FILE$/);
    expect(lines[1]).toMatch(/^broken\s+update\s+failed\s+1:05$/);
    expect(lines[2]).toMatch(/^welcome\s+create\s+completed\s+1\.2s\s+out\/welcome\.mp4$/);
    expect(text).toContain('broken: rendering_failed: Avatar rendering timed out');
    expect(text).toContain('Build finished: 1 completed, 1 failed, 3 unchanged in 1:10 (12 API requests).');
    expect(text).not.toContain('\u001b[');
  });

  it('writes plain timestamped lines', () => {
    const out = new Sink();
    const reporter = new PlainBuildReporter(out, () => new Date('2026-01-01T10:20:30Z'));
    reporter.event({ type: 'submitted', id: 'welcome', video_id: 'v1', adopted: 'title' });
    reporter.event({ type: 'result', job: results[1] as JobResult });
    expect(out.text).toBe('10:20:30 welcome: submitted, video v1 (found by its title tag: not created again)\n' + '10:20:30 broken: failed after 1:05: rendering_failed: Avatar rendering timed out\n');
  });

  it('writes NDJSON only', () => {
    const out = new Sink();
    const reporter = new JsonBuildReporter(out);
    reporter.event({ type: 'rendered', id: 'welcome', video_id: 'v1', duration: 5 });
    reporter.event({ type: 'result', job: { ...(results[0] as JobResult), videoId: 'v1' } });
    reporter.done(totals);
    const lines = out.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(['rendered', 'result', 'done']);
    expect(lines[1]).toMatchObject({ id: 'welcome', result: 'completed', file: 'out/welcome.mp4', video_id: 'v1' });
    expect(lines[1]).not.toHaveProperty('videoId');
    expect(lines[2]).toMatchObject({ counts: { completed: 1, failed: 1 }, requests: 12 });
  });

  it('draws a live status block on a TTY and replaces it with the table', () => {
    const out = new Sink();
    out.isTTY = true;
    const reporter = new TtyBuildReporter(out, false);
    reporter.event({ type: 'start', jobs: 2, renders: 2, resumes: 0, removals: 0, concurrency: 10 });
    reporter.event({ type: 'submit', id: 'welcome', mode: 'direct' });
    reporter.event({ type: 'status', id: 'welcome', status: 'processing' });
    expect(out.text).toMatch(/0\/2 done · 1 waiting · 1 processing · elapsed/);
    expect(out.text).toMatch(/slowest: welcome \(0\.0s, processing\)/);
    reporter.event({ type: 'result', job: results[1] as JobResult });
    expect(out.text).toContain('broken: failed after 1:05');
    reporter.done(totals);
    expect(out.text).toMatch(/\u001b\[\d+A\u001b\[0J/);
    expect(out.text.trimEnd().endsWith('(12 API requests).')).toBe(true);
    reporter.close();
  });

  it('annotates failures for GitHub Actions and summarises the build in markdown', () => {
    const sources = new Map([['broken', { file: '/p/videos/a.yaml', line: 7, col: 3 }]]);
    expect(formatBuildAnnotations(results, sources, '/p')).toBe('::error file=videos/a.yaml,line=7,col=3,title=reel build%3A broken::rendering_failed: Avatar rendering timed out\n');
  });
});
