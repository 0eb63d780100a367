import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { ShardShare } from '../../src/plan/budget.js';
import { GIT_DRIVER_COMMAND, GIT_DRIVER_NAME } from '../../src/commands/lock.js';
import { CLI, KEY, runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/project.js';

/**
 * A team on GitHub, played with real git repositories: a bare origin, developers' clones, and the
 * workflow's jobs run in its order (plan job → shard builds → lock job) against one emulator (one
 * HeyGen account). The lock job runs the workflow file's own shell steps, with `npx reel` pointing
 * at the built CLI.
 */

const SHARDS = 3;
let work: string;
let bin: string;
let emu: Emulator;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'reel-team-'));
  bin = join(work, 'bin');
  await mkdir(bin);
  // `npx reel …` and `npx --no reel …` as the workflow and the merge driver write them.
  await writeFile(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = "--no" ] && shift\n[ "$1" = "reel" ] && shift\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  await chmod(join(bin, 'npx'), 0o755);
  emu = await startEmulator({ port: 0, renderSeconds: 0.2, apiKey: KEY });
});
afterAll(async () => {
  await emu?.close();
  await rm(work, { recursive: true, force: true });
});

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: work,
    NO_COLOR: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'dev',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
    ...extra,
  };
}
/** What a runner has: the account's key (the emulator's). */
const runner = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => env({ HEYGEN_API_URL: emu.url, HEYGEN_API_KEY: KEY, REEL_POLL_MS: '30,30,100', ...extra });

function run(cmd: string, args: string[], cwd: string, e: NodeJS.ProcessEnv = env()): Promise<Out> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: e, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
async function ok(cmd: string, args: string[], cwd: string, e?: NodeJS.ProcessEnv): Promise<string> {
  const r = await run(cmd, args, cwd, e);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const git = (cwd: string, ...args: string[]): Promise<string> => ok('git', args, cwd);
/** reel as a job step runs it (in-process: the same code and output); git and bash run the built CLI through `npx`. */
const reel = async (cwd: string, args: string[], e: NodeJS.ProcessEnv): Promise<Out> => {
  const r = await runCli(args, cwd, e);
  return { code: r.code ?? 1, stdout: r.stdout, stderr: r.stderr };
};

/** One manifest file per video (as teams keep them), so that two changes to two videos merge cleanly. */
async function writeVideos(dir: string, scripts: Record<string, string>): Promise<void> {
  await rm(join(dir, 'videos'), { recursive: true, force: true });
  await mkdir(join(dir, 'videos'));
  for (const [id, script] of Object.entries(scripts)) {
    const lines = ['version: 1', 'videos:', `  ${id}:`, '    avatar: Daisy-inskirt-20220818', '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54', `    title: ${id}`, `    script: ${script}`];
    await writeFile(join(dir, 'videos', `${id}.yaml`), `${lines.join('\n')}\n`);
  }
}

async function clone(origin: string, name: string): Promise<string> {
  const dir = join(work, name);
  await git(work, 'clone', '-q', origin, dir);
  // The line `reel init` prints (and sets with --git-config) for each clone.
  await git(dir, 'config', `merge.${GIT_DRIVER_NAME}.driver`, GIT_DRIVER_COMMAND);
  return dir;
}

/** The lock job's shell steps, as the workflow file has them. */
async function lockJobSteps(): Promise<{ merge: string; push: string }> {
  const wf = parse(await readFile(join(ROOT, 'docs/github-actions.yml'), 'utf8')) as { jobs: { lock: { steps: Array<{ name?: string; run?: string }> } } };
  const step = (name: string): string => wf.jobs.lock.steps.find((s) => s.name === name)?.run as string;
  return { merge: step("Merge the shards' lock fragments"), push: step('Commit and push reel.lock') };
}
const bash = (script: string, cwd: string, e: NodeJS.ProcessEnv): Promise<Out> => run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], cwd, e);

let runs = 0;
interface Built {
  run: number;
  sha: string;
  fragments: string;
}

/** One workflow run on main, job by job, as GitHub runs it once the run before it finished. */
async function workflowRun(origin: string): Promise<{ sha: string; lockJob: Out }> {
  const built = await planAndBuild(origin);
  return { sha: built.sha, lockJob: await lockJob(origin, built) };
}

