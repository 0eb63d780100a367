/** `reel plan` and `reel explain` as a user runs them: the built binary, real files, NO_COLOR. */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openLock } from '../../src/lock/index.js';
import { lockAll } from './project.js';
import { type CliResult, requireBuild, runCli } from '../helpers/cli.js';
import { exampleProject, project, removeProject, writeFiles } from '../helpers/project.js';

function reel(cwd: string, ...args: string[]): Promise<CliResult> {
  return runCli(args, cwd);
}

async function listing(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(join(root, dir))) {
    const rel = dir ? `${dir}/${name}` : name;
    if (rel === '.reel') continue; // the cache of loaded manifests, see cache.test.ts
    if ((await stat(join(root, rel))).isDirectory()) out.push(...(await listing(root, rel)));
    else out.push(`${rel}:${(await stat(join(root, rel))).mtimeMs}`);
  }
  return out.sort();
}

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeProject));
});

/** A copy of reel's own example library (videos/, data/, assets/). */
async function examples(): Promise<string> {
  const root = exampleProject();
  roots.push(root);
  return root;
}

beforeAll(requireBuild);

describe('reel plan', () => {
  it('lists every example as create on a fresh clone, and writes nothing but its cache', async () => {
    const root = await examples();
    const before = await listing(root);
    const r = await reel(root, 'plan');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ids = r.stdout.match(/^ {2}\+ +(\S+)/gm) ?? [];
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(r.stdout).toMatch(/^\d+ to create; ~(\d+ min )?\d+ s of video to render \(\d+ videos\), estimated ~\$\d+\.\d\d\.$/m);
    expect(r.stdout).not.toContain('\u001b[');
    expect(await listing(root)).toEqual(before);

    const json = JSON.parse((await reel(root, 'plan', '--json')).stdout) as { changes: { action: string }[]; summary: { create: number } };
    expect(json.changes.every((c) => c.action === 'create')).toBe(true);
    expect(json.summary.create).toBe(ids.length);
  });

  it('says nothing changes after a build, and exits 0/2 with --detailed-exitcode', async () => {
    const root = await examples();
    expect((await reel(root, 'plan', '--detailed-exitcode')).code).toBe(2);
    await lockAll(root);
    const r = await reel(root, 'plan', '--detailed-exitcode');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No changes\. \d+ videos are up to date\.\n$/);
    const lockText = await readFile(join(root, 'reel.lock'), 'utf8');
    await writeFiles(root, {
      'videos/onboarding.yaml': (await readFile(join(root, 'videos/onboarding.yaml'), 'utf8')).replace('title: Getting help', 'title: Help'),
    });
    const meta = await reel(root, 'plan', '--detailed-exitcode');
    expect(meta.code).toBe(2);
    expect(meta.stdout).toMatch(/^ {2}\* support\s+metadata\s+videos\/onboarding\.yaml:\d+\s+title$/m);
    expect(meta.stdout).toContain('1 metadata only');
    expect(await readFile(join(root, 'reel.lock'), 'utf8')).toBe(lockText);
  });

  it('names changed fields and file:line in human, JSON and markdown output', async () => {
    const root = await examples();
    await lockAll(root);
    const file = join(root, 'videos/onboarding.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace("That's it!", 'Done!'));

    const human = await reel(root, 'plan');
    expect(human.stdout).toMatch(/^ {2}~ first-steps\s+update\s+~\d+ s\s+~\$\d+\.\d\d\s+videos\/onboarding\.yaml:\d+\s+script$/m);
    expect(human.stdout).toMatch(/= \d+ unchanged \(--verbose lists them\)/);
    expect((await reel(root, 'plan', '--verbose')).stdout).toMatch(/^ {2}= welcome\s+unchanged/m);

    const json = JSON.parse((await reel(root, 'plan', '--json')).stdout) as {
      version: number;
      changes: { id: string; action: string; changed: string[]; file: string; line: number; estimate_seconds: number }[];
    };
    expect(json.version).toBe(1);
    const change = json.changes.find((c) => c.id === 'first-steps');
    expect(change).toMatchObject({ action: 'update', changed: ['script'], file: 'videos/onboarding.yaml' });
    expect(change!.estimate_seconds).toBeGreaterThan(0);
    expect(json.changes.filter((c) => c.action === 'unchanged').length).toBeGreaterThan(3);

    const md = (await reel(root, 'plan', '--markdown')).stdout;
    expect(md).toMatch(/^<!-- reel plan -->\n### reel plan: 1 to update, \d+ unchanged/);
    expect(md).toMatch(/\| `~` \| `first-steps` \| update \| `script` \|/);
  });

  it('narrows with --target (repeatable, globs) and --shard', async () => {
    const root = await examples();
    const ids = async (t: string[]): Promise<string[]> => (JSON.parse((await reel(root, 'plan', '--json', ...t)).stdout) as { changes: { id: string }[] }).changes.map((c) => c.id);
    expect(await ids(['--target', 'hello-*', '--target', 'welcome'])).toEqual(['hello-ada', 'hello-grace', 'hello-linus', 'welcome']);
    const all = await ids([]);
    const shards = [...(await ids(['--shard', '1/2'])), ...(await ids(['--shard', '2/2']))].sort();
    expect(shards).toEqual([...all].sort());
    // A locale is planned in its source's shard.
    const first = await ids(['--shard', '1/2']);
    expect(first.includes('launch.de-de')).toBe(first.includes('launch'));
    expect(first.includes('launch.fr-fr')).toBe(first.includes('launch'));
    const bad = await reel(root, 'plan', '--shard', '3/2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shard expects K/N');
    const none = await reel(root, 'plan', '--target', 'nope-*');
    expect(none.stderr).toContain('--target nope-* matches no video');
  });

  it('puts --shares in the --json document, the same shares as on stderr, each shard its own renders', async () => {
    const root = await examples();
    const r = await reel(root, 'plan', '--json', '--shares', '2');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { changes: { id: string; render: boolean }[]; shares?: { shard: number; of: number; max_videos: number; max_seconds: number }[] };
    expect(doc.shares?.map((s) => `${s.shard}/${s.of}`)).toEqual(['1/2', '2/2']);
    const perShard = async (k: number): Promise<number> =>
      (JSON.parse((await reel(root, 'plan', '--json', '--shard', `${k}/2`)).stdout) as { changes: { render: boolean }[] }).changes.filter((c) => c.render).length;
    expect(doc.shares?.map((s) => s.max_videos)).toEqual([await perShard(1), await perShard(2)]);
    expect(doc.shares?.reduce((n, s) => n + s.max_videos, 0)).toBe(doc.changes.filter((c) => c.render).length);
    for (const s of doc.shares ?? []) expect(r.stderr).toContain(`shard ${s.shard}/2: ${s.max_videos} to render (~${s.max_seconds} s)`);
    // Without --shares the document has no `shares`.
    expect(JSON.parse((await reel(root, 'plan', '--json')).stdout)).not.toHaveProperty('shares');
  });

  it('prints diagnostics and exits 1 on an invalid project', async () => {
    const root = await project({
      'videos/a.yaml': 'version: 1\nvideos:\n  intro:\n    avatar: Daisy-inskirt-20220818\n    voice: v\n    scrpit: Hello\n',
    });
    roots.push(root);
    const r = await reel(root, 'plan');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^videos\/a\.yaml:6:5 .*scrpit/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const json = await reel(root, 'plan', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: 1, diagnostics: [{ file: 'videos/a.yaml', line: 6 }] });
  });

  it('refuses a lock from a newer reel and a conflicted lock, leaving them untouched', async () => {
    const root = await examples();
    const newer = '{ "lockfileVersion": 7, "videos": {} }\n';
    await writeFile(join(root, 'reel.lock'), newer);
    const r = await reel(root, 'plan');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^reel: reel\.lock has lockfileVersion 7, written by a newer reel/);
    expect(await readFile(join(root, 'reel.lock'), 'utf8')).toBe(newer);
    await writeFile(join(root, 'reel.lock'), '{\n<<<<<<< ours\n}\n');
    expect((await reel(root, 'plan')).stderr).toMatch(/reel\.lock:2:1: unresolved git merge conflict/);
  });

  it('notes a build that is writing the lock, and reads without waiting for it', async () => {
    const root = await examples();
    const store = await openLock(root);
    try {
      const r = await reel(root, 'plan', '--json');
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`reel: note: a build is writing reel.lock (pid ${process.pid} on `);
      expect(JSON.parse(r.stdout).version).toBe(1);
    } finally {
      await store.close();
    }
    expect((await reel(root, 'plan')).stderr).toBe('');
  });

  it('rejects --json with --markdown as a usage error', async () => {
    const root = await examples();
    const r = await reel(root, 'plan', '--json', '--markdown');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--json and --markdown cannot be used together');
  });
});

describe('reel explain', () => {
  it('names the changed fields with old and new digests and where they are written', async () => {
    const root = await examples();
    await lockAll(root);
    const file = join(root, 'videos/onboarding.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('speed: 1.05', 'speed: 1.1'));
    const r = await reel(root, 'explain', 'welcome');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^~ welcome: update\n {2}The request changed \(voice_settings\): a build renders it again as generation 2\./);
    expect(r.stdout).toMatch(/fingerprint [0-9a-f]{12} → [0-9a-f]{12}/);
    expect(r.stdout).toMatch(/^ {4}\* voice_settings\s+[0-9a-f]{16} → [0-9a-f]{16}\s+videos\/onboarding\.yaml:\d+:\d+$/m);
    const json = JSON.parse((await reel(root, 'explain', 'welcome', '--json')).stdout) as { fields: { name: string; changed: boolean }[] };
    expect(json.fields.filter((f) => f.changed).map((f) => f.name)).toEqual(['voice_settings']);
  });

  it('suggests the closest id for a typo', async () => {
    const root = await examples();
    const r = await reel(root, 'explain', 'welcom');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Did you mean "welcome"?');
  });
});
