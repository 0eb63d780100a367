// The switches that make the emulator behave as the live HeyGen API may (API.md §2.6–2.8, §6):
// each default, and each flipped.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { api, avatarBody, sleep, until } from './helpers.js';
import { emulators } from '../helpers/emulator.js';

const emulator = emulators({ renderSeconds: 0.2 });

const session = async (emu: Emulator, id: string): Promise<any> => (await api(emu.url, 'GET', `/v3/video-agents/${id}`)).body.data;

describe('agentVideoAtCreate', () => {
  it('is on by default: the create answers a video id that stays pending while a chat session waits for review', async () => {
    const emu = await emulator();
    const created = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'a teaser', mode: 'chat' });
    const videoId = created.body.data.video_id;
    expect(videoId).toMatch(/^[0-9a-f]{32}$/);
    await until(async () => ((await session(emu, created.body.data.session_id)).status === 'reviewing' ? true : undefined));
    await sleep(300);
    expect((await api(emu.url, 'GET', `/v3/videos/${videoId}`)).body.data.status).toBe('pending');
    expect((await api(emu.url, 'GET', `/v3/videos/statuses?video_ids=${videoId}`)).body.data[0].status).toBe('pending');
    // Nothing rendered yet: the session lists no videos.
    expect((await api(emu.url, 'GET', `/v3/video-agents/${created.body.data.session_id}/videos`)).body.data).toEqual([]);

    await api(emu.url, 'POST', `/v3/video-agents/${created.body.data.session_id}`, { message: 'go ahead' });
    const done = await until(async () => {
      const s = await session(emu, created.body.data.session_id);
      return s.status === 'completed' ? s : undefined;
    });
    expect(done.video_id).toBe(videoId);
    expect((await api(emu.url, 'GET', `/v3/videos/${videoId}`)).body.data.status).toBe('completed');
  });

  it('off: the create answers video_id null, as the overview page says', async () => {
    const emu = await emulator({ behaviours: { agentVideoAtCreate: false } });
    const created = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'a teaser' });
    expect(created.body.data.video_id).toBeNull();
  });

  it('a stopped session fails its reserved video instead of leaving it pending forever', async () => {
    const emu = await emulator({ renderSeconds: 5 });
    const created = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'a teaser', mode: 'chat' });
    await api(emu.url, 'POST', `/v3/video-agents/${created.body.data.session_id}/stop`, {});
    expect((await api(emu.url, 'GET', `/v3/videos/${created.body.data.video_id}`)).body.data.status).toBe('failed');
  });
});

describe('bulk statuses', () => {
  it('statusLagSeconds: a young video is not_found on /statuses while GET /v3/videos/{id} knows it', async () => {
    const emu = await emulator({ behaviours: { statusLagSeconds: 60 } });
    const id = (await api(emu.url, 'POST', '/v3/videos', avatarBody())).body.data.video_id;
    expect((await api(emu.url, 'GET', `/v3/videos/statuses?video_ids=${id}`)).body.data[0].status).toBe('not_found');
    expect((await api(emu.url, 'GET', `/v3/videos/${id}`)).status).toBe(200);
    const plain = await emulator();
    const other = (await api(plain.url, 'POST', '/v3/videos', avatarBody())).body.data.video_id;
    expect((await api(plain.url, 'GET', `/v3/videos/statuses?video_ids=${other}`)).body.data[0].status).not.toBe('not_found');
  });

  it('statusesFailing: every bulk request answers 500, single reads still work', async () => {
    const emu = await emulator({ behaviours: { statusesFailing: true } });
    const id = (await api(emu.url, 'POST', '/v3/videos', avatarBody())).body.data.video_id;
    const bulk = await api(emu.url, 'GET', `/v3/videos/statuses?video_ids=${id}`);
    expect(bulk.status).toBe(500);
    expect(bulk.body.error.code).toBe('internal_error');
    expect((await api(emu.url, 'GET', `/v3/videos/${id}`)).status).toBe(200);
  });
});

describe('sessionListLagSeconds', () => {
  it('leaves a new session out of GET /v3/video-agents until it is old enough', async () => {
    const emu = await emulator({ behaviours: { sessionListLagSeconds: 0.3 } });
    const id = (await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'listed later' })).body.data.session_id;
    expect((await api(emu.url, 'GET', '/v3/video-agents')).body.data.map((s: any) => s.session_id)).not.toContain(id);
    await sleep(400);
    expect((await api(emu.url, 'GET', '/v3/video-agents')).body.data.map((s: any) => s.session_id)).toContain(id);
  });
});

describe('replayErrors', () => {
  const refused = (emu: Emulator, key: string) => api(emu.url, 'POST', '/v3/videos', avatarBody({ avatar_id: 'no-such-look' }), { 'idempotency-key': key });

  it('on by default: a refusal is replayed under the same key', async () => {
    const emu = await emulator();
    expect((await refused(emu, 'k-1')).status).toBe(404);
    const again = await refused(emu, 'k-1');
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('off: only successes are stored, so the same key is handled afresh', async () => {
    const emu = await emulator({ behaviours: { replayErrors: false } });
    expect((await refused(emu, 'k-1')).status).toBe(404);
    const again = await refused(emu, 'k-1');
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    const ok = await api(emu.url, 'POST', '/v3/videos', avatarBody(), { 'idempotency-key': 'k-2' });
    const replay = await api(emu.url, 'POST', '/v3/videos', avatarBody(), { 'idempotency-key': 'k-2' });
    expect(replay.body.data.video_id).toBe(ok.body.data.video_id);
  });
});

describe('chatAutoProceed', () => {
  it('renders a chat session without an approval message', async () => {
    const emu = await emulator({ behaviours: { chatAutoProceed: true } });
    const created = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'a teaser', mode: 'chat' });
    const done = await until(async () => {
      const s = await session(emu, created.body.data.session_id);
      return s.status === 'completed' ? s : undefined;
    });
    expect(done.messages.filter((m: any) => m.role === 'user')).toHaveLength(1);
    expect((await api(emu.url, 'GET', `/v3/videos/${done.video_id}`)).body.data.status).toBe('completed');
  });
});

describe('reel emulator flags', () => {
  it('documents every switch and rejects a negative lag', async () => {
    const { run } = await import('../../src/commands/emulator.js');
    const controller = new AbortController();
    controller.abort();
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) } as any;
    await expect(run({ port: 0, statusLag: -1 }, { cwd: process.cwd(), stdin: Readable.from([]), stdout: sink, stderr: sink, env: {}, signal: controller.signal })).rejects.toThrow(/--status-lag/);
    const code = await run(
      { port: 0, agentVideoAtCreate: false, statusesFailing: true },
      { cwd: process.cwd(), stdin: Readable.from([]), stdout: sink, stderr: sink, env: {}, signal: controller.signal },
    );
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/agentVideoAtCreate=false, statusesFailing=true/);
  });
});
