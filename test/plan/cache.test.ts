import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_DIR, loadProjectCached } from '../../src/cache/manifests.js';
import { loadProject } from '../../src/manifest/index.js';
import { fingerprint } from '../../src/plan/fingerprint.js';
import { project as makeProject, removeProject, writeFiles } from '../helpers/project.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeProject));
});

const FILES = {
  'videos/a.yaml': `version: 1
defaults: { avatar: Daisy-inskirt-20220818, voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54 }
videos:
  intro:
    title: Intro
    script: Hello.
    background: { image: ../assets/bg.png }
  hello-{{ row.slug }}:
    each: ../data/leads.csv
    script: Hi {{ row.name }}!
`,
  'videos/b.yaml': `version: 1
videos:
  teaser:
    mode: agent
    prompt: A 20-second teaser.
`,
  'data/leads.csv': 'slug,name\nann,Ann\n',
  'assets/bg.png': new Uint8Array([1, 2, 3]),
};

async function project(): Promise<string> {
  const root = makeProject(FILES);
  roots.push(root);
  return root;
}

/** What a plan sees, without object identity. */
const view = (r: Awaited<ReturnType<typeof loadProject>>) => JSON.parse(JSON.stringify({ entries: r.entries, diagnostics: r.diagnostics, files: r.files }));

describe('loadProjectCached', () => {
  it('gives the same result as loadProject, cold and warm, and the same fingerprints', async () => {
    const root = await project();
    const plain = view(await loadProject(root));
    const cold = await loadProjectCached(root);
    expect(view(cold)).toEqual(plain);
    expect(await readdir(join(root, CACHE_DIR))).toEqual(['manifests.json']);
    const warm = await loadProjectCached(root);
    expect(view(warm)).toEqual(plain);
    const fresh = (await loadProject(root)).entries.map((e) => fingerprint(e));
    expect(warm.entries.map((e) => fingerprint(e))).toEqual(fresh);
  });

  it('is used when warm: a cached file is not parsed again', async () => {
    const root = await project();
    await loadProjectCached(root);
    // Tamper with the cached entry only (the manifest is untouched): a warm load must return it.
    const pack = join(root, CACHE_DIR, 'manifests.json');
    await writeFile(pack, (await readFile(pack, 'utf8')).replace('A 20-second teaser.', 'From the cache.'));
    const warm = await loadProjectCached(root);
    expect(warm.entries.find((e) => e.id === 'teaser')?.request.prompt).toBe('From the cache.');
  });

  it('notices a changed manifest, data file or asset', async () => {
    const root = await project();
    await loadProjectCached(root);
    const before = Object.fromEntries((await loadProjectCached(root)).entries.map((e) => [e.id, fingerprint(e)]));

    await writeFiles(root, { 'videos/b.yaml': FILES['videos/b.yaml'].replace('20-second', '30-second') });
    await writeFiles(root, { 'data/leads.csv': 'slug,name\nann,Annie\n' });
    await writeFiles(root, { 'assets/bg.png': new Uint8Array([9, 9, 9]) });
    const after = await loadProjectCached(root);
    expect(view(after)).toEqual(view(await loadProject(root)));
    const now = Object.fromEntries(after.entries.map((e) => [e.id, fingerprint(e)]));
    for (const id of ['teaser', 'hello-ann', 'intro']) expect(now[id]).not.toBe(before[id]);
  });

  it('never caches a file with problems, and reports them every time', async () => {
    const root = await project();
    await writeFiles(root, { 'videos/b.yaml': 'version: 1\nvideos:\n  teaser:\n    mode: agent\n    promt: x\n' });
    const first = await loadProjectCached(root);
    expect(first.diagnostics.length).toBeGreaterThan(0);
    const second = await loadProjectCached(root);
    expect(second.diagnostics).toEqual(first.diagnostics);
    const pack = JSON.parse(await readFile(join(root, CACHE_DIR, 'manifests.json'), 'utf8')) as { files: object };
    expect(Object.keys(pack.files).map((f) => f.slice(root.length))).toEqual(['/videos/a.yaml']);
    await rm(join(root, 'data/leads.csv'));
    expect((await loadProjectCached(root)).diagnostics.some((d) => /leads\.csv/.test(d.message))).toBe(true);
  });

  it('ignores a damaged cache and writes nothing when disabled', async () => {
    const root = await project();
    await loadProjectCached(root);
    await writeFile(join(root, CACHE_DIR, 'manifests.json'), '{ not json');
    expect(view(await loadProjectCached(root))).toEqual(view(await loadProject(root)));
    const other = await project();
    await loadProjectCached(other, { cache: false });
    expect(await readdir(other)).not.toContain('.reel');
  });

  it('notices a changed configuration', async () => {
    const root = await project();
    await loadProjectCached(root);
    await writeFiles(root, { 'reel.config.yaml': 'callback_url: https://hooks.example.com/reel\n' });
    const after = await loadProjectCached(root);
    expect(after.entries.find((e) => e.id === 'intro')?.request.callback_url).toBe('https://hooks.example.com/reel');
    expect(view(after)).toEqual(view(await loadProject(root)));
    expect(view(await loadProjectCached(root))).toEqual(view(after));
  });

  it('keeps reporting duplicate ids across files when every file is cached', async () => {
    const root = await project();
    await writeFiles(root, { 'videos/c.yaml': FILES['videos/b.yaml'] });
    const first = await loadProjectCached(root);
    expect(first.diagnostics.filter((d) => /duplicate id/.test(d.message))).toHaveLength(2);
    expect((await loadProjectCached(root)).diagnostics).toEqual(first.diagnostics);
  });
});