/** The plan job and the shard builds of a run. */
async function planAndBuild(origin: string): Promise<Built> {
  runs += 1;
  // plan: the tip of main (not the event's commit).
  const planDir = await clone(origin, `run${runs}-plan`);
  await git(planDir, 'checkout', '-q', 'main');
  const sha = (await git(planDir, 'rev-parse', 'HEAD')).trim();
  const output = join(work, `run${runs}-output`);
  await writeFile(output, '');
  const plan = await reel(planDir, ['plan', '--shares', String(SHARDS), '--max-videos', '50'], runner({ GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output }));
  expect(plan.code, plan.stderr).toBe(0);
  const shares = (JSON.parse((await readFile(output, 'utf8')).trim().slice('matrix='.length)) as { include: ShardShare[] }).include;

  // build: every shard from the planned commit, its fragment "uploaded".
  const fragments = join(work, `run${runs}-fragments`);
  await mkdir(fragments);
  for (const s of shares) {
    const dir = await clone(origin, `run${runs}-build${s.shard}`);
    await git(dir, 'checkout', '-q', sha);
    const b = await reel(dir, ['build', '--yes', '--shard', `${s.shard}/${s.of}`, '--max-videos', String(s.max_videos)], runner());
    expect(b.code, b.stderr + b.stdout).toBe(0);
    await ok('cp', [join(dir, `.reel/shards/reel.lock.${s.shard}-of-${s.of}`), fragments], work);
  }

  return { run: runs, sha, fragments };
}

/** The lock job: merge the fragments into the planned commit's lock, then rebase onto main and push. */
async function lockJob(origin: string, { run: n, sha, fragments }: Built): Promise<Out> {
  const lockDir = join(work, `run${n}-lock`);
  await git(work, 'clone', '-q', origin, lockDir);
  await git(lockDir, 'checkout', '-q', sha);
  await ok('cp', ['-r', fragments, join(lockDir, 'shards')], work);
  const steps = await lockJobSteps();
  const jobEnv = runner({ SHA: sha, BRANCH: 'main' });
  const merged = await bash(steps.merge, lockDir, jobEnv);
  expect(merged.code, merged.stderr).toBe(0);
  return bash(steps.push, lockDir, jobEnv);
}

async function lockAt(origin: string, rev: string): Promise<{ videos: Record<string, { video_id?: string; fingerprint: string; status: string }> }> {
  return JSON.parse(await git(origin, 'show', `${rev}:reel.lock`)) as { videos: Record<string, { video_id?: string; fingerprint: string; status: string }> };
}

/** Merge `branch` into main in `dir` (a merged pull request) and push. */
async function mergePullRequest(dir: string, branch: string): Promise<string> {
  await git(dir, 'fetch', '-q', 'origin');
  await git(dir, 'checkout', '-q', 'main');
  await git(dir, 'reset', '-q', '--hard', 'origin/main');
  await git(dir, 'merge', '-q', '--no-ff', '--no-edit', branch);
  await git(dir, 'push', '-q', 'origin', 'main');
  return (await git(dir, 'rev-parse', 'HEAD')).trim();
}

