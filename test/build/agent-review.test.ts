import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { project, readLockJson } from '../helpers/project.js';

let emulator: Emulator;
let dir: string;

const manifest = (approved: boolean, revisions: string[]): string =>
  [
    'version: 1',
    'videos:',
    '  teaser:',
    '    mode: agent',
    '    prompt: A 20-second teaser announcing Acme 2.0.',
    '    review: true',
    ...(revisions.length > 0 ? ['    revisions:', ...revisions.map((r) => `      - ${r}`)] : []),
    ...(approved ? ['    approved: true'] : []),
    '',
  ].join('\n');

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY });
  dir = await project({ 'videos/a.yaml': manifest(false, ['Make the intro shorter.']) });
});
afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

const messagesSent = (): string[] =>
  emulator
    .requests()
    .filter((r) => r.method === 'POST' && /^\/v3\/video-agents\/[^/]+$/.test(r.path))
    .map((r) => r.path);

describe('agent entries with review: true', () => {
  it('sends each revision once, stops at the storyboard, and renders after approval', async () => {
    const first = await runCli(['build'], dir, cliEnv(emulator));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/teaser\s+create\s+awaiting_review/);
    let lock = await readLockJson(dir);
    expect(lock.videos.teaser?.status).toBe('awaiting_review');
    expect(messagesSent()).toHaveLength(1);

    // Nothing new to say: the build leaves the session alone and sends nothing.
    const before = emulator.requests().length;
    const idle = await runCli(['build'], dir, cliEnv(emulator));
    expect(idle.code).toBe(0);
    expect(idle.stdout).toMatch(/1 awaiting review \(teaser\)/);
    expect(emulator.requests().length).toBe(before);

    // A new revision and the approval: both go into the same session, each once; no new session.
    await writeFile(join(dir, 'videos/a.yaml'), manifest(true, ['Make the intro shorter.', 'End with the URL.']));
    const approved = await runCli(['build'], dir, cliEnv(emulator));
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    lock = await readLockJson(dir);
    expect(lock.videos.teaser?.status).toBe('completed');
    expect((await readFile(join(dir, lock.videos.teaser?.output?.path ?? 'x'))).subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(messagesSent()).toHaveLength(3);
    expect(emulator.requests().filter((r) => r.method === 'POST' && r.path === '/v3/video-agents')).toHaveLength(1);

    const done = await runCli(['build'], dir, cliEnv(emulator));
    expect(done.stdout).toMatch(/^Nothing to render: 1 video up to date\./);
  });
});
