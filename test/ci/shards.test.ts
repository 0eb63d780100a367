import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/util/shard.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { directManifest, project, readLockJson } from '../helpers/project.js';
import { creates, emulatorPerFile } from '../helpers/emulator.js';

const shared = emulatorPerFile(0.2);
const dirs = shared.dirs;

const N = 3;
const env = (): NodeJS.ProcessEnv => cliEnv(shared.emulator(), { REEL_POLL_MS: '30,30,100' });

/** A checkout per CI job: the same commit copied into its own folder. */
async function checkout(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reel-shard-'));
  dirs.push(dir);
  await cp(from, dir, { recursive: true });
  return dir;
}

async function shardedBuild(main: string): Promise<string[]> {
  const fragments: string[] = [];
  for (let k = 1; k <= N; k += 1) {
    const job = await checkout(main);
    const r = await runCli(['build', '--yes', '--shard', `${k}/${N}`], job, env());
    expect(r.code, r.stderr).toBe(0);
    fragments.push(join(job, `.reel/shards/reel.lock.${k}-of-${N}`));
  }
  return fragments;
}

describe('sharded builds and reel lock merge', () => {
  it('N shards render every video exactly once; merging their fragments gives a lock with nothing left to do', async () => {
    const main = await project({ 'videos/a.yaml': directManifest(12) });
    dirs.push(main);
    const fragments = await shardedBuild(main);
    expect(creates(shared.emulator())).toBe(12);

    for (const [i, file] of fragments.entries()) {
      const fragment = JSON.parse(await readFile(file, 'utf8')) as { shard: { index: number; count: number }; videos: Record<string, unknown> };
      expect(fragment.shard).toEqual({ index: i + 1, count: N });
      expect(Object.keys(fragment.videos).every((id) => shardOf(id, N) === i + 1)).toBe(true);
    }

    const merged = await runCli(['lock', 'merge', ...fragments], main, env());
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/Merged 3 lockfiles into reel.lock: 12 added, 0 updated, 0 removed\./);
    const lock = await readLockJson(main);
    expect(Object.keys(lock.videos)).toHaveLength(12);
    expect(Object.values(lock.videos).every((v) => v.status === 'completed')).toBe(true);

    const plan = await runCli(['plan', '--detailed-exitcode'], main, env());
    expect(plan.code).toBe(0);
    // Merging again is a no-op.
    const again = await runCli(['lock', 'merge', ...fragments], main, env());
    expect(again.stdout).toMatch(/0 added, 0 updated, 0 removed/);
    expect(await readLockJson(main)).toEqual(lock);
  });

  it('an edit re-renders only in the shard that owns the video; removals travel through the fragment', async () => {
    const main = await project({ 'videos/a.yaml': directManifest(6) });
    dirs.push(main);
    await runCli(['lock', 'merge', ...(await shardedBuild(main))], main, env());
    const before = await readLockJson(main);

    // v002 changes, v006 is deleted from the manifest.
    const edited = directManifest(6, (i) => (i === 2 ? ' Now with more words.' : '')).replace(/ {2}v006:\n.*\n.*\n/, '');
    await writeFile(join(main, 'videos/a.yaml'), edited);
    const createsBefore = creates(shared.emulator());
    const merged = await runCli(['lock', 'merge', ...(await shardedBuild(main))], main, env());
    expect(merged.code, merged.stderr).toBe(0);
    // v002 re-rendered; the others were downloaded again (no out/ in a checkout) with the bytes the
    // lock records, which leaves their entries as they were (no churn).
    expect(merged.stdout).toMatch(/0 added, 1 updated, 1 removed/);
    // One render, in v002's shard; the other shards only download their files again (no out/ in a checkout).
    expect(creates(shared.emulator()) - createsBefore).toBe(1);
    const after = await readLockJson(main);
    expect(Object.keys(after.videos).sort()).toEqual(['v001', 'v002', 'v003', 'v004', 'v005']);
    expect(after.videos.v002?.video_id).not.toBe(before.videos.v002?.video_id);
    expect(after.videos.v001?.video_id).toBe(before.videos.v001?.video_id);
    expect(after.videos.v001?.output?.sha256).toBe(before.videos.v001?.output?.sha256);
    expect(after.videos.v001).toEqual(before.videos.v001);
  });

  it('reports conflicting fragments and leaves reel.lock untouched', async () => {
    const main = await project({ 'videos/a.yaml': directManifest(2) });
    dirs.push(main);
    const one = await checkout(main);
    const two = await checkout(main);
    // Two unsharded builds of the same videos: both "own" every id, with different renders.
    await runCli(['build', '--yes'], one, env());
    await runCli(['build', '--yes'], two, env());
    const merged = await runCli(['lock', 'merge', join(one, 'reel.lock'), join(two, 'reel.lock')], main, env());
    expect(merged.code).toBe(1);
    expect(merged.stderr).toMatch(/^conflict: v001$/m);
    expect(merged.stderr).toMatch(/reel: 2 conflicting videos; reel.lock was not changed\./);
    await expect(readFile(join(main, 'reel.lock'))).rejects.toThrow(/ENOENT/);

    const json = await runCli(['lock', 'merge', '--json', join(one, 'reel.lock'), join(two, 'reel.lock')], main, env());
    const body = JSON.parse(json.stdout) as { merged: boolean; conflicts: Array<{ id: string; sides: unknown[] }> };
    expect(body.merged).toBe(false);
    expect(body.conflicts.map((c) => c.id)).toEqual(['v001', 'v002']);
  });

  it('usage errors exit 2', async () => {
    const main = await project({ 'videos/a.yaml': directManifest(1) });
    dirs.push(main);
    const wrong = await runCli(['lock', 'squash', 'x'], main, env());
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/only one is `reel lock merge FILES…`/);
    const shard = await runCli(['build', '--shard', '4/3'], main, env());
    expect(shard.code).toBe(2);
    const missing = await runCli(['lock', 'merge', 'nope.lock'], main, env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read nope\.lock/);
  });
});
