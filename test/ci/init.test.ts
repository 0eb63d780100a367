import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/project.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('reel init --ci github', () => {
  it('writes the workflow (the docs copy, which workflow.test.ts lints with actionlint), .gitattributes, .gitignore and the merge driver', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-init-'));
    dirs.push(dir);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    await writeFile(join(dir, '.gitattributes'), '*.png binary\n');
    const r = await runCli(['init', '--ci', 'github', '--git-config'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(dir, '.github/workflows/videos.yml'), 'utf8')).toBe(await readFile(join(ROOT, 'docs/github-actions.yml'), 'utf8'));
    expect(await readFile(join(dir, '.gitattributes'), 'utf8')).toBe('*.png binary\nreel.lock merge=reel-lock\n');
    expect((await readFile(join(dir, '.gitignore'), 'utf8')).split('\n')).toEqual(expect.arrayContaining(['node_modules/', 'out/', '.reel/']));
    expect(execFileSync('git', ['config', '--get', 'merge.reel-lock.driver'], { cwd: dir, encoding: 'utf8' }).trim()).toBe('npx --no reel lock merge --driver %O %A %B %P');
    expect(r.stdout).toContain('npx reel plan');
    expect(r.stdout).toContain('npx reel build --emulator');
    expect(r.stdout).toContain('npx reel watch');

    // Run again: nothing duplicated, nothing overwritten.
    const again = await runCli(['init', '--ci', 'github'], dir);
    expect(again.stdout).toContain('kept     .github/workflows/videos.yml');
    expect(again.stdout).toContain('kept     git merge driver reel-lock (configured)');
    expect(await readFile(join(dir, '.gitattributes'), 'utf8')).toBe('*.png binary\nreel.lock merge=reel-lock\n');
  });

  it('prints the git config line without --git-config, and refuses an unknown CI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-init-'));
    dirs.push(dir);
    const r = await runCli(['init'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('git config merge.reel-lock.driver "npx --no reel lock merge --driver %O %A %B %P"');
    const bad = await runCli(['init', '--ci', 'gitlab'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ci supports `github`');
  });
});
