// `locales:` in the loader and the plan: derived ids, requests, positions of every error, and the
// fingerprint cascade (source → translate locales; SRT bytes → their locale only).
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyLock } from '../../src/lock/types.js';
import { loadProject, type ResolvedEntry } from '../../src/manifest/index.js';
import { fingerprint, fieldDigests, plan } from '../../src/plan/index.js';
import { MANIFEST_HEADER as HEADER, project } from '../helpers/project.js';

const roots: string[] = [];
const make = (files: Record<string, string>): string => {
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

const SRT = '1\n00:00:00,000 --> 00:00:02,000\nHallo zusammen.\n';

const manifest = (locales: string, script = 'Hello everyone, welcome to Acme.'): string =>
  `${HEADER}  welcome:\n    title: Welcome\n    script: ${script}\n    output: { file: out/custom/welcome.mp4 }\n    locales:\n${locales}`;

const LOCALES = [
  '      de-DE:',
  '        language: German (Germany)',
  '        captions: true',
  '        speakers: 2',
  '        glossary: bg_acme',
  '        proofread: l10n/welcome.de-DE.srt',
  '      fr-FR:',
  '        language: French (France)',
  '        mode: precision',
  '        audio_only: true',
  '      es-ES:',
  '        strategy: rerender',
  '        voice: 6e7d2a1c9b8f4e3d8a7b6c5d4e3f2a1b',
  '        script: Hola a todos, bienvenidos a Acme.',
  '',
].join('\n');

describe('locales in the loader', () => {
  it('derives file-safe ids <source>.<tag> with translation requests and a native direct render', async () => {
    const root = make({ 'videos/a.yaml': manifest(LOCALES), 'videos/l10n/welcome.de-DE.srt': SRT });
    const result = await loadProject(root);
    expect(result.diagnostics).toEqual([]);
    expect(result.entries.map((e) => e.id)).toEqual(['welcome', 'welcome.de-de', 'welcome.es-es', 'welcome.fr-fr']);
    const de = byId(result.entries, 'welcome.de-de');
    expect(de.mode).toBe('translate');
    expect(de.request).toEqual({
      output_languages: ['German (Germany)'],
      mode: 'speed',
      translate_audio_only: false,
      enable_caption: true,
      speaker_num: 2,
      brand_glossary_id: 'bg_acme',
      title: 'Welcome (de-DE)',
      srt_role: 'output',
      srt: { type: 'asset_id', asset_id: de.assets[0]!.placeholder },
    });
    expect(de.locale).toMatchObject({
      source: 'welcome',
      key: 'de-DE',
      strategy: 'translate',
      proofread: 'videos/l10n/welcome.de-DE.srt',
      sourceFingerprint: fingerprint(byId(result.entries, 'welcome')),
    });
    expect(de.output).toEqual({});
    expect(byId(result.entries, 'welcome.fr-fr').request).toMatchObject({ mode: 'precision', translate_audio_only: true });
    const es = byId(result.entries, 'welcome.es-es');
    expect(es.mode).toBe('direct');
    expect(es.request).toMatchObject({
      type: 'avatar',
      avatar_id: 'Daisy-inskirt-20220818',
      voice_id: '6e7d2a1c9b8f4e3d8a7b6c5d4e3f2a1b',
      script: 'Hola a todos, bienvenidos a Acme.',
      title: 'Welcome (es-ES)',
    });
    // A locale never writes over its source's `output.file`.
    expect(es.output).toEqual({});
    expect(es.fieldSources['script']).toMatchObject({ line: 24, col: 17 });
  });

  it('applies reel.config.yaml and defaults locales to every entry, merged key by key', async () => {
    const root = make({
      'reel.config.yaml': 'locales:\n  ja-JP: { language: Japanese }\n  de-DE: { language: German }\n',
      'videos/a.yaml': `version: 1\ndefaults:\n  avatar: a\n  voice: v\n  locales:\n    de-DE: { language: German (Germany), captions: true }\nvideos:\n  one:\n    script: One.\n  two:\n    script: Two.\n    locales:\n      de-DE: { mode: precision }\n`,
    });
    const result = await loadProject(root);
    expect(result.diagnostics).toEqual([]);
    expect(result.entries.map((e) => e.id)).toEqual(['one', 'one.de-de', 'one.ja-jp', 'two', 'two.de-de', 'two.ja-jp']);
    expect(byId(result.entries, 'one.de-de').request).toMatchObject({ output_languages: ['German (Germany)'], enable_caption: true, mode: 'speed' });
    expect(byId(result.entries, 'two.de-de').request).toMatchObject({ output_languages: ['German (Germany)'], enable_caption: true, mode: 'precision' });
  });

  it('reads rerender scripts from a per-language catalog file', async () => {
    const root = make({
      'videos/a.yaml': `${HEADER}  welcome:\n    script: Hello.\n    locales:\n      es-ES: { strategy: rerender, voice: v-es, catalog: l10n/es-ES.json }\n  other:\n    script: Other.\n    locales:\n      es-ES: { strategy: rerender, voice: v-es, catalog: l10n/es-ES.json }\n`,
      'videos/l10n/es-ES.json': '{ "welcome": "Hola." }\n',
    });
    const result = await loadProject(root);
    expect(byId(result.entries, 'welcome.es-es').request['script']).toBe('Hola.');
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ line: 13, col: 58, id: 'other', message: expect.stringMatching(/catalog videos\/l10n\/es-ES\.json has no script for `other`; add `other: <translated script>`/) }),
    ]);
  });

  it('names file:line:col and the fix for every locale mistake', async () => {
    const root = make({
      'videos/a.yaml': [
        `${HEADER}  a:`,
        '    script: A.',
        '    locales:',
        '      de-DE: { captions: true }',
        '      fr-FR: { language: French, script: Bonjour. }',
        '      es-ES: { strategy: rerender, voice: v, mode: precision, script: Hola. }',
        '      it-IT: { strategy: rerender, script: Ciao. }',
        '  b:',
        '    mode: agent',
        '    prompt: A 20-second tour.',
        '    locales:',
        '      es-ES: { strategy: rerender, voice: v, script: Hola. }',
        '',
      ].join('\n'),
    });
    const result = await loadProject(root);
    const found = result.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^9:7 locale `de-DE` needs `language:`, the HeyGen language name/),
        expect.stringMatching(/^10:42 locale `fr-FR`: `script` is for `strategy: rerender` locales/),
        expect.stringMatching(/^11:52 locale `es-ES`: `mode` is for `strategy: translate` \(the default\) locales/),
        expect.stringMatching(/^12:26 locale `it-IT` \(`strategy: rerender`\) needs a native `voice`/),
        expect.stringMatching(/^17:26 locale `es-ES`: `strategy: rerender` renders a localized script, so its source must be a direct entry/),
      ]),
    );
    expect(result.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });

  it('refuses a locale key that is not a language tag, at the key', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: A.\n    locales:\n      pt_BR: { language: Portuguese }\n` });
    const result = await loadProject(root);
    expect(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '9:7 locale `pt_BR` must be a language tag such as `de-DE` or `pt-BR` (letters and digits joined by `-`); it becomes part of the video id',
    ]);
  });
});

describe('the fingerprint cascade', () => {
  async function load(files: Record<string, string>): Promise<ResolvedEntry[]> {
    const result = await loadProject(make(files));
    expect(result.diagnostics).toEqual([]);
    return result.entries;
  }
  const base = { 'videos/a.yaml': manifest(LOCALES), 'videos/l10n/welcome.de-DE.srt': SRT };

  it('a source edit changes the source and every translate locale, not the re-render', async () => {
    const before = await load(base);
    const after = await load({ ...base, 'videos/a.yaml': manifest(LOCALES, 'Hello all, welcome to Acme.') });
    const lock = emptyLock();
    for (const e of before) lock.videos[e.id] = { fingerprint: fingerprint(e), mode: e.mode, status: 'completed', generation: 1, fields: fieldDigests(e), updated_at: '', video_id: `v-${e.id}` };
    const p = plan(after, lock);
    expect(p.changes.map((c) => [c.id, c.action, c.changed.join(',')])).toEqual([
      ['welcome', 'update', 'script'],
      ['welcome.de-de', 'update', 'source'],
      ['welcome.es-es', 'unchanged', ''],
      ['welcome.fr-fr', 'update', 'source'],
    ]);
    // A translation is priced at its mode's rate per second of the source (API.md §13).
    const fr = p.changes.find((c) => c.id === 'welcome.fr-fr')!;
    expect(fr.estimateCost).toBeCloseTo(0.0667 * fr.estimateSeconds, 6);
  });

  it('an SRT edit changes only its locale; reformatting the manifest changes nothing', async () => {
    const before = await load(base);
    const srt = await load({ ...base, 'videos/l10n/welcome.de-DE.srt': SRT.replace('Hallo', 'Hallo ihr') });
    const changed = before.filter((e) => fingerprint(e) !== fingerprint(byId(srt, e.id))).map((e) => e.id);
    expect(changed).toEqual(['welcome.de-de']);
    const reformatted = await load({
      ...base,
      'videos/a.yaml': `# comment\n${manifest(LOCALES.replace('        language: German (Germany)\n        captions: true', '        captions: true\n        language: "German (Germany)"'))}`,
    });
    expect(reformatted.map(fingerprint)).toEqual(before.map(fingerprint));
  });

  it('groups locales under their source in the plan, before the next id', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  welcome:\n    script: Hi.\n    locales:\n      de-DE: { language: German }\n  welcome-2:\n    script: Hi again.\n` });
    const result = await loadProject(root);
    expect(plan(result.entries, emptyLock()).changes.map((c) => c.id)).toEqual(['welcome', 'welcome.de-de', 'welcome-2']);
  });

  it('a missing proofread file is a warning and keeps the locale out of the plan until it exists', async () => {
    const root = make({ 'videos/a.yaml': manifest(LOCALES) });
    const result = await loadProject(root);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', line: 16, col: 20, id: 'welcome.de-de', message: expect.stringMatching(/run `reel l10n pull welcome\.de-de`/) }),
    ]);
    expect(plan(result.entries, emptyLock()).changes.map((c) => c.id)).toEqual(['welcome', 'welcome.es-es', 'welcome.fr-fr']);
  });
});
