// reel build against each way the live HeyGen API may behave (the emulator's behaviour switches,
// docs/emulator.md): every case here hung, paid twice or recorded something false before reel
// learned to handle it. The CLI runs against the emulator over HTTP.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/manifest/index.js';
import { fieldDigests, fingerprint } from '../../src/plan/index.js';
import { cliEnv, KEY, runCli, waitFor } from '../helpers/cli.js';
import { allVideos, countByTag, creates, emulatorPerTest } from '../helpers/emulator.js';
import { directManifest, readLockJson } from '../helpers/project.js';

const { setup } = emulatorPerTest();

function agentManifest(entries: Array<{ id: string; prompt: string; review?: boolean; approved?: boolean }>): string {
  const lines = ['version: 1', 'videos:'];
  for (const e of entries) {
    lines.push(`  ${e.id}:`, '    mode: agent', `    prompt: ${e.prompt}`, '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54');
    if (e.review) lines.push('    review: true');
    if (e.approved) lines.push('    approved: true');
  }
  return `${lines.join('\n')}\n`;
}

const posts = (emu: { requests(): Array<{ method: string; path: string; idempotency_key: string | null; status: number }> }, pattern: RegExp) =>
  emu.requests().filter((r) => r.method === 'POST' && pattern.test(r.path));

