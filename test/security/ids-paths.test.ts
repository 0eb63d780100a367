import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, runCli } from '../helpers/cli.js';
import { MANIFEST_HEADER as HEADER, project } from '../helpers/project.js';

/**
 * The audit's classes of ids and paths, table-driven through `reel validate --json`: each row is a
 * manifest fragment and the problem it must produce (or none), at the line and column named.
 */
const roots: string[] = [];
const make = (files: Record<string, string>): string => {
  const root = project(files);
  roots.push(root);
  return root;
};
beforeAll(requireBuild);
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface Diag {
  file: string;
  line: number;
  col: number;
  id?: string;
  message: string;
}
async function validate(root: string): Promise<{ code: number | null; diagnostics: Diag[]; ids: string[] }> {
  const r = await runCli(['validate', '--json'], root);
  const body = JSON.parse(r.stdout) as { diagnostics: Diag[]; entries: Array<{ id: string }> };
  return { code: r.code, diagnostics: body.diagnostics, ids: body.entries.map((e) => e.id) };
}

describe('ids: prototype names, Windows names, YAML-typed keys', () => {
  // [key as written in YAML, expected id or an error matching]
  const cases: Array<[string, string | RegExp]> = [
    ['constructor', 'constructor'],
    ['hasownproperty', 'hasownproperty'],
    ['valueof', 'valueof'],
    ['"__proto__"', /not safe as a file name/],
    ['toString', /not safe as a file name/],
    ['con', /device name on Windows \(`con`\)/],
    ['aux', /device name on Windows/],
    ['nul.intro', /device name on Windows \(`nul`\)/],
    ['com1', /device name on Windows/],
    ['lpt9', /device name on Windows/],
    ['console', 'console'],
    ['auxiliary', 'auxiliary'],
    ['intro.', /ends with `\.`/],
    ['0x10', /YAML reads the id `0x10` as the number 16; quote it/],
    ['007', /YAML reads the id `007` as the number 7/],
    ['1e3', /YAML reads the id `1e3` as the number 1000/],
    ['"0x10"', '0x10'],
    ['123', '123'],
    ['../escape', /not safe as a file name/],
  ];
  it('all at once in one project: each row is accepted or refused at its own line', async () => {
    const yaml = cases.map(([key]) => `  ${key}:\n    script: Hi.\n`).join('');
    const r = await validate(make({ 'videos/a.yaml': `${HEADER}${yaml}` }));
    cases.forEach(([key, expected], k) => {
      const line = 6 + 2 * k;
      const here = r.diagnostics.filter((d) => d.line === line);
      if (typeof expected === 'string') {
        expect(here, key).toEqual([]);
        expect(r.ids, key).toContain(expected);
      } else {
        expect(here, key).toHaveLength(1);
        expect(here[0], key).toMatchObject({ file: 'videos/a.yaml', col: 3 });
        expect(here[0]!.message, key).toMatch(expected);
      }
    });
    expect(r.diagnostics).toHaveLength(cases.filter(([, e]) => typeof e !== 'string').length);
  });
});

