import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { formatPlanHuman } from '../../src/report/plan-human.js';
import { formatPlanJson } from '../../src/report/plan-json.js';
import { formatPlanMarkdown } from '../../src/report/plan-markdown.js';
import { direct, locked, lockOf } from './builders.js';

const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

function mixedPlan() {
  const same = direct('same');
  const changed = direct('changed', { script: words(50) });
  const retitled = direct('retitled', { title: 'New' });
  const pending = direct('pending');
  const broken = direct('broken');
  return plan(
    [direct('fresh', { script: words(150) }, { source: { file: '/p/videos/new.yaml', line: 12, col: 3 } }), same, changed, retitled, pending, broken],
    lockOf(
      ['same', locked(same)],
      ['changed', locked(direct('changed'))],
      ['retitled', locked(direct('retitled', { title: 'Old' }))],
      ['pending', locked(pending, { status: 'submitted' })],
      ['broken', locked(broken, { status: 'failed', failure: { code: 'RENDER_FAILED', message: 'bad avatar' } })],
      ['gone', locked(direct('gone'))],
    ),
  );
}

describe('human plan', () => {
  it('lists each change with symbol, action, fields, estimate and file:line, then totals', () => {
    const text = formatPlanHuman(mixedPlan(), { cwd: '/p' });
    const lines = text.split('\n');
    expect(lines.find((l) => l.includes('fresh'))).toMatch(/^ {2}\+ fresh\s+create\s+~60 s\s+~\$4\.00\s+videos\/new\.yaml:12$/);
    expect(lines.find((l) => l.includes('changed'))).toMatch(/^ {2}~ changed\s+update\s+~20 s\s+~\$1\.33\s+videos\/a\.yaml:3\s+script$/);
    expect(lines.find((l) => l.includes('retitled'))).toMatch(/^ {2}\* retitled\s+metadata\s+videos\/a\.yaml:3\s+title$/);
    expect(lines.find((l) => l.includes('pending'))).toMatch(/^ {2}> pending\s+resume\s+videos\/a\.yaml:3$/);
    expect(lines.find((l) => l.includes('broken'))).toContain('! broken');
    expect(lines.find((l) => l.includes('broken'))).toContain('RENDER_FAILED: bad avatar (--retry-failed renders it again)');
    expect(lines.find((l) => l.includes('gone'))).toMatch(/^ {2}- gone\s+remove\s+reel\.lock$/);
    expect(text).not.toMatch(/^ {2}= same/m);
    expect(text).toContain('= 1 unchanged (--verbose lists them)');
    expect(lines.at(-2)).toBe('1 to create, 1 to update, 1 metadata only, 1 to resume, 1 failed, 1 to remove, 1 unchanged; ~80 s of video to render (2 videos), estimated ~$5.34.');
    expect(text).not.toContain('\u001b[');
  });

  it('lists unchanged entries with --verbose and colours only when asked', () => {
    expect(formatPlanHuman(mixedPlan(), { cwd: '/p', verbose: true })).toMatch(/^ {2}= same\s+unchanged/m);
    expect(formatPlanHuman(mixedPlan(), { cwd: '/p', color: true })).toContain('\u001b[32m+ fresh');
  });

  it('says so when nothing changes', () => {
    const e = direct('a');
    expect(formatPlanHuman(plan([e], lockOf(['a', locked(e)])), { cwd: '/p' })).toBe('No changes. 1 video is up to date.\n');
    expect(formatPlanHuman(plan([], lockOf()), { cwd: '/p' })).toBe('No videos to plan.\n');
  });
});

describe('json plan', () => {
  it('is one document with every entry, unchanged included', () => {
    const doc = JSON.parse(formatPlanJson(mixedPlan(), '/p')) as {
      version: number;
      changes: { id: string; action: string; file: string | null; line: number | null; estimate_seconds: number }[];
      summary: Record<string, number>;
    };
    expect(doc.version).toBe(1);
    expect(doc.changes.map((c) => `${c.id}:${c.action}`)).toEqual(['broken:failed', 'changed:update', 'fresh:create', 'gone:remove', 'pending:resume', 'retitled:metadata', 'same:unchanged']);
    expect(doc.changes.find((c) => c.id === 'fresh')).toMatchObject({ file: 'videos/new.yaml', line: 12, estimate_seconds: 60 });
    expect(doc.changes.find((c) => c.id === 'gone')).toMatchObject({ file: null, line: null, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(doc.summary).toMatchObject({ create: 1, update: 1, unchanged: 1, remove: 1, estimate_seconds: 80, renders: 2 });
  });
});

describe('markdown plan', () => {
  it('renders a table for a pull-request comment, unchanged folded', () => {
    const md = formatPlanMarkdown(mixedPlan(), { cwd: '/p' });
    expect(md).toMatch(/^<!-- reel plan -->\n### reel plan: 1 to create, 1 to update/);
    expect(md).toContain('| `+` | `fresh` | create |  | ~60 s | ~$4.00 | `videos/new.yaml:12` |');
    expect(md).toContain('| `~` | `changed` | update | `script` | ~20 s | ~$1.33 | `videos/a.yaml:3` |');
    expect(md).toContain('<details><summary>1 unchanged</summary>');
  });

  it('escapes table-breaking characters', () => {
    const broken = direct('b');
    const md = formatPlanMarkdown(plan([broken], lockOf(['b', locked(broken, { status: 'failed', failure: { code: 'X', message: 'a | b' } })]), { retryFailed: true }), { cwd: '/p' });
    expect(md).toContain('a &#124; b');
  });

  it('shows manifest and API text as written: no links, images, HTML or mentions', () => {
    const broken = direct('b');
    const message = 'see [here](https://evil.example) ![x](https://evil.example/x.png) <img src=x onerror=alert(1)> @acme/admins **now**\n## heading';
    const md = formatPlanMarkdown(plan([broken], lockOf(['b', locked(broken, { status: 'failed', failure: { code: 'X', message } })]), { retryFailed: true }), { cwd: '/p' });
    const row = md.split('\n').find((l) => l.includes('`b`')) ?? '';
    for (const raw of ['[here]', '](', '![', '<img', '@acme', '**', '\n##']) expect(row).not.toContain(raw);
    expect(row).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });
});
