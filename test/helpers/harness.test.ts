/**
 * The harness keeps a developer's (or CI's) own environment away from the code under test: with
 * HEYGEN_*, GITHUB_*, CI and colour variables set in this process, a test sees exactly what it
 * would see on a clean machine. Each case failed with the runners this harness replaced.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as plan } from '../../src/commands/plan.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { ALLOWED, callCommand, cliEnv, KEY, requireBuild, runCli, runProcess, TEST_POLL_MS, testEnv } from './cli.js';
import { directManifest, project, removedAfterAll } from './project.js';
import { lockAll } from '../plan/project.js';

const dirs = removedAfterAll();
const summary = (): string => join(dirs[0]!, 'step-summary.md');

beforeAll(() => {
  requireBuild();
  dirs.push(project());
});

beforeEach(() => {
  // What a developer's shell or a GitHub runner may hold while `npm test` runs.
  vi.stubEnv('HEYGEN_API_URL', 'http://127.0.0.1:9');
  vi.stubEnv('HEYGEN_API_KEY', 'sk-developers-own-key');
  vi.stubEnv('GITHUB_ACTIONS', 'true');
  vi.stubEnv('GITHUB_STEP_SUMMARY', summary());
  vi.stubEnv('CI', 'true');
  vi.stubEnv('FORCE_COLOR', '3');
  vi.stubEnv('REEL_POLL_MS', '999999');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('test harness environment', () => {
  it('passes on only the allow-listed variables, NO_COLOR=1, the test poll schedule and what the test gives', () => {
    const env = testEnv({ REEL_CATALOG_TTL: '0', HOME: undefined });
    for (const name of Object.keys(env)) expect([...ALLOWED, 'NO_COLOR', 'REEL_POLL_MS', 'REEL_CATALOG_TTL']).toContain(name);
    expect(env).toMatchObject({ NO_COLOR: '1', REEL_POLL_MS: TEST_POLL_MS, REEL_CATALOG_TTL: '0' });
    expect(testEnv({ REEL_POLL_MS: undefined })).not.toHaveProperty('REEL_POLL_MS');
    expect(env).not.toHaveProperty('HOME');
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('a built plan sees no HEYGEN_* of the developer: an up-to-date project is no change (exit 0)', async () => {
    const dir = project({ 'videos/a.yaml': directManifest(2) });
    dirs.push(dir);
    await lockAll(dir);
    const r = await runCli(['plan', '--detailed-exitcode'], dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^No changes\. 2 videos are up to date\.\n$/);
    expect(r.code).toBe(0);
    const called = await callCommand(plan, { detailedExitcode: true }, dir);
    expect(called).toEqual({ code: 0, stdout: r.stdout, stderr: '' });
  });

  describe('with an emulator', () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = await startEmulator({ port: 0, renderSeconds: 0, apiKey: KEY });
    });
    afterAll(() => emulator.close());

    it('a build writes nothing to the job summary of the run that tests it, and no ANSI colour', async () => {
      const dir = project({ 'videos/a.yaml': directManifest(1) });
      dirs.push(dir);
      const r = await runCli(['build', '--yes', '--no-download'], dir, cliEnv(emulator));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('::notice');
      expect(r.stdout).not.toContain('\u001b[');
      expect(existsSync(summary())).toBe(false);
    });

    it('a test that wants GitHub Actions says so, and gets it', async () => {
      const dir = project({ 'videos/a.yaml': directManifest(1) });
      dirs.push(dir);
      const own = join(dir, 'summary.md');
      const r = await runCli(['build', '--yes', '--no-download'], dir, cliEnv(emulator, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: own }));
      expect(r.code).toBe(0);
      expect(existsSync(own)).toBe(true);
      expect(existsSync(summary())).toBe(false);
    });
  });
});

describe('runCli (in-process) and runProcess (the built binary)', () => {
  // Most tests run reel in-process; this is what makes that stand for the binary a user runs.
  const cases: Array<[string, string[]]> = [
    ['the version', ['--version']],
    ['help for a command', ['plan', '--help']],
    ['an unknown option (exit 2)', ['plan', '--no-such-flag']],
    ['an invalid manifest (exit 1, file:line:col)', ['validate', 'broken/broken.yaml']],
    ['a plan', ['plan']],
    ['a plan as JSON', ['plan', '--json']],
    ['a build without a key (a clear refusal)', ['build', '--yes']],
  ];
  it.each(cases)('give the same exit code, stdout and stderr for %s', async (_name, args) => {
    const dir = project({
      'videos/a.yaml': directManifest(2),
      'broken/broken.yaml': 'version: 1\nvideos:\n  x:\n    avatar: Daisy-inskirt-20220818\n    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\n    scrpt: typo\n',
    });
    dirs.push(dir);
    const inProcess = await runCli(args, dir);
    const binary = await runProcess(args, dir);
    expect(binary.signal).toBeNull();
    expect({ code: inProcess.code, stdout: inProcess.stdout, stderr: inProcess.stderr }).toEqual({ code: binary.code, stdout: binary.stdout, stderr: binary.stderr });
    expect(inProcess.stdout + inProcess.stderr).not.toBe('');
  });
});

describe('the binary exits once its work is done', () => {
  // In-process runs cannot see a timer or socket left open (the binary would then never exit):
  // these commands, which talk to HeyGen, run as processes, and must end on their own.
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY });
  });
  afterAll(() => emulator.close());

  it('build, status, cost, doctor and avatars each exit on their own', async () => {
    const dir = project({ 'videos/a.yaml': directManifest(2) });
    dirs.push(dir);
    for (const args of [['build', '--yes'], ['status'], ['cost'], ['doctor'], ['avatars']]) {
      const r = await runProcess(args, dir, cliEnv(emulator), { timeoutMs: 20_000 });
      expect({ args, signal: r.signal, code: r.code }, r.stderr).toEqual({ args, signal: null, code: 0 });
    }
    const offline = project({ 'videos/a.yaml': directManifest(2) });
    dirs.push(offline);
    const built = await runProcess(['build', '--emulator'], offline, {}, { timeoutMs: 20_000 });
    expect({ signal: built.signal, code: built.code }).toEqual({ signal: null, code: 0 });
  });
});
