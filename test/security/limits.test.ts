import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv, runProcess, testEnv } from '../helpers/cli.js';
import { directManifest, project, removedAfterAll } from '../helpers/project.js';

/** Large inputs: no recursion that grows with the input, and signals honoured while busy. */
const dirs = removedAfterAll();
const HEAD = 'version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n';

async function csvProject(rows: number): Promise<string> {
  const lines = ['slug,name'];
  for (let i = 0; i < rows; i++) lines.push(`c${i},Customer ${i}`);
  const dir = await project({
    'data/rows.csv': `${lines.join('\n')}\n`,
    'videos/a.yaml': `${HEAD}  hello-{{ row.slug }}:\n    each: ../data/rows.csv\n    script: Hi {{ row.name }}!\n`,
  });
  dirs.push(dir);
  return dir;
}

describe.concurrent('large inputs', () => {
  // Node's default stack (about 984 KB) overflows on a spread or a recursion over about 125,000
  // items; a fifth of it (200 KB) overflows at about 25,000. So 40,000 rows on that stack stand for
  // 200,000 on the default, at a quarter of the cost of planning 150,000.
  const SMALL_STACK = ['--stack-size=200'];
  it('plans 40,000 CSV rows on a fifth of the default stack (as 200,000 on the default)', async () => {
    const dir = await csvProject(40_000);
    const r = await runProcess(['plan', '--json'], dir, cliEnv(undefined), { nodeOptions: SMALL_STACK });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { changes: unknown[] };
    expect(body.changes).toHaveLength(40_000);
    const human = await runProcess(['plan'], dir, cliEnv(undefined, { REEL_CACHE: '0' }), { nodeOptions: SMALL_STACK });
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('40000 to create');
  }, 240_000);

  it('the small stack does catch a spread over the rows', async () => {
    // What the test above relies on, in the same node: 40,000 arguments overflow a 200 KB stack.
    const { spawnSync } = await import('node:child_process');
    const probe = spawnSync(process.execPath, [...SMALL_STACK, '-e', 'const a = new Array(40000).fill(1); [].push(...a);'], { encoding: 'utf8' });
    expect(probe.status).not.toBe(0);
    expect(probe.stderr).toContain('Maximum call stack size exceeded');
  });

  it('SIGTERM while loading a large CSV stops reel with exit 130', async () => {
    const dir = await csvProject(150_000);
    const child = spawn(process.execPath, [CLI, 'validate'], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Once the CLI is up and busy (it prints nothing until done), ask it to stop. Loading 150,000
    // rows takes about 2 s on a quiet machine (longer under load), so 600 ms lands inside it; at
    // 1.5 s a fast machine had already finished and printed its result.
    await new Promise((resolve) => setTimeout(resolve, 600));
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    // Either the signal came before reel listened for it (the default action ends the process), or
    // reel stopped at its next breath; never a finished validation.
    expect(stdout).not.toContain('valid');
    if (signal === null) {
      expect(code).toBe(130);
      expect(stderr).toContain('reel: stopping');
    } else expect(signal).toBe('SIGTERM');
  }, 120_000);

  it('a larger build adds no abort listener per request (no MaxListenersExceeded warning)', async () => {
    // Both builds at once: each mostly waits on its renders.
    const builds = ['4', '20'].map(async (concurrency) => {
      const dir = await project({ 'videos/a.yaml': directManifest(24, () => '\n    captions: true') });
      dirs.push(dir);
      // A real process: Node prints the warning on the process's own stderr.
      return runProcess(['build', '--emulator', '--concurrency', concurrency], dir, cliEnv(undefined));
    });
    for (const r of await Promise.all(builds)) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/24 completed/);
      expect(r.stderr).not.toMatch(/MaxListeners|memory leak/);
    }
  }, 120_000);
});
