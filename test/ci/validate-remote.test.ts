import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { exampleProject, project } from '../helpers/project.js';

let emulator: Emulator;
const dirs: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, apiKey: KEY });
});
afterAll(async () => {
  await emulator.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
beforeEach(() => emulator.reset());

const MANIFEST = `version: 1
defaults:
  avatar: Daisy-inskirt-2022081
  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54
videos:
  one:
    script: One.
  two:
    script: Two.
    voice: Hope
  agent-one:
    mode: agent
    prompt: A short video.
    style: style_cinematic_1
`;

describe('reel validate --remote', () => {
  it('passes the example library, reading each catalog once', async () => {
    const cwd = await exampleProject();
    dirs.push(cwd);
    const r = await runCli(['validate', '--remote'], cwd, cliEnv(emulator));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/8 videos in 3 files: valid/);
    const paths = emulator.requests().map((q) => q.path);
    expect(paths.filter((p) => p === '/v3/avatars/looks')).toHaveLength(1);
    // The library names no style: styles are not listed.
    expect(paths).not.toContain('/v3/video-agents/styles');
    expect(emulator.requests().every((q) => q.method === 'GET')).toBe(true);
  });

  it('reports unknown ids at their path:line:col, once per position, with close matches', async () => {
    const cwd = await project({ 'videos/a.yaml': MANIFEST });
    dirs.push(cwd);
    const r = await runCli(['validate', '--remote'], cwd, cliEnv(emulator));
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('videos/'));
    expect(lines).toEqual([
      'videos/a.yaml:3:11  `avatar`: avatar look `Daisy-inskirt-2022081` does not exist in this HeyGen account (used by 3 videos: agent-one, one, two); did you mean `Daisy-inskirt-20220818` (Daisy in skirt)?',
      'videos/a.yaml:10:12  two  `voice`: voice `Hope` does not exist in this HeyGen account; did you mean `2d5b0e6cf36f460aa7fc47e3eee4ba54` (Hope)?',
      'videos/a.yaml:14:12  agent-one  `style`: style `style_cinematic_1` does not exist in this HeyGen account; did you mean `style_cinematic_01` (Cinematic)?',
    ]);
    expect(r.stdout).toMatch(/3 errors in 1 file/);

    const json = await runCli(['validate', '--remote', '--json'], cwd, cliEnv(emulator));
    const body = JSON.parse(json.stdout) as { valid: boolean; diagnostics: Array<{ file: string; line: number; col: number; id?: string }> };
    expect(body.valid).toBe(false);
    expect(body.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}:${d.id ?? ''}`)).toEqual(['videos/a.yaml:3:11:', 'videos/a.yaml:10:12:two', 'videos/a.yaml:14:12:agent-one']);

    const gh = await runCli(['validate', '--remote'], cwd, cliEnv(emulator, { GITHUB_ACTIONS: 'true' }));
    expect(gh.stdout).toContain('::error file=videos/a.yaml,line=10,col=12::two: `voice`: voice `Hope` does not exist');
  });

  it('without --remote sends nothing; without a key --remote says how to set one', async () => {
    const cwd = await project({ 'videos/a.yaml': MANIFEST });
    dirs.push(cwd);
    const local = await runCli(['validate'], cwd, cliEnv(emulator));
    expect(local.code).toBe(0);
    expect(emulator.requests()).toHaveLength(0);
    const noKey = await runCli(['validate', '--remote'], cwd, cliEnv(undefined));
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/HEYGEN_API_KEY is not set/);
  });
});
