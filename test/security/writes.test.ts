import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.js';
import { project, removedAfterAll } from '../helpers/project.js';

/** Where reel writes: never outside the project, and its cache never makes plan and build disagree. */
const dirs = removedAfterAll();
const MANIFEST = (script: string): string => `version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n  b:\n    script: ${script}\n`;

describe('.reel/cache', () => {
  it('a tampered cache cannot make plan show fewer renders than build makes', async () => {
    const dir = await project({ 'videos/a.yaml': MANIFEST('Hello.').replace('  b:', '  a:'), 'videos/b.yaml': MANIFEST('Hello.') });
    dirs.push(dir);
    const env = cliEnv(undefined);
    expect((await runCli(['build', '--emulator'], dir, env)).code).toBe(0);
    expect((await runCli(['plan', '--emulator'], dir, env)).stdout).toMatch(/^No changes/);
    // b changes; the cache is edited so that b's new bytes map to b's old result.
    const packPath = join(dir, '.reel/cache/manifests.json');
    const pack = await readFile(packPath, 'utf8');
    const oldKey = createHash('sha256').update(MANIFEST('Hello.')).digest('hex');
    await writeFile(join(dir, 'videos/b.yaml'), MANIFEST('Hello again.'));
    const newKey = createHash('sha256').update(MANIFEST('Hello again.')).digest('hex');
    await writeFile(packPath, pack.replaceAll(oldKey, newKey));
    const plan = await runCli(['plan', '--emulator', '--json'], dir, env);
    const changes = (JSON.parse(plan.stdout) as { changes: Array<{ id: string; action: string }> }).changes;
    expect(changes.filter((c) => c.action !== 'unchanged').map((c) => [c.id, c.action])).toEqual([['b', 'update']]);
    const build = await runCli(['build', '--emulator', '--json'], dir, env);
    expect(build.code).toBe(0);
    const results = build.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; id?: string; action?: string; result?: string });
    expect(results.filter((e) => e.type === 'result').map((e) => [e.id, e.action, e.result])).toEqual([['b', 'update', 'completed']]);
  });

  it('a `.reel` symlinked out of the project is neither written nor read', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'reel-outside-'));
    const dir = await project({ 'videos/b.yaml': MANIFEST('Hello.') });
    dirs.push(outside, dir);
    await symlink(outside, join(dir, '.reel'));
    const plan = await runCli(['plan'], dir, cliEnv(undefined));
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/\+ b/);
    expect(await readdir(outside)).toEqual([]);
  });

  it('a `.reel/cache` symlinked out of the project is neither written nor read', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'reel-outside-'));
    const dir = await project({ 'videos/b.yaml': MANIFEST('Hello.') });
    dirs.push(outside, dir);
    await mkdir(join(dir, '.reel'));
    await symlink(outside, join(dir, '.reel/cache'));
    expect((await runCli(['plan'], dir, cliEnv(undefined))).code).toBe(0);
    expect(await readdir(outside)).toEqual([]);
    await rm(join(dir, '.reel/cache'));
  });
});

describe('reel init', () => {
  it('does not scaffold through a folder symlinked out of the project', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'reel-outside-'));
    const dir = await project({ 'README.md': 'empty' });
    dirs.push(elsewhere, dir);
    await symlink(elsewhere, join(dir, 'videos'));
    const r = await runCli(['init'], dir, cliEnv(undefined));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to write videos\/welcome\.yaml: it resolves \(through a symlink\) to .*, outside the project/);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});
