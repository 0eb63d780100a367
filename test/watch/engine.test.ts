import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLock } from '../../src/lock/index.js';
import { loadProject } from '../../src/manifest/index.js';
import { plan } from '../../src/plan/index.js';
import { realDeps } from '../../src/watch/deps.js';
import { WatchEngine } from '../../src/watch/engine.js';
import type { ChangeBatch } from '../../src/watch/scheduler.js';
import { MAIN, PEOPLE_CSV, smallProject } from './fixtures.js';
import { completedLock } from '../plan/project.js';
import { project, removeProject, writeProjectFile } from '../helpers/project.js';

let root: string | undefined;
afterEach(() => {
  if (root) removeProject(root);
  root = undefined;
});

function batch(changed: string[] = [], added: string[] = [], removed: string[] = []): ChangeBatch {
  return { changed: new Set(changed), added: new Set(added), removed: new Set(removed) };
}

async function engineFor(files: Record<string, string>): Promise<{ engine: WatchEngine; dir: string }> {
  const dir = (root = project(files));
  const engine = new WatchEngine(dir, await realDeps());
  await engine.prepare();
  await engine.start();
  return { engine, dir };
}

/** What a cold `reel plan` says: the incremental view must always agree with it. */
async function coldPlan(dir: string): Promise<Array<[string, string, string | undefined]>> {
  const project = await loadProject(dir);
  return plan(project.entries, await readLock(dir))
    .changes.filter((c) => c.action !== 'unchanged')
    .map((c) => [c.id, c.action, c.fingerprint]);
}

function view(engine: WatchEngine): Array<[string, string, string | undefined]> {
  return engine.snapshot().changes.map((c) => [c.id, c.action, c.fingerprint]);
}

