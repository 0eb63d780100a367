import { readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/manifest/index.js';
import { formatDiagnostics } from '../../src/report/diagnostics.js';
import { run as validate } from '../../src/commands/validate.js';
import { callCommand, requireBuild, runCli } from '../helpers/cli.js';
import { MANIFEST_HEADER as HEADER, project, ROOT, snapshot } from '../helpers/project.js';

/**
 * The bad-input corpus: every project under test/fixtures/invalid must be rejected by `reel validate`
 * with exactly the lines in its expected.txt (file:line:col, id, message), exit 1, nothing on
 * stderr, no stack trace, and no file written. Each case calls the command in-process (only its
 * output is under test); one case runs the built CLI to prove the binary prints the same.
 */
const corpus = join(ROOT, 'test', 'fixtures', 'invalid');
const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

beforeAll(requireBuild);

describe('invalid corpus (reel validate)', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it('the built CLI prints what the command prints, exit 1, nothing on stderr', async () => {
    const dir = join(corpus, cases[0]!);
    const spawned = await runCli(['validate'], dir);
    const called = await callCommand(validate, {}, dir);
    expect(spawned).toMatchObject({ code: 1, stderr: '', stdout: called.stdout });
    expect(called.code).toBe(1);
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(corpus, name);
    const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').trim().split('\n');
    const before = snapshot(dir);
    const r = await callCommand(validate, {}, dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const summary = lines.pop();
    expect(lines).toEqual(expected);
    expect(summary).toMatch(/^\d+ errors? in \d+ files?; nothing was sent or written$/);
    expect(r.stdout).not.toMatch(/\n\s+at /);
    expect(snapshot(dir)).toEqual(before);
  });

  it.each(cases)('%s (--json agrees with the human output)', async (name) => {
    const dir = join(corpus, name);
    const r = await callCommand(validate, { json: true }, dir);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout) as { valid: boolean; diagnostics: Array<{ file: string; line: number; col: number }> };
    expect(body.valid).toBe(false);
    const loaded = await loadProject(dir);
    expect(formatDiagnostics(loaded.diagnostics, dir).split('\n').filter(Boolean)).toEqual(readFileSync(join(dir, 'expected.txt'), 'utf8').trim().split('\n'));
    expect(body.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}`)).toEqual(loaded.diagnostics.map((d) => `${d.file.slice(dir.length + 1)}:${d.line}:${d.col}`));
  });
});

describe('generated hostile inputs', () => {
  const roots: string[] = [];
  const make = (files: Parameters<typeof project>[0]): string => {
    const root = project(files);
    roots.push(root);
    return root;
  };
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('20,000-deep flow nesting is a clear error, not a crash', async () => {
    const root = make({ 'videos/deep.yaml': `version: 1\nvideos:\n  x:\n    api: { a: ${'['.repeat(20_000)}${']'.repeat(20_000)} }\n` });
    const r = await runCli(['validate'], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('videos/deep.yaml:4:76  nesting deeper than 64 levels; manifests are never this deep — check for unbalanced brackets or runaway indentation');
  });

  it('20,000-deep unclosed brackets and block sequences are clear errors', async () => {
    const root = make({
      'videos/open.yaml': '['.repeat(20_000),
      'videos/seq.yaml': `${'- '.repeat(20_000)}x\n`,
      'videos/indent.yaml': Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
    });
    const result = await loadProject(root);
    const lines = formatDiagnostics(result.diagnostics, root).split('\n').filter(Boolean);
    expect(lines).toEqual([
      'videos/indent.yaml:66:66  nesting deeper than 64 levels; manifests are never this deep — check for unbalanced brackets or runaway indentation',
      'videos/open.yaml:1:66  nesting deeper than 64 levels; manifests are never this deep — check for unbalanced brackets or runaway indentation',
      'videos/seq.yaml:1:131  nesting deeper than 64 levels; manifests are never this deep — check for unbalanced brackets or runaway indentation',
    ]);
  });

  it('a self-referencing alias is bounded', async () => {
    const root = make({ 'videos/a.yaml': 'version: 1\nx: &a [1, *a]\nvideos: {}\n' });
    const result = await loadProject(root);
    expect(formatDiagnostics(result.diagnostics, root).trim()).toBe('videos/a.yaml:2:11  aliases here expand to more than 10000 values (an alias bomb?); write the values out or use `defaults`');
  });

  it('an asset symlinked to outside the project is rejected', async () => {
    const outside = make({ 'secret.png': 'not really a png' });
    const root = make({ 'videos/a.yaml': `${HEADER}  intro:\n    script: Hi.\n    background: { image: ../assets/link.png }\n` });
    symlinkSync(join(outside, 'secret.png'), join(root, 'assets-link.png'));
    const { mkdirSync, renameSync } = await import('node:fs');
    mkdirSync(join(root, 'assets'));
    renameSync(join(root, 'assets-link.png'), join(root, 'assets', 'link.png'));
    const result = await loadProject(root);
    expect(formatDiagnostics(result.diagnostics, root).trim()).toBe(
      'videos/a.yaml:8:26  intro  `../assets/link.png` resolves (through a symlink) outside the project root; keep assets inside the project',
    );
    expect(result.entries).toEqual([]);
  });
});
