import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, runCli } from '../helpers/cli.js';
import { MANIFEST_HEADER as HEADER, project } from '../helpers/project.js';

/** The audit's smaller findings, each through the CLI. */
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

describe('files reel cannot use get clear errors, not exit 70', () => {
  it('a directory at reel.lock.pid', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n` });
    mkdirSync(join(root, 'reel.lock.pid'));
    const r = await runCli(['build', '--emulator'], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("reel: reel.lock.pid is a directory, not reel's write-lock file; remove it (rmdir reel.lock.pid, or move it away) and try again.\n");
  });

  it('an asset over 2 GiB', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n    background: { image: ../assets/huge.png }\n` });
    mkdirSync(join(root, 'assets'));
    // A sparse file: 2 GiB + 1 byte of length, no disk used.
    const fd = openSync(join(root, 'assets/huge.png'), 'w');
    ftruncateSync(fd, 2 ** 31 + 1);
    closeSync(fd);
    const r = await runCli(['validate'], root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('videos/a.yaml:8:26  a  `../assets/huge.png` is 2.0 GiB; reel uploads local files of up to 2 GiB');
  });

  it('a FIFO as an each: file is refused instead of hanging', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a-{{ row.slug }}:\n    each: ../data/rows.csv\n    script: Hi {{ row.slug }}.\n` });
    mkdirSync(join(root, 'data'));
    execFileSync('mkfifo', [join(root, 'data/rows.csv')]);
    const r = await runCli(['validate'], root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('is not a regular file (a pipe or device?)');
  });
});

describe('inputs that must not change what reel does', () => {
  it('CRLF and LF inside a quoted CSV cell give the same fingerprint', async () => {
    const manifest = `${HEADER}  hi-{{ row.slug }}:\n    each: ../data/rows.csv\n    script: "{{ row.text }}"\n`;
    const fingerprints: string[][] = [];
    for (const eol of ['\n', '\r\n']) {
      const root = make({ 'videos/a.yaml': manifest, 'data/rows.csv': `slug,text${eol}ann,"Hello${eol}there"${eol}` });
      const plan = JSON.parse((await runCli(['plan', '--json'], root)).stdout) as { changes: Array<{ id: string; fingerprint: string }> };
      fingerprints.push(plan.changes.map((c) => `${c.id} ${c.fingerprint}`));
    }
    expect(fingerprints[1]).toEqual(fingerprints[0]);
  });

  it('a pathological --target glob is answered at once', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `${'a'.repeat(150)}${i}`);
    const root = make({ 'videos/a.yaml': `${HEADER}${ids.map((id) => `  ${id}:\n    script: Hi.\n`).join('')}` });
    const r = await runCli(['plan', '--target', `${'*a'.repeat(14)}*b`], root);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('matches no video');
    expect((await runCli(['plan', '--target', `${'a'.repeat(300)}*`], root)).stderr).toContain('--target is 301 characters long');
  });
});

describe('manifest text cannot inject output', () => {
  it('a newline in a manifest value cannot start a GitHub workflow command', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n    image: "pic.png\\n::warning::injected"\n` });
    for (const command of ['validate', 'plan']) {
      const r = await runCli([command], root, { GITHUB_ACTIONS: 'true' });
      const lines = `${r.stdout}${r.stderr}`.split('\n');
      expect(lines.filter((l) => /^\s*::/.test(l) && !l.startsWith('::error file=videos/a.yaml,line=8,col=12::'))).toEqual([]);
      expect(`${r.stdout}${r.stderr}`).toContain('`pic.png\\n::warning::injected` not found');
    }
  });

  it('plan --markdown shows lock and manifest text without links, HTML or mentions', async () => {
    const root = make({ 'videos/a.yaml': `${HEADER}  a:\n    script: Hi.\n` });
    const plan = JSON.parse((await runCli(['plan', '--json'], root)).stdout) as { changes: Array<{ fingerprint: string }> };
    const message = 'bad <img src=x onerror=alert(1)> [click](https://evil.example) @acme/admins\n## owned';
    writeFileSync(
      join(root, 'reel.lock'),
      JSON.stringify({
        lockfileVersion: 1,
        assets: {},
        videos: {
          a: { fingerprint: plan.changes[0]!.fingerprint, mode: 'direct', status: 'failed', generation: 1, fields: {}, updated_at: '2026-01-01T00:00:00.000Z', failure: { code: 'x', message } },
        },
      }),
    );
    const md = (await runCli(['plan', '--markdown'], root)).stdout;
    expect(md).toContain('&#60;img src=x onerror=alert(1)&#62;');
    for (const raw of ['<img', '[click]', '@acme', '\n## owned']) expect(md).not.toContain(raw);
  });
});
