import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProject, defaultConfig, getSchema, loadManifestFile, loadProject, type ResolvedEntry } from '../../src/manifest/index.js';
import { AGENT_FIELDS, COMMON_FIELDS, DIRECT_FIELDS } from '../../src/manifest/fields.js';
import { sha256 } from '../../src/util/hash.js';
import { formatDiagnostics } from '../../src/report/diagnostics.js';
import { MANIFEST_HEADER as HEADER, project, ROOT } from '../helpers/project.js';

const roots: string[] = [];
const make = (files: Parameters<typeof project>[0]): string => {
  const root = project(files);
  roots.push(root);
  return root;
};
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const byId = (entries: ResolvedEntry[], id: string): ResolvedEntry => {
  const e = entries.find((x) => x.id === id);
  if (!e) throw new Error(`no entry ${id}; have ${entries.map((x) => x.id).join(', ')}`);
  return e;
};

describe('the example library (videos/)', async () => {
  const result = await loadProject(ROOT);
  const bg = sha256(readFileSync(join(ROOT, 'assets', 'studio-bg.png')));

  it('loads without diagnostics, sorted by id', () => {
    expect(result.diagnostics).toEqual([]);
    expect(result.entries.map((e) => e.id)).toEqual([
      'first-steps',
      'hello-ada',
      'hello-grace',
      'hello-linus',
      'launch',
      'launch-teaser',
      'launch.de-de',
      'launch.es-es',
      'launch.fr-fr',
      'product-tour',
      'support',
      'welcome',
    ]);
    expect(result.files.map((f) => f.slice(ROOT.length + 1))).toEqual(['videos/agents.yaml', 'videos/localized.yaml', 'videos/onboarding.yaml', 'videos/personal.yaml']);
  });

  it('maps a direct entry with defaults, captions and a colour background onto POST /v3/videos', () => {
    expect(byId(result.entries, 'welcome').request).toEqual({
      type: 'avatar',
      avatar_id: 'Daisy-inskirt-20220818',
      voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
      script: 'Hi there! Welcome to Acme. This short video shows you around in under a minute.\n',
      voice_settings: { speed: 1.05 },
      aspect_ratio: '16:9',
      resolution: '1080p',
      background: { type: 'color', value: '#0B1F3A' },
      caption: { file_format: 'srt', style: 'default' },
      title: 'Welcome to Acme',
    });
  });

  it('replaces a local background image by its content-hash placeholder', () => {
    const e = byId(result.entries, 'first-steps');
    expect(e.request['background']).toEqual({ type: 'image', asset_id: `reel-asset:sha256:${bg}` });
    expect(e.assets).toEqual([
      {
        placeholder: `reel-asset:sha256:${bg}`,
        path: join(ROOT, 'assets', 'studio-bg.png'),
        relPath: 'assets/studio-bg.png',
        sha256: bg,
        size: readFileSync(join(ROOT, 'assets', 'studio-bg.png')).byteLength,
        source: { file: join(ROOT, 'videos', 'onboarding.yaml'), line: 21, col: 26 },
      },
    ]);
  });

  it('lets an entry override a default', () => {
    expect(byId(result.entries, 'support').request['aspect_ratio']).toBe('9:16');
    expect(byId(result.entries, 'support').fieldSources['aspect_ratio']).toEqual({ file: join(ROOT, 'videos', 'onboarding.yaml'), line: 26, col: 19 });
    expect(byId(result.entries, 'welcome').fieldSources['aspect_ratio']).toEqual({ file: join(ROOT, 'videos', 'onboarding.yaml'), line: 6, col: 17 });
  });

  it('maps agent entries onto POST /v3/video-agents, mode explicit, title kept out', () => {
    const tour = byId(result.entries, 'product-tour');
    expect(tour.request).toEqual({
      prompt: 'A 30-second product tour of Acme, a project-management tool for small teams. Friendly, upbeat tone.',
      mode: 'generate',
      avatar_id: 'Daisy-inskirt-20220818',
      voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
      orientation: 'landscape',
    });
    expect(tour.title).toBe('Product tour (agent)');
    expect(tour.agent).toEqual({ review: false, revisions: [], approved: false });
    const teaser = byId(result.entries, 'launch-teaser');
    expect(teaser.request['mode']).toBe('chat');
    expect(teaser.agent).toEqual({ review: true, revisions: ['Make the intro shorter.', 'End with the line "Try it today at acme.example".'], approved: false });
  });

  it('expands an each entry, one video per CSV row', () => {
    const ada = byId(result.entries, 'hello-ada');
    expect(ada.request).toEqual({
      type: 'avatar',
      avatar_id: 'Daisy-inskirt-20220818',
      voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
      script: 'Hi Ada, thanks for trying Acme Boards! Reply to this email if you need anything.',
      title: 'Hello Ada',
    });
    expect(ada.origin).toEqual({ data: 'data/customers.csv', row: 1 });
    expect(byId(result.entries, 'hello-linus').origin).toEqual({ data: 'data/customers.csv', row: 3 });
    expect(ada.source).toEqual({ file: join(ROOT, 'videos', 'personal.yaml'), line: 8, col: 3 });
  });
});

