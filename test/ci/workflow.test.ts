import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../src/cli-options.js';
import { ROOT } from '../helpers/project.js';

interface Step { run?: string; uses?: string; if?: string; with?: Record<string, unknown> }
interface Job { if?: string; needs?: string; strategy?: { matrix?: { shard?: number[] } }; permissions?: Record<string, string>; steps: Step[] }
interface Workflow { on: Record<string, unknown>; concurrency: { group: string; 'cancel-in-progress': string }; env: { SHARDS: number }; jobs: Record<string, Job> }

const load = async (): Promise<{ text: string; wf: Workflow }> => {
  const text = await readFile(join(ROOT, 'docs/github-actions.yml'), 'utf8');
  return { text, wf: parse(text) as Workflow };
};

/** `npx reel <command> [flags…]` invocations in the workflow's run steps. */
function invocations(wf: Workflow): string[][] {
  const out: string[][] = [];
  for (const job of Object.values(wf.jobs)) {
    for (const step of job.steps) {
      for (const match of (step.run ?? '').matchAll(/npx reel ([^\n;>|&]+)/g)) out.push((match[1] as string).trim().split(/\s+/));
    }
  }
  return out;
}

describe('the example GitHub Actions workflow', () => {
  it('uses only commands and flags reel has', async () => {
    const { wf } = await load();
    const calls = invocations(wf);
    expect(calls.map((c) => c[0]).sort()).toEqual(['build', 'lock', 'plan', 'validate']);
    for (const [name, ...rest] of calls) {
      const spec = COMMANDS.find((c) => c.name === name);
      expect(spec, name).toBeDefined();
      const known = spec!.options.flatMap((o) => o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')));
      for (const flag of rest.filter((a) => a.startsWith('--'))) expect(known, `${name} ${flag}`).toContain(flag);
    }
  });

  it('plans on pull requests, builds a matrix on main, merges the fragments and never builds twice at once', async () => {
    const { wf, text } = await load();
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect(wf.concurrency.group).toContain("'reel-build'");
    expect(wf.jobs.plan?.permissions?.['pull-requests']).toBe('write');
    expect(wf.jobs.build?.strategy?.matrix?.shard).toEqual(Array.from({ length: wf.env.SHARDS }, (_, i) => i + 1));
    expect(text).toContain('--shard ${{ matrix.shard }}/${{ env.SHARDS }}');
    expect(text).toContain('secrets.HEYGEN_API_KEY');
    const upload = wf.jobs.build?.steps.find((s) => s.with?.path === '.reel/shards/');
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.['include-hidden-files']).toBe(true);
    expect(wf.jobs.lock?.needs).toBe('build');
    expect(wf.jobs.lock?.permissions?.contents).toBe('write');
    expect(text).toMatch(/npx reel lock merge shards\/reel\.lock\.\*/);
    expect(text).toContain('git push');
  });
});
