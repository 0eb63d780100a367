import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadTo, TransferError, UrlExpiredError } from '../../src/build/download.js';
import { idempotencyKey, titleTag } from '../../src/build/identity.js';
import type { Emulator } from '../../src/emulator/index.js';
import { loadProject } from '../../src/manifest/index.js';
import { fieldDigests, fingerprint } from '../../src/plan/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { directManifest, readLockJson } from '../helpers/project.js';
import { allVideos, countByTag, creates, emulatorPerTest } from '../helpers/emulator.js';

const { setup } = emulatorPerTest();

async function post(emu: Emulator, path: string, body: unknown, key?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'x-api-key': KEY, 'content-type': 'application/json' };
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(`${emu.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return ((await res.json()) as { data: Record<string, unknown> }).data;
}

/** v001 of `directManifest(1)` as its lost create made it on HeyGen, under `key`. */
function madeOnHeyGen(emu: Emulator, fp: string, key: string): Promise<Record<string, unknown>> {
  const request = {
    type: 'avatar',
    avatar_id: 'Daisy-inskirt-20220818',
    voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
    script: 'This is test video number 1.',
    title: `Video 1 ${titleTag(fp, 1)}`,
  };
  return post(emu, '/v3/videos', request, key);
}

/** A lock as a run killed right after its create left would have written it. */
async function writeIntent(emu: Emulator, dir: string, id: string, submittedAt: Date): Promise<{ fp: string }> {
  const loaded = await loadProject(dir);
  const entry = loaded.entries.find((e) => e.id === id);
  if (!entry) throw new Error(`no entry ${id}`);
  const fp = fingerprint(entry);
  const intent: Record<string, unknown> = {
    api: (cliEnv(emu).HEYGEN_API_URL ?? '').replace(/\/+$/, ''),
    fields: fieldDigests(entry),
    fingerprint: fp,
    generation: 1,
    mode: entry.mode,
    status: 'submitted',
    submitted_at: submittedAt.toISOString(),
    updated_at: submittedAt.toISOString(),
  };
  if (entry.mode === 'direct') intent.idempotency_key = idempotencyKey(fp, 1);
  await writeFile(join(dir, 'reel.lock'), `${JSON.stringify({ assets: {}, lockfileVersion: 1, videos: { [id]: intent } }, null, 2)}\n`);
  return { fp };
}

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('reconciling a create whose answer never arrived', () => {
    it('within 24 h: resends with the same Idempotency-Key and HeyGen replays the video', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) });
      const { fp } = await writeIntent(emu, dir, 'v001', new Date());
      const made = await madeOnHeyGen(emu, fp, idempotencyKey(fp, 1));
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/v001\s+resume\s+completed/);
      expect((await readLockJson(dir)).videos.v001?.video_id).toBe(made.video_id);
      expect(await allVideos(emu)).toHaveLength(1);
    });

    it('after 24 h: finds the video by its title tag before creating anything', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) });
      const { fp } = await writeIntent(emu, dir, 'v001', new Date(Date.now() - 25 * 3600 * 1000));
      // Made under a key HeyGen has forgotten: only the tag can connect it to the entry.
      const made = await madeOnHeyGen(emu, fp, 'some-expired-key');
      const before = creates(emu);
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/found by its title tag/);
      expect(creates(emu)).toBe(before);
      expect((await readLockJson(dir)).videos.v001?.video_id).toBe(made.video_id);
    });

    it('agent sessions: adopts the session whose first message is the prompt', async () => {
      const prompt = 'A 20-second tour of the Acme dashboard for new users.';
      const { dir, emu } = await setup({ 'videos/a.yaml': `version: 1\nvideos:\n  tour:\n    mode: agent\n    prompt: ${prompt}\n` });
      await writeIntent(emu, dir, 'tour', new Date());
      // Another session with a different prompt must not be taken.
      await post(emu, '/v3/video-agents', { prompt: 'Something else entirely.', mode: 'generate' });
      const made = await post(emu, '/v3/video-agents', { prompt, mode: 'generate' });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/found among recent agent sessions/);
      expect(creates(emu, '/v3/video-agents')).toBe(2);
      expect((await readLockJson(dir)).videos.tour?.session_id).toBe(made.session_id);
    });
  });

  describe('limits and settings', () => {
    it('waits out 429s from the concurrent job limit and still renders each video once', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(6) }, { concurrencyLimit: 2, retryAfterSeconds: 1 });
      const run = await runCli(['build', '--concurrency', '4'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(emu.requests().some((r) => r.status === 429)).toBe(true);
      const counts = countByTag(await allVideos(emu));
      expect(counts.size).toBe(6);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    });

    it('title_tag: false sends the manifest title untouched', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(2), 'reel.config.yaml': 'title_tag: false\n' });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect((await allVideos(emu)).map((v) => v.title).sort()).toEqual(['Video 1', 'Video 2']);
    });

    it('--no-download records the render without files; a later build downloads them without rendering', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(2) });
      expect((await runCli(['build', '--no-download'], dir, cliEnv(emu))).code).toBe(0);
      const lock = await readLockJson(dir);
      expect(lock.videos.v001?.status).toBe('completed');
      expect(lock.videos.v001?.output).toBeUndefined();
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(creates(emu)).toBe(2);
      expect((await readFile(join(dir, 'out/v002.mp4'))).byteLength).toBeGreaterThan(0);
    });

    it('retries a truncated download and never records a partial file', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) });
      emu.inject({ path: '/files/', kind: 'truncate', times: 2 });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      const lock = await readLockJson(dir);
      const bytes = await readFile(join(dir, 'out/v001.mp4'));
      expect(lock.videos.v001?.output?.size).toBe(bytes.byteLength);
      expect(lock.videos.v001?.output?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect((await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('tells an expired download URL (refresh it) from a broken transfer (retry it)', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) }, { urlTtl: 1 });
      expect((await runCli(['build', '--no-download'], dir, cliEnv(emu))).code).toBe(0);
      const videoId = (await readLockJson(dir)).videos.v001?.video_id;
      const res = await fetch(`${emu.url}/v3/videos/${videoId}`, { headers: { 'x-api-key': KEY } });
      const url = ((await res.json()) as { data: { video_url: string } }).data.video_url;
      // Expiry has whole-second resolution.
      await new Promise((r) => setTimeout(r, 2100));
      await expect(downloadTo(url, join(dir, 'x.mp4'), new AbortController().signal)).rejects.toBeInstanceOf(UrlExpiredError);
      emu.inject({ path: '/files/', kind: 'truncate' });
      const fresh = await fetch(`${emu.url}/v3/videos/${videoId}`, { headers: { 'x-api-key': KEY } });
      const freshUrl = ((await fresh.json()) as { data: { video_url: string } }).data.video_url;
      await expect(downloadTo(freshUrl, join(dir, 'x.mp4'), new AbortController().signal)).rejects.toBeInstanceOf(TransferError);
      expect(await readdir(dir)).not.toContain('x.mp4');
      expect((await downloadTo(freshUrl, join(dir, 'x.mp4'), new AbortController().signal)).size).toBeGreaterThan(0);
    });
  });
});
