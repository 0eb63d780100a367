import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as schema } from '../../src/commands/schema.js';
import { run as validate } from '../../src/commands/validate.js';
import { callCommand, requireBuild, runCli } from '../helpers/cli.js';
import { MANIFEST_HEADER as HEADER, project, ROOT, snapshot } from '../helpers/project.js';

const roots: string[] = [];
const make = (files: Parameters<typeof project>[0]): string => {
  const root = project(files);
  roots.push(root);
  return root;
};
beforeAll(requireBuild);
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('reel validate', () => {
  it('accepts the example library and summarises it', async () => {
    const before = snapshot(join(ROOT, 'videos'));
    const r = await callCommand(validate, {}, ROOT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('8 videos in 3 files: valid (6 direct, 2 agent, 3 from data files, 1 local asset)\n');
    expect(snapshot(join(ROOT, 'videos'))).toEqual(before);
  });

  it('--json reports entries and diagnostics', async () => {
    const r = await callCommand(validate, { json: true }, ROOT);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { valid: boolean; files: number; videos: number; entries: Array<{ id: string; file: string }> };
    expect(body).toMatchObject({ valid: true, files: 3, videos: 8, errors: 0, diagnostics: [] });
    expect(body.entries[0]).toEqual({ id: 'first-steps', mode: 'direct', file: 'videos/onboarding.yaml', line: 18, col: 3 });
  });

  it('prints paths relative to the working directory', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    scrip: Hi.\n` });
    const r = await callCommand(validate, {}, root);
    expect(r.stdout.split('\n')[0]).toBe('videos/a.yaml:7:5  a  unknown key `scrip` in `a`; did you mean `script`?');
  });

  it('emits GitHub annotations in Actions', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    scrip: Hi.\n` });
    const r = await callCommand(validate, {}, root, { GITHUB_ACTIONS: 'true' });
    expect(r.stdout).toContain('::error file=videos/a.yaml,line=7,col=5::a: unknown key `scrip` in `a`; did you mean `script`?\n');
  });

  it('exits 2 when there is nothing to validate or a flag is wrong', async () => {
    const root = make({ 'README.md': 'empty' });
    const r = await runCli(['validate'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^reel: no manifests match videos\/\*\*\/\*\.\{yaml,yml\} in .*; run `reel init`/);
    expect((await runCli(['validate', '--nope'], root)).code).toBe(2);
  });
});

describe('reel schema', () => {
  it('prints the JSON Schema', async () => {
    const r = await callCommand(schema, {}, ROOT);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, 'schema', 'manifest.schema.json'), 'utf8')));
  });
});

describe('reel init', () => {
  it('scaffolds a project that validates, and keeps existing files', async () => {
    const root = make({ '.gitignore': 'node_modules/' });
    const r = await runCli(['init'], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created  videos/welcome.yaml');
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toBe('node_modules/\nout/\n.reel/\nreel.lock.pid\n.env\n');
    const v = await runCli(['validate'], root);
    expect(v.stdout).toBe('1 video in 1 file: valid (1 direct, 0 agent)\n');
    expect(v.code).toBe(0);
    const again = await runCli(['init'], root);
    expect(again.stdout).toContain('kept     videos/welcome.yaml (exists; --force overwrites)');
    expect(again.stdout).toContain('kept     .gitignore (already has node_modules/, out/, .reel/, reel.lock.pid, .env)');
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toBe('node_modules/\nout/\n.reel/\nreel.lock.pid\n.env\n');
  });
});
