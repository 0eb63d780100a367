import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/project.js';
import { actionlint } from '../helpers/actionlint.js';

/**
 * The way a team gets reel, end to end and slow (npm installs from its cache, so it works
 * offline once the repository's own `npm ci` has run): a fresh clone of this repository, the
 * README's quick start, `npm pack`, and a new project installing the tarball.
 */

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The machine's environment without the test run's npm settings or any HeyGen key. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && !k.startsWith('HEYGEN_') && !k.startsWith('GITHUB_')));
}

function sh(cmd: string, args: string[], cwd: string, timeout = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...cleanEnv(), NO_COLOR: '1' }, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const npmQuiet = ['--prefer-offline', '--no-audit', '--no-fund'];

describe('installing reel', () => {
  it('a fresh clone: `npm ci` runs no build, `npx reel build --emulator` works; its tarball installs into an empty project that `reel init --ci github` sets up', async () => {
    const work = await mkdtemp(join(tmpdir(), 'reel-install-'));
    dirs.push(work);
    const clone = join(work, 'reel');
    expect((await sh('git', ['clone', '-q', ROOT, clone], work)).code).toBe(0);

    const ci = await sh('npm', ['ci', ...npmQuiet], clone);
    expect(ci.code, ci.stderr).toBe(0);
    expect(existsSync(join(clone, 'dist'))).toBe(false); // no install-time build (no `prepare`)

    // The README's quick start.
    const quick = await sh('npx', ['reel', 'build', '--emulator'], clone);
    expect(quick.code, quick.stderr + quick.stdout).toBe(0);
    expect(quick.stdout).toMatch(/Build finished: \d+ completed/);
    expect((await readdir(join(clone, 'out'))).some((f) => f.endsWith('.mp4'))).toBe(true);

    const pack = await sh('npm', ['pack', '--pack-destination', work], clone);
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = join(work, pack.stdout.trim().split('\n').pop() as string);
    const listing = await sh('tar', ['tzf', tarball], work);
    for (const file of ['package/bin/reel.js', 'package/dist/cli.js', 'package/docs/github-actions.yml', 'package/docs/ci.md', 'package/schema/manifest.schema.json']) {
      expect(listing.stdout).toContain(file);
    }

    const app = join(work, 'app');
    await sh('mkdir', [app], work);
    await writeFile(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    const install = await sh('npm', ['i', '-D', tarball, ...npmQuiet], app);
    expect(install.code, install.stderr).toBe(0);
    const init = await sh('npx', ['reel', 'init', '--ci', 'github'], app);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('created  .github/workflows/videos.yml');
    const plan = await sh('npx', ['reel', 'plan'], app);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('+ welcome');
    const lint = await actionlint(app);
    expect(lint.ok, lint.output).toBe(true);
  }, 600_000);
});