describe('WatchEngine', () => {
  it('skips a batch whose files kept their bytes', async () => {
    const { engine, dir } = await engineFor(smallProject());
    writeProjectFile(dir, 'videos/main.yaml', MAIN);
    writeProjectFile(dir, 'data/people.csv', PEOPLE_CSV);
    expect(await engine.apply(batch([join(dir, 'videos/main.yaml'), join(dir, 'data/people.csv')]))).toBeUndefined();
    // Paths the project does not use are ignored too.
    writeProjectFile(dir, 'notes.txt', 'hello');
    expect(await engine.apply(batch([join(dir, 'notes.txt')]))).toBeUndefined();
  });

  it('reloads only the manifests that read a changed data file', async () => {
    const { engine, dir } = await engineFor(smallProject());
    writeProjectFile(dir, 'data/people.csv', `${PEOPLE_CSV}cy,Cy\n`);
    const report = await engine.apply(batch([join(dir, 'data/people.csv')]));
    expect(report?.reloaded).toEqual([join(dir, 'data/people.csv'), join(dir, 'videos/people.yaml')]);
    expect(report?.delta.map((d) => [d.id, d.after?.action])).toEqual([['hello-cy', 'create']]);
  });

  it('follows a changed asset by its bytes, and agrees with a cold plan after every step', async () => {
    const files = {
      ...smallProject(),
      'assets/bg.png': 'first image bytes',
      'videos/bg.yaml':
        'version: 1\nvideos:\n  backdrop:\n    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Look at this.\n    background: { image: ../assets/bg.png }\n',
    };
    const { engine, dir } = await engineFor(files);
    writeFileSync(join(dir, 'reel.lock'), await completedLock(dir));
    await engine.apply(batch([join(dir, 'reel.lock')]));
    expect(view(engine)).toEqual([]);
    expect(view(engine)).toEqual(await coldPlan(dir));

    writeProjectFile(dir, 'assets/bg.png', 'second image bytes');
    const report = await engine.apply(batch([join(dir, 'assets/bg.png')]));
    expect(report?.delta.map((d) => [d.id, d.after?.action, d.after?.changed])).toEqual([['backdrop', 'update', ['background']]]);
    expect(view(engine)).toEqual(await coldPlan(dir));

    // Edit, add, delete: the incremental view stays equal to a cold plan.
    writeProjectFile(dir, 'videos/main.yaml', MAIN.replace('welcome to Acme.', 'hi.'));
    writeProjectFile(dir, 'videos/more.yaml', 'version: 1\nvideos:\n  more:\n    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: More.\n');
    rmSync(join(dir, 'videos/people.yaml'));
    await engine.apply(batch([join(dir, 'videos/main.yaml')], [join(dir, 'videos/more.yaml')], [join(dir, 'videos/people.yaml')]));
    expect(view(engine)).toEqual(await coldPlan(dir));
    expect(view(engine).map(([id, action]) => `${action} ${id}`)).toEqual(['update backdrop', 'remove hello-ada', 'remove hello-bob', 'create more', 'update welcome']);
  });

  it('keeps the last good state of a broken file, and never shows entries of a file that was never valid', async () => {
    const { engine, dir } = await engineFor(smallProject());
    writeProjectFile(dir, 'videos/main.yaml', 'version: 1\nvideos:\n  welcome: [unclosed\n');
    writeProjectFile(dir, 'videos/new.yaml', 'version: 1\nvideos:\n  fresh:\n    avatar: Daisy-inskirt-20220818\n    scrpt: typo\n');
    const report = await engine.apply(batch([join(dir, 'videos/main.yaml')], [join(dir, 'videos/new.yaml')]));
    expect(report?.delta).toEqual([]);
    const snap = engine.snapshot();
    expect(snap.videos).toBe(4);
    expect(snap.changes.map((c) => c.id)).toEqual(['hello-ada', 'hello-bob', 'support', 'welcome']);
    expect(snap.staleFiles).toEqual([join(dir, 'videos/main.yaml')]);
    const files = new Set(snap.diagnostics.map((d) => d.file));
    expect(files).toEqual(new Set([join(dir, 'videos/main.yaml'), join(dir, 'videos/new.yaml')]));
    expect(snap.diagnostics.some((d) => d.file.endsWith('new.yaml') && d.id === 'fresh' && d.line === 5)).toBe(true);
  });

  it('reports a duplicate id across files and plans one entry for it until it is resolved', async () => {
    const { engine, dir } = await engineFor(smallProject());
    const dup = join(dir, 'videos/zz-dup.yaml');
    writeProjectFile(dir, 'videos/zz-dup.yaml', 'version: 1\nvideos:\n  welcome:\n    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    script: Another welcome.\n');
    await engine.apply(batch([], [dup]));
    let snap = engine.snapshot();
    expect(
      snap.diagnostics
        .filter((d) => /duplicate id/.test(d.message))
        .map((d) => d.file)
        .sort(),
    ).toEqual([join(dir, 'videos/main.yaml'), dup]);
    expect(snap.changes.filter((c) => c.id === 'welcome')).toHaveLength(1);
    expect(snap.changes.find((c) => c.id === 'welcome')?.entry?.source.file).toBe(join(dir, 'videos/main.yaml'));

    rmSync(dup);
    await engine.apply(batch([], [], [dup]));
    snap = engine.snapshot();
    expect(snap.diagnostics).toEqual([]);
    expect(view(engine)).toEqual(await coldPlan(dir));
  });

  it('shows an unreadable lock as a problem, keeps the last lock, and recovers when it is fixed', async () => {
    const { engine, dir } = await engineFor(smallProject());
    const lockFile = join(dir, 'reel.lock');
    const good = await completedLock(dir);
    writeFileSync(lockFile, good);
    await engine.apply(batch([lockFile]));
    expect(view(engine)).toEqual([]);

    writeFileSync(lockFile, `<<<<<<< HEAD\n${good}=======\n{}\n>>>>>>> other\n`);
    await engine.apply(batch([lockFile]));
    const snap = engine.snapshot();
    expect(snap.diagnostics).toHaveLength(1);
    expect(snap.diagnostics[0]?.file).toBe(lockFile);
    expect(snap.diagnostics[0]?.message).toMatch(/merge conflict/);
    expect(view(engine)).toEqual([]); // still planned against the last good lock

    writeFileSync(lockFile, good);
    await engine.apply(batch([lockFile]));
    expect(engine.snapshot().diagnostics).toEqual([]);
  });
});
