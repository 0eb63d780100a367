/**
 * One API spelled several ways is one API (issue 16, item 4): a project built against an emulator
 * plans nothing when HEYGEN_API_URL names the same origin differently, and a lock written with an
 * un-normalised URL still matches. Through the built CLI against the emulator over HTTP.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { directManifest, project } from '../helpers/project.js';
import { creates } from '../helpers/emulator.js';

let emulator: Emulator;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator({ renderSeconds: 0.05 });
  dir = await project({ 'videos/team.yaml': directManifest(3) });
  const build = await runCli(['build', '--yes'], dir, cliEnv(emulator, { REEL_POLL_MS: '20,20,50' }));
  expect(build.code, build.stderr).toBe(0);
  expect(creates(emulator)).toBe(3);
});

afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function planWith(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(['plan', '--json', '--detailed-exitcode'], dir, cliEnv(undefined, { HEYGEN_API_URL: url, HEYGEN_API_KEY: KEY }));
}

describe('the API an entry was rendered against, however HEYGEN_API_URL spells it', () => {
  it('plans nothing for spellings of the same origin', async () => {
    const { port } = emulator;
    // Scheme case, a trailing slash, a dot segment, IPv4 shorthand: the WHATWG URL parser makes each
    // exactly http://127.0.0.1:PORT (localhost would be another origin, so it is not among them).
    for (const url of [`HTTP://127.0.0.1:${port}/`, `http://127.0.0.1:${port}//`, `http://127.0.0.1:${port}/.`, `http://127.1:${port}`]) {
      const result = await planWith(url);
      expect(result.code, `${url}\n${result.stdout}${result.stderr}`).toBe(0);
    }
    // Another origin is another API: its renders would be new ones.
    expect((await planWith(`http://localhost:${port}`)).code).toBe(2);
  });

  it('matches a lock written with an un-normalised URL, and records the normal one', async () => {
    const lockFile = join(dir, 'reel.lock');
    const original = await readFile(lockFile, 'utf8');
    expect(original).toContain(`"api": "http://127.0.0.1:${emulator.port}"`);
    await writeFile(lockFile, original.replaceAll(`"api": "http://127.0.0.1:${emulator.port}"`, `"api": "HTTP://127.0.0.1:${emulator.port}/"`));
    try {
      const result = await planWith(emulator.url);
      expect(result.code, result.stdout).toBe(0);
    } finally {
      await writeFile(lockFile, original);
    }
  });

  it('refuses an empty HEYGEN_API_URL instead of using HeyGen, and never echoes credentials', async () => {
    const empty = await planWith('');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/HEYGEN_API_URL is set but empty/);

    const secret = await planWith(`http://user:hunter2-secret@127.0.0.1:${emulator.port}`);
    expect(secret.code).not.toBe(0);
    expect(secret.stderr).toMatch(/must not contain credentials/);
    expect(secret.stdout + secret.stderr).not.toContain('hunter2-secret');
  });
});
