import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv, runCli, runProcess, testEnv } from '../helpers/cli.js';
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

describe('large inputs', () => {
  it('plans 150,000 CSV rows without running out of stack', async () => {
    const dir = await csvProject(150_000);
    const r = await runCli(['plan', '--json'], dir, cliEnv(undefined));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { changes: unknown[] };
    expect(body.changes).toHaveLength(150_000);
    const human = await runCli(['plan'], dir, cliEnv(undefined, { REEL_CACHE: '0' }));
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('150000 to create');
  }, 240_000);

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
    for (const concurrency of ['4', '20']) {
      const dir = await project({ 'videos/a.yaml': directManifest(40, () => '\n    captions: true') });
      dirs.push(dir);
      // A real process: Node prints the warning on the process's own stderr.
      const r = await runProcess(['build', '--emulator', '--concurrency', concurrency], dir, cliEnv(undefined));
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/40 completed/);
      expect(r.stderr).not.toMatch(/MaxListeners|memory leak/);
    }
  }, 120_000);
});
