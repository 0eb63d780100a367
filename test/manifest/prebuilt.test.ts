import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { AJV_KEYWORDS, AJV_OPTIONS, PREBUILT_VALIDATORS } from '../../src/manifest/schema.js';
import { requireBuild } from '../helpers/cli.js';
import { ROOT } from '../helpers/project.js';

/**
 * The build writes the schema validators as ajv standalone code (scripts/build-validators.mjs); the
 * CLI uses them instead of compiling at run time. They must be generated from the schema files as
 * they are now and report exactly what run-time compiled validators report.
 */
type Prebuilt = Record<'manifest' | 'config', ValidateFunction> & { schemaDigests: Record<string, string> };

const names = ['manifest', 'config'] as const;
let prebuilt: Prebuilt;
const compiled = {} as Record<(typeof names)[number], ValidateFunction>;

beforeAll(() => {
  requireBuild();
  prebuilt = createRequire(import.meta.url)(join(ROOT, 'dist', 'manifest', PREBUILT_VALIDATORS)) as Prebuilt;
  const ajv = new Ajv(AJV_OPTIONS);
  for (const k of AJV_KEYWORDS) ajv.addKeyword(k);
  for (const name of names) compiled[name] = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', `${name}.schema.json`), 'utf8')) as object);
});

const manifests: unknown[] = [
  { version: 1, videos: { a: { avatar: 'x', voice: 'v', script: 'Hi', background: { color: '#0B1F3A' }, captions: true } } },
  { version: 1, videos: { a: { mode: 'agent', prompt: 'p', review: true, revisions: ['shorter'] } } },
  { version: 2, videos: { a: { scirpt: 'typo', voice_settings: { speed: 9 } } } },
  { version: 1, defaults: { each: 'x.csv' }, videos: { a: { script: '', background: { color: 'red', url: 'http://x' }, files: [1, 2] } } },
  // maxLength counts code points: 2,600 emoji are 5,200 UTF-16 units but within 5,000 characters.
  { version: 1, videos: { a: { avatar: 'x', voice: 'v', script: '😀'.repeat(2600) }, b: { avatar: 'x', voice: 'v', script: '😀'.repeat(5001) } } },
  { version: 1, videos: { a: { avatar: 'x', voice: 'v', script: 'a'.repeat(5001), title: '\uD800' } } },
  { videos: [] },
  'not a mapping',
];

describe('prebuilt schema validators', () => {
  it('were generated from the schema files as they are now', () => {
    for (const name of names) {
      const text = readFileSync(join(ROOT, 'schema', `${name}.schema.json`), 'utf8');
      expect(prebuilt.schemaDigests[name]).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });

  it.each(manifests.map((m, i) => [i, m] as const))('report what run-time compiled ones report (manifest %i)', (_i, value) => {
    const a = prebuilt.manifest(value);
    const b = compiled.manifest(value);
    expect(a).toBe(b);
    expect(prebuilt.manifest.errors ?? null).toEqual(compiled.manifest.errors ?? null);
  });

  it('report what run-time compiled ones report (config)', () => {
    for (const value of [{}, { concurrency: 'many', nope: 1 }, []]) {
      expect(prebuilt.config(value)).toBe(compiled.config(value));
      expect(prebuilt.config.errors ?? null).toEqual(compiled.config.errors ?? null);
    }
  });
});