describe('a team merging on GitHub, with the workflow and the reel.lock merge driver', () => {
  it('two merges close together: both runs’ lock records survive and no video renders twice', async () => {
    const origin = join(work, 'origin.git');
    await git(work, 'init', '-q', '--bare', '-b', 'main', origin);
    const seed = join(work, 'seed');
    await git(work, 'clone', '-q', origin, seed);
    await ok(process.execPath, [CLI, 'init'], seed, env()); // .gitattributes, .gitignore, reel.config.yaml
    await writeVideos(seed, { alpha: 'Alpha one.', beta: 'Beta one.', carol: 'Carol one.', dave: 'Dave one.' });
    await git(seed, 'add', '-A');
    await git(seed, 'commit', '-qm', 'videos');
    await git(seed, 'push', '-q', 'origin', 'HEAD:main');

    const run0 = await workflowRun(origin);
    expect(run0.lockJob.code, run0.lockJob.stderr).toBe(0);
    const initial = await lockAt(origin, 'main');
    expect(Object.keys(initial.videos).sort()).toEqual(['alpha', 'beta', 'carol', 'dave']);
    expect(emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/videos')).toHaveLength(4);

    // Both developers start from main after the first build.
    const devA = await clone(origin, 'dev-a');
    const devB = await clone(origin, 'dev-b');

    // A changes alpha; the merge starts run 1.
    await git(devA, 'checkout', '-q', '-b', 'alpha');
    await writeVideos(devA, { alpha: 'Alpha two.', beta: 'Beta one.', carol: 'Carol one.', dave: 'Dave one.' });
    await git(devA, 'commit', '-qam', 'alpha: new script');
    const mergeA = await mergePullRequest(devA, 'alpha');

    // B changes carol and drops beta (and its lock entry, with a local build that only removes).
    await git(devB, 'checkout', '-q', '-b', 'carol');
    await writeVideos(devB, { alpha: 'Alpha one.', carol: 'Carol two.', dave: 'Dave one.' });
    const removal = await reel(devB, ['build', '--yes', '--target', 'beta'], env());
    expect(removal.code, removal.stderr).toBe(0);
    await git(devB, 'add', '-A');
    await git(devB, 'commit', '-qm', 'carol: new script; beta removed');
    await git(devB, 'fetch', '-q', 'origin');
    await git(devB, 'merge', '-q', '--no-edit', 'origin/main'); // A's alpha change: manifest only, merges cleanly
    // Run 1 has planned and built when B's pull request is merged: run 2 waits in the queue.
    const built1 = await planAndBuild(origin);
    expect(built1.sha).toBe(mergeA);
    const mergeB = await mergePullRequest(devB, 'carol');
    const run1 = { sha: built1.sha, lockJob: await lockJob(origin, built1) };

    // Run 1's lock job rebased over B's merge, which had changed reel.lock too: the driver merged it.
    expect(run1.lockJob.code, run1.lockJob.stdout + run1.lockJob.stderr).toBe(0);
    expect(run1.lockJob.stderr).toContain('reel: merged reel.lock video by video');
    const afterRun1 = await lockAt(origin, 'main');
    expect(afterRun1.videos.beta).toBeUndefined(); // B's removal kept
    expect(afterRun1.videos.alpha?.video_id).not.toBe(initial.videos.alpha?.video_id); // run 1's record kept

    // Run 2 starts from the tip: B's merge plus run 1's lock commit, not B's merge commit alone.
    const eventCheckout = join(work, 'event-checkout');
    await git(work, 'clone', '-q', origin, eventCheckout);
    await git(eventCheckout, 'checkout', '-q', mergeB);
    const eventPlan = await reel(eventCheckout, ['plan'], runner());
    expect(eventPlan.stdout).toMatch(/~ alpha/); // the event's commit would render alpha a second time

    const run2 = await workflowRun(origin);
    expect(run2.sha).not.toBe(mergeB);
    expect(run2.lockJob.code, run2.lockJob.stderr).toBe(0);

    const final = await lockAt(origin, 'main');
    expect(Object.keys(final.videos).sort()).toEqual(['alpha', 'carol', 'dave']);
    expect(final.videos.alpha).toEqual(afterRun1.videos.alpha); // run 1's record survived run 2
    expect(final.videos.carol?.video_id).not.toBe(initial.videos.carol?.video_id); // run 2's record
    expect(final.videos.dave).toEqual(initial.videos.dave);

    // Every create was a different render: 4 first, alpha in run 1, carol in run 2.
    const creates = emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/videos');
    expect(creates).toHaveLength(6);
    expect(new Set(creates.map((r) => r.idempotency_key)).size).toBe(6);
    const plan = await reel(eventCheckout, ['plan', '--detailed-exitcode'], runner());
    await git(eventCheckout, 'fetch', '-q', 'origin');
    await git(eventCheckout, 'checkout', '-q', 'origin/main');
    const done = await reel(eventCheckout, ['plan', '--detailed-exitcode'], runner());
    expect(plan.code).toBe(2);
    expect(done.code, done.stdout).toBe(0); // nothing left to render on main

    // A true conflict: two developers render dave differently and both commit reel.lock.
    const devC = await clone(origin, 'dev-c');
    const devD = await clone(origin, 'dev-d');
    for (const [dir, script] of [
      [devC, 'Dave from C.'],
      [devD, 'Dave from D.'],
    ] as const) {
      await writeVideos(dir, { alpha: 'Alpha two.', carol: 'Carol two.', dave: script });
      const b = await reel(dir, ['build', '--yes', '--target', 'dave'], runner());
      expect(b.code, b.stderr).toBe(0);
      await git(dir, 'commit', '-qam', `dave: ${script}`);
    }
    await git(devC, 'push', '-q', 'origin', 'HEAD:main');
    const pull = await run('git', ['pull', '--no-rebase', '--no-edit', 'origin', 'main'], devD);
    expect(pull.code).not.toBe(0);
    const both = [await lockAt(devC, 'HEAD'), await lockAt(devD, 'HEAD')].map((l) => l.videos.dave?.video_id as string);
    expect(pull.stdout + pull.stderr).toMatch(/conflict: dave\n.*\(base\): completed video .*\n.*\(ours\): completed video .*\n.*\(theirs\): completed video /);
    const text = await readFile(join(devD, 'reel.lock'), 'utf8');
    const ours = text.slice(text.indexOf('<<<<<<<'), text.indexOf('======='));
    const theirs = text.slice(text.indexOf('======='), text.indexOf('>>>>>>>'));
    expect(ours).toContain(both[1]);
    expect(theirs).toContain(both[0]);
    const refused = await reel(devD, ['plan'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/reel\.lock:\d+:\d+: unresolved git merge conflict/);
  }, 300_000);
});