type LockEntryJson = { status: string; video_id?: string; session_id?: string; unreviewed?: boolean; idempotency_key?: string; messages_sent?: string[] };

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('agent create answers a video_id at once (HeyGen, and the emulator by default)', () => {
    it('a generate session that stops to ask is reported, not waited on through its pending video', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest([{ id: 'asks', prompt: 'A 20-second teaser. [emulator:ask]' }]) });
      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/asks\s+create\s+failed/);
      expect(run.stdout + run.stderr).toMatch(/agent asked: Which voice/);
    });

    it('a chat session is approved and its video taken only once it renders', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest([{ id: 'chat', prompt: 'A 20-second teaser.', review: true, approved: true }]) });
      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      const lock = (await readLockJson(dir)).videos.chat as LockEntryJson;
      expect(lock.status).toBe('completed');
      expect(lock.unreviewed).toBeUndefined();
      expect(posts(emu, /^\/v3\/video-agents$/)).toHaveLength(1);
      expect(posts(emu, /^\/v3\/video-agents\/[^/]+$/)).toHaveLength(1);
      const video = (await (await fetch(`${emu.url}/v3/videos/${lock.video_id}`, { headers: { 'x-api-key': KEY } })).json()) as { data: { status: string } };
      expect(video.data.status).toBe('completed');
    });
  });

  describe('chat sessions that do not wait for review', () => {
    it('a render without approval is recorded unreviewed, and the build says so', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest([{ id: 'chat', prompt: 'A 20-second teaser.', review: true }]) }, { behaviours: { chatAutoProceed: true } });
      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).toMatch(/rendered without waiting for review/);
      const lock = (await readLockJson(dir)).videos.chat as LockEntryJson;
      expect(lock).toMatchObject({ status: 'completed', unreviewed: true });
      expect(lock.messages_sent ?? []).toEqual([]);
      // reel sent nothing into the session.
      expect(posts(emu, /^\/v3\/video-agents\/[^/]+$/)).toHaveLength(0);
    });
  });

  describe('a video HeyGen no longer finds', () => {
    it('of an agent entry is recorded gone only when its session does not list it either', async () => {
      const prompt = 'A 20-second teaser that someone deleted.';
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest([{ id: 'gone', prompt }]) });
      const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
      const made = (await (await fetch(`${emu.url}/v3/video-agents`, { method: 'POST', headers, body: JSON.stringify({ prompt }) })).json()) as { data: { session_id: string; video_id: string } };
      const { session_id, video_id } = made.data;
      await waitFor(async () => ((await (await fetch(`${emu.url}/v3/video-agents/${session_id}`, { headers })).json()) as { data: { status: string } }).data.status === 'completed');
      await fetch(`${emu.url}/v3/videos/${video_id}`, { method: 'DELETE', headers });
      // The lock of a build that submitted it ten minutes ago and was killed while it rendered.
      const entry = (await loadProject(dir)).entries.find((e) => e.id === 'gone');
      if (!entry) throw new Error('no entry');
      const when = new Date(Date.now() - 10 * 60_000).toISOString();
      const locked = {
        api: emu.url,
        fields: fieldDigests(entry),
        fingerprint: fingerprint(entry),
        generation: 1,
        mode: 'agent',
        session_id,
        video_id,
        status: 'submitted',
        submitted_at: when,
        updated_at: when,
      };
      await writeFile(join(dir, 'reel.lock'), `${JSON.stringify({ assets: {}, lockfileVersion: 1, videos: { gone: locked } }, null, 2)}\n`);

      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/gone\s+resume\s+failed/);
      expect((await readLockJson(dir)).videos.gone?.failure?.code).toBe('not_found');
      // Confirmed with the video itself and with the session's own list before anything was recorded.
      expect(emu.requests().some((r) => r.method === 'GET' && r.path === `/v3/videos/${video_id}`)).toBe(true);
      expect(emu.requests().some((r) => r.method === 'GET' && r.path === `/v3/video-agents/${session_id}/videos`)).toBe(true);
      expect(creates(emu, '/v3/video-agents')).toBe(1);
    });
  });

  describe('bulk statuses that lag or fail', () => {
    it('not_found for young ids is not taken as gone: the build completes, nothing is recorded failed', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(2) }, { behaviours: { statusLagSeconds: 3600 } });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      const lock = await readLockJson(dir);
      expect(Object.values(lock.videos).map((v) => v.status)).toEqual(['completed', 'completed']);
      expect(emu.requests().some((r) => r.method === 'GET' && /^\/v3\/videos\/[0-9a-f]{32}$/.test(r.path))).toBe(true);
    });

    it('a bulk endpoint that keeps failing: per-video reads finish the build', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(2) }, { behaviours: { statusesFailing: true } });
      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(creates(emu)).toBe(2);
      expect(
        emu
          .requests()
          .filter((r) => r.path === '/v3/videos/statuses')
          .every((r) => r.status === 500),
      ).toBe(true);
    });

    it('a bulk endpoint that keeps failing with several renders in flight: parallel per-video reads, 429s and all, complete each video once', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(6) }, { behaviours: { statusesFailing: true } });
      emu.inject({ method: 'GET', path: '/v3/videos/', kind: 'http-429', times: 3 });
      const run = await runCli(['build', '--deadline', '2'], dir, cliEnv(emu));
      expect(run.code, run.stderr).toBe(0);
      expect(creates(emu)).toBe(6);
      const lock = await readLockJson(dir);
      expect(Object.values(lock.videos).map((v) => v.status)).toEqual(Array(6).fill('completed'));
      for (const id of Object.keys(lock.videos)) expect(run.stdout.match(new RegExp(`^\\s*${id}\\s+create\\s+completed`, 'gm'))).toHaveLength(1);
      expect(emu.requests().filter((r) => r.method === 'GET' && r.status === 429)).toHaveLength(3);
      // Nothing was created twice, and the second build finds nothing to do.
      const again = await runCli(['build'], dir, cliEnv(emu));
      expect(again.code).toBe(0);
      expect(creates(emu)).toBe(6);
    });

    it('a render past its deadline is left unconfirmed, resumable and never created again', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) }, { renderSeconds: 600 });
      const first = await runCli(['build', '--deadline', '0.02'], dir, cliEnv(emu));
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(/v001\s+create\s+unknown/);
      expect(first.stdout + first.stderr).toMatch(/left unconfirmed in reel.lock — run `reel build` again later/);
      const lock = (await readLockJson(dir)).videos.v001 as LockEntryJson;
      expect(lock.status).toBe('submitted');
      expect(lock.video_id).toMatch(/^[0-9a-f]{32}$/);

      const plan = await runCli(['plan'], dir, cliEnv(emu));
      expect(plan.stdout).toMatch(/>\s+v001/);
      const second = await runCli(['build', '--deadline', '0.02'], dir, cliEnv(emu));
      expect(second.code).toBe(1);
      expect(second.stdout).toMatch(/v001\s+resume\s+unknown/);
      expect(creates(emu)).toBe(1);
    });
  });

  describe('an agent create whose answer is lost', () => {
    it('is never created a second time in the same build nor the next; only --recreate-unconfirmed creates anew', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest([{ id: 'lost', prompt: 'A 20-second teaser about lost answers.' }]) }, { behaviours: { sessionListLagSeconds: 3600 } });
      emu.inject({ method: 'POST', path: '/v3/video-agents', kind: 'reset-after' });
      const first = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(first.code).toBe(1);
      expect(first.stdout + first.stderr).toMatch(/not created again, so as not to pay twice/);
      expect(first.stdout + first.stderr).toMatch(/reel build --target lost --recreate-unconfirmed/);
      expect(posts(emu, /^\/v3\/video-agents$/)).toHaveLength(1);

      const second = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(second.code).toBe(1);
      expect(posts(emu, /^\/v3\/video-agents$/)).toHaveLength(1);

      const decided = await runCli(['build', '--deadline', '1', '--recreate-unconfirmed'], dir, cliEnv(emu));
      expect(decided.code).toBe(0);
      expect(decided.stdout + decided.stderr).toMatch(/creating a new one as --recreate-unconfirmed asks/);
      expect(posts(emu, /^\/v3\/video-agents$/)).toHaveLength(2);
    });

    it('is adopted when the session shows up in the listing a little later', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest([{ id: 'late', prompt: 'A 20-second teaser listed late.' }]) }, { behaviours: { sessionListLagSeconds: 0.4 } });
      emu.inject({ method: 'POST', path: '/v3/video-agents', kind: 'reset-after' });
      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      expect(posts(emu, /^\/v3\/video-agents$/)).toHaveLength(1);
      expect((await readLockJson(dir)).videos.late?.status).toBe('completed');
    });
  });

  describe('an error replayed under an Idempotency-Key', () => {
    it('after a 402 and a top-up, the next build renders under a fresh key recorded in the lock', async () => {
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) }, { credits: 1 });
      const refused = await runCli(['build'], dir, cliEnv(emu));
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(/insufficient_credit/);
      emu.addCredits(KEY, 1000);

      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(0);
      const lock = (await readLockJson(dir)).videos.v001 as LockEntryJson;
      expect(lock.status).toBe('completed');
      expect(lock.idempotency_key).toMatch(/^reel-[0-9a-f]{32}-g1-r[0-9a-f]{8}$/);
      const accepted = posts(emu, /^\/v3\/videos$/).filter((r) => r.status === 200);
      expect(accepted.map((r) => r.idempotency_key)).toEqual([lock.idempotency_key]);
      expect([...countByTag(await allVideos(emu)).values()]).toEqual([1]);
    });
  });

  describe('local files over 32,000,000 bytes', () => {
    it('are uploaded through direct uploads and the entry renders', async () => {
      const { dir, emu } = await setup({
        'videos/a.yaml': [
          'version: 1',
          'videos:',
          '  big:',
          '    image: ../assets/big.png',
          '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
          '    script: A picture worth thirty-two megabytes.',
          '',
        ].join('\n'),
      });
      const bytes = Buffer.alloc(32_000_001);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
      await mkdir(join(dir, 'assets'), { recursive: true });
      await writeFile(join(dir, 'assets/big.png'), bytes);
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const paths = emu.requests().map((r) => `${r.method} ${r.path.replace(/ast_[0-9a-f]+/, '{id}')}`);
      expect(paths).toContain('POST /v3/assets/direct-uploads');
      expect(paths).toContain('POST /v3/assets/{id}/complete');
      expect(paths).not.toContain('POST /v3/assets');
    });
  });
});
