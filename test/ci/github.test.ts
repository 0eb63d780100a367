import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAIL_TRIGGER } from '../../src/emulator/index.js';
import { workflowCommand } from '../../src/report/github.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { directManifest, project } from '../helpers/project.js';
import { emulatorPerFile } from '../helpers/emulator.js';

const shared = emulatorPerFile(0.2);
const dirs = shared.dirs;

async function ghProject(files: Record<string, string>): Promise<{ cwd: string; env: NodeJS.ProcessEnv; summary: string }> {
  const cwd = await project(files);
  dirs.push(cwd);
  const summary = join(cwd, 'step-summary.md');
  await writeFile(summary, '');
  const env = cliEnv(shared.emulator(), {
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/videos',
    GITHUB_RUN_ID: '77',
    REEL_POLL_MS: '30,30,100',
  });
  return { cwd, env, summary };
}

describe('GitHub Actions output', () => {
  it('escapes workflow command data and properties', () => {
    expect(workflowCommand('error', 'a%b\nc', { file: 'videos/x,y.yaml', line: 7, col: 5, title: 'a: b' })).toBe('::error file=videos/x%2Cy.yaml,line=7,col=5,title=a%3A b::a%25b%0Ac\n');
  });

  it('plan appends its table to the job summary; outside Actions nothing is written', async () => {
    const { cwd, env, summary } = await ghProject({ 'videos/a.yaml': directManifest(3) });
    const r = await runCli(['plan', '--markdown'], cwd, env);
    expect(r.code).toBe(0);
    const text = await readFile(summary, 'utf8');
    expect(text).toMatch(/^<!-- reel plan -->\n### reel plan: 3 to create/);
    expect(text).toContain('| `+` | `v001` | create |');
    // stdout stays exactly the markdown (it is posted as the PR comment).
    expect(r.stdout).toBe(text.trimEnd() + '\n');

    await writeFile(summary, '');
    const plain = await runCli(['plan'], cwd, { ...env, GITHUB_ACTIONS: '' });
    expect(plain.code).toBe(0);
    expect(await readFile(summary, 'utf8')).toBe('');
  });

  it('plan and build annotate manifest errors at file, line and col', async () => {
    const { cwd, env } = await ghProject({ 'videos/a.yaml': 'version: 1\nvideos:\n  bad:\n    script: Hi\n    colour: red\n' });
    for (const command of [['plan'], ['build', '--yes']]) {
      const r = await runCli(command, cwd, env);
      expect(r.code, command[0]).toBe(1);
      expect(r.stdout, command[0]).toMatch(/^::error file=videos\/a\.yaml,line=5,col=5::bad: /m);
    }
    expect(shared.emulator().requests()).toHaveLength(0);
  });

  it('build annotates failed renders at their manifest entry and summarises results with links', async () => {
    const manifest = directManifest(3, (i) => (i === 2 ? ` ${FAIL_TRIGGER}` : ''));
    const { cwd, env, summary } = await ghProject({ 'videos/a.yaml': manifest });
    const r = await runCli(['build', '--yes'], cwd, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=videos\/a\.yaml,line=9,col=3,title=reel build%3A v002::rendering_failed: /m);
    expect(r.stdout.match(/^::error/gm)).toHaveLength(1);
    const text = await readFile(summary, 'utf8');
    expect(text).toMatch(/### reel build\n\nBuild finished: 2 completed, 1 failed/);
    expect(text).toContain('| ✅ | `v001` | create | completed |');
    expect(text).toContain('[`out/v001.mp4`](https://github.com/acme/videos/actions/runs/77#artifacts)');
    expect(text).toMatch(/\| ❌ \| `v002` \| create \| failed \|/);
    expect(text).toMatch(/- `v002`: rendering_failed: /);

    // REEL_OUTPUT_URL: where the workflow publishes out/, for direct links.
    await writeFile(join(cwd, 'videos/a.yaml'), directManifest(1));
    await rm(join(cwd, 'reel.lock'));
    await writeFile(summary, '');
    const published = await runCli(['build', '--yes'], cwd, { ...env, REEL_OUTPUT_URL: 'https://cdn.example.com/videos/' });
    expect(published.code).toBe(0);
    expect(await readFile(summary, 'utf8')).toContain('[`out/v001.mp4`](https://cdn.example.com/videos/out/v001.mp4)');
  });
});
