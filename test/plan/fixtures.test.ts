/**
 * Fingerprint rules over real manifest files, through the real loader: what must not change the
 * fingerprint (formatting, key order, comments, anchors, moving files) and what must.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readLock } from '../../src/lock/index.js';
import { plan } from '../../src/plan/plan.js';
import { entriesOf, fingerprints, lockAll } from './project.js';
import { project as makeProject, removeProject, writeFiles } from '../helpers/project.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map(removeProject));
});
async function project(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = makeProject(files);
  roots.push(root);
  return root;
}

const BASE = `version: 1
defaults:
  avatar: Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
  aspect_ratio: "16:9"
videos:
  welcome:
    title: Welcome
    script: Hi there! Welcome to Acme.
    voice_settings: { speed: 1.05, pitch: 2 }
    background: { color: "#0B1F3A" }
    captions: true
  support:
    script: Press the question mark for help.
`;

/** Same meaning as BASE: block style instead of flow, keys reordered, comments, different quoting. */
const REFORMATTED = `# Our onboarding videos
version: 1

videos:
  support:   # shortest first
    script: "Press the question mark for help."
  welcome:
    captions: true
    background:
      color: '#0B1F3A'
    voice_settings:
      pitch: 2
      speed: 1.05
    script: >-
      Hi there! Welcome to Acme.
    title: Welcome
defaults:
  aspect_ratio: '16:9'
  voice: "2d5b0e6cf36f460aa7fc47e3eee4ba54"
  avatar: Daisy-inskirt-20220818
`;

/** Same meaning again, written with anchors and aliases. */
const ANCHORED = `version: 1
defaults:
  avatar: &look Daisy-inskirt-20220818
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
  aspect_ratio: "16:9"
videos:
  welcome:
    title: Welcome
    script: Hi there! Welcome to Acme.
    voice_settings: &voice { speed: 1.05, pitch: 2 }
    background: { color: "#0B1F3A" }
    captions: true
  support:
    avatar: *look
    script: Press the question mark for help.
`;

describe('fingerprint rules over manifest files', () => {
  it('survives reformatting, reordering keys and comments', async () => {
    const a = await fingerprints(await project({ 'videos/a.yaml': BASE }));
    const b = await fingerprints(await project({ 'videos/a.yaml': REFORMATTED }));
    expect(Object.keys(a)).toEqual(['support', 'welcome']);
    expect(b).toEqual(a);
  });

  it('survives anchors and aliases', async () => {
    const a = await fingerprints(await project({ 'videos/a.yaml': BASE }));
    expect(await fingerprints(await project({ 'videos/a.yaml': ANCHORED }))).toEqual(a);
  });

  it('survives moving an entry to another file (and another folder)', async () => {
    const a = await fingerprints(await project({ 'videos/a.yaml': BASE }));
    const split = await project({
      'videos/a.yaml': BASE.replace(/ {2}support:\n.*\n$/, ''),
      'videos/help/support.yaml': `version: 1
videos:
  support:
    avatar: Daisy-inskirt-20220818
    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
    aspect_ratio: "16:9"
    script: Press the question mark for help.
`,
    });
    expect(await fingerprints(split)).toEqual(a);
  });

  it('plans a moved, reformatted project as unchanged against the old lock', async () => {
    const root = await project({ 'videos/a.yaml': BASE });
    await lockAll(root);
    await writeFiles(root, { 'videos/a.yaml': REFORMATTED });
    const p = plan(await entriesOf(root), await readLock(root));
    expect(p.changes.map((c) => c.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('treats a changed title or callback as metadata, a changed script or voice as an update', async () => {
    const root = await project({ 'videos/a.yaml': BASE });
    await lockAll(root);
    await writeFiles(root, {
      'videos/a.yaml': BASE.replace('title: Welcome', 'title: Welcome aboard\n    callback_url: https://hooks.example.com/reel').replace('Press the question mark', 'Press the ? key'),
    });
    const p = plan(await entriesOf(root), await readLock(root));
    expect(p.changes.map((c) => [c.id, c.action, c.changed])).toEqual([
      ['support', 'update', ['script']],
      ['welcome', 'metadata', ['callback_id', 'callback_url', 'title']],
    ]);
  });

  it('treats a changed default as an update of every entry that uses it', async () => {
    const root = await project({ 'videos/a.yaml': BASE });
    await lockAll(root);
    await writeFiles(root, { 'videos/a.yaml': BASE.replace('aspect_ratio: "16:9"', 'aspect_ratio: "9:16"') });
    const p = plan(await entriesOf(root), await readLock(root));
    expect(p.changes.map((c) => [c.id, c.action, c.changed])).toEqual([
      ['support', 'update', ['aspect_ratio']],
      ['welcome', 'update', ['aspect_ratio']],
    ]);
  });

  it('follows the bytes of a local file, not its path', async () => {
    const manifest = (path: string): string => `version: 1
videos:
  bg:
    avatar: Daisy-inskirt-20220818
    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
    script: Hello.
    background: { image: ${path} }
`;
    const root = await project({ 'videos/a.yaml': manifest('../assets/bg.png'), 'assets/bg.png': new Uint8Array([1, 2, 3]) });
    const first = await fingerprints(root);
    await rm(join(root, 'assets/bg.png'));
    await writeFiles(root, { 'videos/a.yaml': manifest('../assets/moved/background.png'), 'assets/moved/background.png': new Uint8Array([1, 2, 3]) });
    expect(await fingerprints(root)).toEqual(first);
    await writeFiles(root, { 'assets/moved/background.png': new Uint8Array([1, 2, 4]) });
    expect((await fingerprints(root)).bg).not.toBe(first.bg);
  });

  it('follows data rows of an each entry', async () => {
    const files = {
      'videos/leads.yaml': `version: 1
defaults: { avatar: Daisy-inskirt-20220818, voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54 }
videos:
  hello-{{ row.slug }}:
    each: ../data/leads.csv
    script: Hi {{ row.name }}!
`,
      'data/leads.csv': 'slug,name\nann,Ann\nbob,Bob\n',
    };
    const root = makeProject(files);
    await lockAll(root);
    // Reordered rows and an extra unused column: nothing to render again.
    await writeFiles(root, { 'data/leads.csv': 'name,slug,unused\nBob,bob,1\nAnn,ann,2\n' });
    expect(plan(await entriesOf(root), await readLock(root)).changes.map((c) => `${c.id}:${c.action}`)).toEqual(['hello-ann:unchanged', 'hello-bob:unchanged']);
    await writeFiles(root, { 'data/leads.csv': 'slug,name\nann,Annie\ncid,Cid\n' });
    expect(plan(await entriesOf(root), await readLock(root)).changes.map((c) => `${c.id}:${c.action}`)).toEqual(['hello-ann:update', 'hello-bob:remove', 'hello-cid:create']);
  });
});