describe('request mapping', () => {
  it('applies callback_url from the config and defaults callback_id to the entry id', async () => {
    const root = make({
      'reel.config.yaml': 'callback_url: https://hooks.example.com/heygen\n',
      'videos/a.yaml': `${HEADER}  one:\n    script: Hi.\n  two:\n    script: Hi.\n    callback_id: custom\n  three:\n    mode: agent\n    prompt: Hi.\n`,
    });
    const r = await loadProject(root);
    expect(r.diagnostics).toEqual([]);
    expect(byId(r.entries, 'one').request).toMatchObject({ callback_url: 'https://hooks.example.com/heygen', callback_id: 'one' });
    expect(byId(r.entries, 'two').request).toMatchObject({ callback_url: 'https://hooks.example.com/heygen', callback_id: 'custom' });
    expect(byId(r.entries, 'three').request).toMatchObject({ callback_url: 'https://hooks.example.com/heygen', callback_id: 'three' });
    expect(byId(r.entries, 'one').fieldSources['callback_url']).toEqual({ file: join(root, 'reel.config.yaml'), line: 1, col: 15 });
    expect(r.configFile).toBe(join(root, 'reel.config.yaml'));
  });

  it('deep-merges api: last, and skips defaults of the other mode silently', async () => {
    const root = make({
      'videos/a.yaml': `version: 1\ndefaults:\n  avatar: av\n  voice: vo\n  aspect_ratio: "9:16"\n  captions: true\n  voice_settings: { speed: 1.1, pitch: 2 }\nvideos:\n  d:\n    script: Hi.\n    voice_settings: { pitch: 3 }\n    engine: avatar_v\n    api:\n      voice_settings: { volume: 0.5 }\n      watermark: { image: { type: url, url: "https://x.example/w.png" } }\n  a:\n    mode: agent\n    prompt: Hello.\n    incognito: true\n    style: st\n    brand_kit: bk\n`,
    });
    const r = await loadProject(root);
    expect(r.diagnostics).toEqual([]);
    expect(byId(r.entries, 'd').request).toEqual({
      type: 'avatar',
      avatar_id: 'av',
      voice_id: 'vo',
      script: 'Hi.',
      aspect_ratio: '9:16',
      caption: { file_format: 'srt', style: 'default' },
      voice_settings: { speed: 1.1, pitch: 3, volume: 0.5 },
      engine: { type: 'avatar_v' },
      watermark: { image: { type: 'url', url: 'https://x.example/w.png' } },
    });
    expect(byId(r.entries, 'a').request).toEqual({
      prompt: 'Hello.',
      mode: 'generate',
      avatar_id: 'av',
      voice_id: 'vo',
      incognito_mode: true,
      style_id: 'st',
      brand_kit_id: 'bk',
    });
  });

  it('maps image, audio and agent files, local and remote', async () => {
    const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const mp3 = new Uint8Array([73, 68, 51, 4, 5]);
    const root = make({
      'media/face.png': png,
      'media/voice.mp3': mp3,
      'videos/sub/a.yaml': `version: 1\ndefaults:\n  avatar: av\n  voice: vo\nvideos:\n  photo:\n    image: ../../media/face.png\n    audio: ../../media/voice.mp3\n  remote:\n    image: https://cdn.example.com/face.png\n    audio: https://cdn.example.com/hi.mp3\n  deck:\n    mode: agent\n    prompt: Explain.\n    files: [../../media/face.png, "https://cdn.example.com/deck.pdf"]\n`,
    });
    const r = await loadProject(root);
    expect(r.diagnostics).toEqual([]);
    const p = `reel-asset:sha256:${sha256(png)}`;
    const a = `reel-asset:sha256:${sha256(mp3)}`;
    expect(byId(r.entries, 'photo').request).toEqual({ type: 'image', image: { type: 'asset_id', asset_id: p }, audio_asset_id: a });
    expect(byId(r.entries, 'photo').assets.map((x) => x.relPath)).toEqual(['media/face.png', 'media/voice.mp3']);
    expect(byId(r.entries, 'remote').request).toEqual({ type: 'image', image: { type: 'url', url: 'https://cdn.example.com/face.png' }, audio_url: 'https://cdn.example.com/hi.mp3' });
    expect(byId(r.entries, 'deck').request['files']).toEqual([
      { type: 'asset_id', asset_id: p },
      { type: 'url', url: 'https://cdn.example.com/deck.pdf' },
    ]);
  });

  it('expands each from JSON and YAML data, and records output.file', async () => {
    const root = make({
      'data/p.json': '[{"slug":"a","n":1},{"slug":"b","n":true}]',
      'data/p.yaml': '- slug: c\n  name: Cee\n',
      'videos/a.yaml': `${HEADER}  j-{{ row.slug }}:\n    each: ../data/p.json\n    script: "n={{row.n}}"\n    output: { file: "renders/{{ row.slug }}.mp4" }\n  y-{{row.slug}}:\n    each: ../data/p.yaml\n    script: Hi {{ row.name }}.\n`,
    });
    const r = await loadProject(root);
    expect(r.diagnostics).toEqual([]);
    expect(r.entries.map((e) => [e.id, e.request['script'], e.output.file])).toEqual([
      ['j-a', 'n=1', 'renders/a.mp4'],
      ['j-b', 'n=true', 'renders/b.mp4'],
      ['y-c', 'Hi Cee.', undefined],
    ]);
  });

  it('keeps resolving the other entries of a file when one is invalid', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  good:\n    script: Hi.\n  bad:\n    script: Hi.\n    resolution: 8k\n` });
    const r = await loadProject(root);
    expect(r.entries.map((e) => e.id)).toEqual(['good']);
    expect(formatDiagnostics(r.diagnostics, root)).toBe('videos/a.yaml:10:17  bad  `resolution` must be one of 4k, 1080p, 720p; did you mean `4k`?\n');
  });

  it('uses the manifest globs of reel.config.yaml', async () => {
    const root = make({
      'reel.config.yaml': 'manifests: ["clips/*.yml"]\nout: renders\n',
      'clips/a.yml': `${HEADER}  a:\n    script: Hi.\n`,
      'videos/ignored.yaml': 'not: valid',
    });
    const r = await loadProject(root);
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual([join(root, 'clips', 'a.yml')]);
    expect(r.config.out).toBe('renders');
  });
});

describe('per-file loading (for watch)', () => {
  it('loadManifestFile uses given bytes, lists dependencies, and checkProject finds duplicates', async () => {
    const root = make({
      'data/d.csv': 'slug\nx\n',
      'assets/bg.png': 'png',
      'videos/a.yaml': `${HEADER}  row-{{ row.slug }}:\n    each: ../data/d.csv\n    script: Hi.\n    background: { image: ../assets/bg.png }\n`,
      'videos/b.yaml': `${HEADER}  row-x:\n    script: Hi.\n`,
    });
    const config = defaultConfig();
    const a = await loadManifestFile(root, config, join(root, 'videos', 'a.yaml'));
    expect(a.diagnostics).toEqual([]);
    expect(a.dependencies).toEqual([join(root, 'assets', 'bg.png'), join(root, 'data', 'd.csv')]);
    const edited = new TextEncoder().encode(`${HEADER}  row-y:\n    script: Edited in the editor buffer.\n`);
    const b = await loadManifestFile(root, config, join(root, 'videos', 'b.yaml'), edited);
    expect(b.entries.map((e) => [e.id, e.request['script']])).toEqual([['row-y', 'Edited in the editor buffer.']]);
    expect(checkProject([a, b])).toEqual([]);
    const b2 = await loadManifestFile(root, config, join(root, 'videos', 'b.yaml'));
    expect(formatDiagnostics(checkProject([a, b2], root), root)).toBe(
      'videos/a.yaml:6:3  row-x  duplicate id `row-x` (row 1 of data/d.csv): also defined at videos/b.yaml:6:3; ids must be unique across the project\n\n' +
        'videos/b.yaml:6:3  row-x  duplicate id `row-x`: also defined at videos/a.yaml:6:3 (row 1 of data/d.csv); ids must be unique across the project\n',
    );
  });

  it('never writes: loading leaves the project untouched', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n` });
    const { snapshot } = await import('../helpers/project.js');
    const before = snapshot(root);
    await loadProject(root);
    expect(snapshot(root)).toEqual(before);
  });

  it('honours an aborted signal', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n` });
    const c = new AbortController();
    c.abort();
    await expect(loadProject(root, { signal: c.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('schema', () => {
  it('every entry field in the schema is classified by mode in fields.ts (and nothing else is)', () => {
    const schema = getSchema('manifest') as { definitions: { entry: { properties: Record<string, unknown> } } };
    expect(Object.keys(schema.definitions.entry.properties).sort()).toEqual([...DIRECT_FIELDS, ...AGENT_FIELDS, ...COMMON_FIELDS].sort());
  });
});
