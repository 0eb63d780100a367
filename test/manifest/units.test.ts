import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { didYouMean, distance } from '../../src/manifest/suggest.js';
import { expand, templateSyntaxError } from '../../src/manifest/template.js';
import { decodeUtf8, parseYaml } from '../../src/manifest/yaml.js';
import { CLI, requireBuild } from '../helpers/cli.js';

describe('decodeUtf8', () => {
  it('locates the first invalid byte by line and character column', () => {
    const bytes = Buffer.concat([Buffer.from('a: 1\nb: "héllo '), Buffer.from([0xff]), Buffer.from('"\n')]);
    expect(decodeUtf8(bytes)).toEqual({ badByte: 16, line: 2, col: 11 });
  });
  it('rejects overlong encodings and surrogates', () => {
    expect(decodeUtf8(new Uint8Array([0x61, 0xc0, 0xaf]))).toMatchObject({ line: 1, col: 2 });
    expect(decodeUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toMatchObject({ line: 1, col: 1 });
    expect(decodeUtf8(new Uint8Array([0xe2, 0x82]))).toMatchObject({ line: 1, col: 1 });
  });
  it('decodes valid text', () => {
    expect(decodeUtf8(Buffer.from('héllo ✓'))).toEqual({ text: 'héllo ✓' });
  });
});

describe('parseYaml', () => {
  it('keeps __proto__ as plain data', () => {
    const r = parseYaml('__proto__: { polluted: true }\nx: 1\n');
    expect(r.errors).toEqual([]);
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(r.value as object)).toEqual(['__proto__', 'x']);
  });
  it('expands a few aliases normally', () => {
    const r = parseYaml('a: &x { k: 1 }\nb: *x\n');
    expect(r.value).toEqual({ a: { k: 1 }, b: { k: 1 } });
  });
  it('reads YAML 1.2 core scalars (no yes/no booleans)', () => {
    expect(parseYaml('a: yes\nb: true\nc: 0o17\nd: "16:9"\ne: 16:9\n').value).toEqual({ a: 'yes', b: true, c: 15, d: '16:9', e: '16:9' });
  });
});

describe('templates', () => {
  it('fills columns and reports missing ones', () => {
    expect(expand('Hi {{ row.name }} / {{row.x}}', { name: 'Ada' })).toEqual({ value: 'Hi Ada / {{row.x}}', missing: ['x'], empty: [] });
  });
  it('reports columns whose cell is empty', () => {
    expect(expand('Hi {{ row.name }}!', { name: ' ' })).toEqual({ value: 'Hi  !', missing: [], empty: ['name'] });
  });
  it('rejects expressions and unbalanced braces', () => {
    expect(templateSyntaxError('{{ row.a + 1 }}')).toMatch(/unsupported template/);
    expect(templateSyntaxError('{{ process.exit() }}')).toMatch(/unsupported template/);
    expect(templateSyntaxError('Hi {{ row.a }')).toMatch(/unbalanced/);
    expect(templateSyntaxError('Hi {{ row.a }}')).toBeUndefined();
  });
});

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(distance('agnet', 'agent')).toBe(1);
    expect(didYouMean('scirpt', ['script', 'prompt'])).toBe('script');
    expect(didYouMean('zzzz', ['script', 'prompt'])).toBeUndefined();
  });
});

describe('importing', () => {
  it('the loader has no side effects: no output, no handlers, process exits by itself', () => {
    requireBuild();
    const code = `
      const before = process.listenerCount('SIGINT');
      await import(${JSON.stringify(new URL('../../dist/manifest/index.js', import.meta.url).href)});
      if (process.listenerCount('SIGINT') !== before) throw new Error('SIGINT handler registered');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
    expect(CLI).toMatch(/cli\.js$/);
  });
});
