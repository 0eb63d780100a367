import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { COMMENT_LIMIT, formatPlanMarkdown } from '../../src/report/plan-markdown.js';
import { direct, lockOf } from '../plan/builders.js';
import { project } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const ROWS = 2_000;

/** A project whose one `each:` template makes ROWS videos, plus two written out by hand. */
async function csvProject(): Promise<string> {
  const csv = ['slug,first_name,product'];
  for (let i = 1; i <= ROWS; i += 1) csv.push(`customer-${i},Name${i},Acme Product Number ${i % 7}`);
  const dir = await project({
    'data/customers.csv': `${csv.join('\n')}\n`,
    'videos/personal.yaml': [
      'version: 1',
      'defaults:',
      '  avatar: Daisy-inskirt-20220818',
      '  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
      'videos:',
      '  hello-{{ row.slug }}:',
      '    each: ../data/customers.csv',
      '    title: Hello {{ row.first_name }}',
      '    script: Hi {{ row.first_name }}, thanks for trying {{ row.product }}! Reply to this email if you need anything at all.',
      '  welcome:',
      '    title: Welcome',
      '    script: Welcome aboard.',
      '',
    ].join('\n'),
  });
  dirs.push(dir);
  return dir;
}

describe('plans of CSV batches fit in a pull-request comment', () => {
  it(`groups ${ROWS} rows of one template into one row, and the job summary lists every video`, async () => {
    const dir = await csvProject();
    const summary = join(dir, 'summary.md');
    await writeFile(summary, '');
    const r = await runCli(['plan', '--markdown'], dir, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeLessThan(COMMENT_LIMIT);
    expect(r.stdout.startsWith('<!-- reel plan -->\n')).toBe(true);
    expect(r.stdout).toContain(`| \`+\` | 2,000 videos from \`data/customers.csv\`: \`hello-customer-1\`, \`hello-customer-10\`, \`hello-customer-100\` … 1,997 more | 2,000 create |`);
    expect(r.stdout).toContain('| `+` | `welcome` | create |');

    const full = await readFile(summary, 'utf8');
    for (let i = 1; i <= ROWS; i += 1) expect(full).toContain(`| \`hello-customer-${i}\` | create |`);
    expect(full.length).toBeGreaterThan(COMMENT_LIMIT);
  });

  it('caps a plan of many hand-written videos with "… N more, see the job summary", counting every video', () => {
    const entries = Array.from({ length: 3_000 }, (_, i) => direct(`video-with-a-rather-long-id-${String(i).padStart(5, '0')}`));
    const md = formatPlanMarkdown(plan(entries, lockOf()), { cwd: '/p' });
    expect(md.length).toBeLessThan(COMMENT_LIMIT);
    const listed = md.split('\n').filter((l) => l.startsWith('| `+` |')).length;
    const more = /… ([\d,]+) more, see the job summary\./.exec(md);
    expect(more).not.toBeNull();
    expect(listed + Number(more?.[1]?.replace(/,/g, ''))).toBe(3_000);
    // The full table for the summary is not capped.
    const full = formatPlanMarkdown(plan(entries, lockOf()), { cwd: '/p', rows: 'full', maxChars: Number.POSITIVE_INFINITY });
    expect(full.split('\n').filter((l) => l.startsWith('| `+` |'))).toHaveLength(3_000);
  });

  it('a plan that fails replaces the comment with the errors; annotations stay out of the markdown', async () => {
    const dir = await project({ 'videos/bad.yaml': 'version: 1\nvideos:\n  broken:\n    title: 3\n' });
    dirs.push(dir);
    const r = await runCli(['plan', '--markdown'], dir, { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<!-- reel plan -->\n### reel plan failed: \d+ errors? in the manifests\n/);
    expect(r.stdout).toContain('- `videos/bad.yaml:');
    expect(r.stdout).not.toContain('::error');
    expect(r.stderr).toContain('::error file=videos/bad.yaml');
  });
});