describe('output.file and out: where videos may be written', () => {
  // [output.file, error matching, or undefined when allowed]
  const cases: Array<[string, RegExp | undefined]> = [
    ['renders/intro.mp4', undefined],
    ['out/sub/intro.MP4', undefined],
    ['videos/a.yaml', /must end in `\.mp4`/],
    ['reel.config.yaml', /must end in `\.mp4`/],
    ['reel.lock', /must end in `\.mp4`/],
    ['reel.lock.pid', /must end in `\.mp4`/],
    ['.env', /must end in `\.mp4`/],
    ['package.json', /must end in `\.mp4`/],
    ['.git/HEAD', /must end in `\.mp4`/],
    ['.git/x.mp4', /may not be inside `\.git`/],
    ['.reel/cache/manifests.mp4', /may not be inside `\.reel`/],
    ['node_modules/x/y.mp4', /may not be inside `node_modules`/],
    ['.hidden.mp4', /may not be inside `\.hidden\.mp4`/],
    ['../outside.mp4', /inside it/],
    ['/tmp/abs.mp4', /inside it/],
    ['renders/../../x.mp4', /inside it/],
  ];
  it('all at once in one project: each output.file is accepted or refused where it is written', async () => {
    const yaml = cases.map(([file], k) => `  o${k}:\n    script: Hi.\n    output:\n      file: ${file}\n`).join('');
    const r = await validate(make({ 'videos/a.yaml': `${HEADER}${yaml}` }));
    cases.forEach(([file, expected], k) => {
      const here = r.diagnostics.filter((d) => d.id === `o${k}`);
      if (expected === undefined) expect(here, file).toEqual([]);
      else {
        expect(here, file).toHaveLength(1);
        expect(here[0], file).toMatchObject({ file: 'videos/a.yaml', line: 9 + 4 * k, col: 13 });
        expect(here[0]!.message, file).toMatch(expected);
      }
    });
  });

  it('a webm entry writes .webm', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n    output_format: webm\n    output: { file: renders/a.mp4 }\n` });
    expect((await validate(root)).diagnostics[0]?.message).toMatch(/must end in `\.webm` \(the entry sets `output_format: webm`\)/);
  });

  it('no two entries share an output file, default outputs included, whatever the case', async () => {
    const root = make({
      'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n    output: { file: renders/x.mp4 }\n  b:\n    script: Hi.\n    output: { file: renders/X.mp4 }\n  c:\n    script: Hi.\n    output: { file: out/d.mp4 }\n`,
      'videos/b.yaml': `${HEADER}  d:\n    script: Hi.\n`,
    });
    const r = await validate(root);
    expect(r.code).toBe(1);
    expect(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`)).toEqual([
      'videos/a.yaml:8:21 `a` writes renders/x.mp4, as does `b` (videos/a.yaml:11:21); give each entry its own `output.file`',
      'videos/a.yaml:11:21 `b` writes renders/X.mp4, as does `a` (videos/a.yaml:8:21); give each entry its own `output.file`',
      'videos/a.yaml:14:21 `c` writes out/d.mp4, as does `d` (videos/b.yaml:6:3); give each entry its own `output.file`',
      'videos/b.yaml:6:3 `d` writes out/d.mp4 (its default output), as does `c` (videos/a.yaml:14:21); give each entry its own `output.file`',
    ]);
  });

  it('an output folder that is a symlink out of the project is refused', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'reel-outside-'));
    roots.push(outside);
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n    output: { file: renders/a.mp4 }\n` });
    symlinkSync(outside, join(root, 'renders'));
    const r = await validate(root);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ line: 8, col: 21, id: 'a' });
    expect(r.diagnostics[0]!.message).toMatch(/leads \(through a symlink\) outside the project/);
  });

  it.each([['.'], ['./'], ['.git'], ['node_modules/x'], ['../elsewhere']])('out: %s is refused', async (out) => {
    const root = make({ 'reel.config.yaml': `out: "${out}"\n`, 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n` });
    const r = await runCli(['validate'], root);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^reel\.config\.yaml:1:6 {2}`out` \(/);
  });
});

describe('YAML content reel refuses', () => {
  it('a raw NUL byte, named at its line and column', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: "Hi\0there"\n` });
    const r = await validate(root);
    expect(r.diagnostics).toEqual([expect.objectContaining({ line: 7, col: 16, message: expect.stringMatching(/NUL byte/) })]);
  });

  it.each([
    ['{ __proto__: { watermark: true } }', 8, 12],
    ['{ watermark: { __proto__: 1 } }', 8, 25],
  ])('api: %s is an error, not dropped', async (api, line, col) => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n    api: ${api}\n` });
    const r = await validate(root);
    expect(r.diagnostics).toEqual([expect.objectContaining({ line, col, id: 'a', message: expect.stringMatching(/`__proto__` cannot be sent/) })]);
  });
});

describe('prototype names through build, plan and lock merge', () => {
  it('an entry `constructor` builds once, then plans unchanged, and lock merge keeps it', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  constructor:\n    script: Hi.\n  valueof:\n    script: Yo.\n` });
    const first = await runCli(['plan', '--emulator', '--json'], root);
    const plan = JSON.parse(first.stdout) as { changes: Array<{ id: string; action: string; generation: number }> };
    expect(plan.changes.map((c) => [c.id, c.action, c.generation])).toEqual([
      ['constructor', 'create', 1],
      ['valueof', 'create', 1],
    ]);
    const built = await runCli(['build', '--emulator'], root);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect((await runCli(['plan', '--emulator'], root)).stdout).toMatch(/^No changes\. 2 videos are up to date\./);
    // A plain lock merged onto a base that lacks the entries keeps both.
    const lock = readFileSync(join(root, 'reel.lock'), 'utf8');
    mkdirSync(join(root, 'other'));
    writeFileSync(join(root, 'other/reel.lock'), lock);
    writeFileSync(join(root, 'reel.lock'), '{"lockfileVersion":1,"videos":{},"assets":{}}\n');
    const merged = await runCli(['lock', 'merge', 'other/reel.lock'], root);
    expect(merged.code).toBe(0);
    expect(Object.keys((JSON.parse(readFileSync(join(root, 'reel.lock'), 'utf8')) as { videos: object }).videos)).toEqual(['constructor', 'valueof']);
  });
});

describe('prototype names in a lock', () => {
  it.each([['toString'], ['hasOwnProperty'], ['__proto__'], ['constructor'], ['valueOf'], ['isPrototypeOf']])('reel lock merge keeps an entry `%s`', async (id) => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n` });
    const entry = { fingerprint: 'a'.repeat(64), mode: 'direct', status: 'completed', generation: 1, fields: {}, video_id: 'v1', updated_at: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(root, 'reel.lock'), '{"lockfileVersion":1,"videos":{},"assets":{}}\n');
    mkdirSync(join(root, 'other'));
    writeFileSync(join(root, 'other/reel.lock'), `{"lockfileVersion":1,"assets":{},"videos":{${JSON.stringify(id)}:${JSON.stringify(entry)}}}`);
    const merged = await runCli(['lock', 'merge', 'other/reel.lock'], root);
    expect(merged.code).toBe(0);
    const text = readFileSync(join(root, 'reel.lock'), 'utf8');
    expect(text).toContain(`${JSON.stringify(id)}: {`);
    const videos = (JSON.parse(text) as { videos: object }).videos;
    expect(Object.getOwnPropertyDescriptor(videos, id)?.value).toMatchObject({ video_id: 'v1' });
  });
});
