// Every fault kind, injected deterministically, and the seeded random faults.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { KEY, api, avatarBody, until } from './helpers.js';
import { emulators } from '../helpers/emulator.js';

const emulator = emulators({ renderSeconds: 0.2 });

async function completedVideo(emu: Emulator): Promise<any> {
  const created = await api(emu.url, 'POST', '/v3/videos', avatarBody());
  return until(async () => {
    const a = await api(emu.url, 'GET', `/v3/videos/${created.body.data.video_id}`);
    return a.body.data.status === 'completed' ? a.body.data : undefined;
  });
}

/** A GET over node:http that reports what arrived before the connection ended. */
function rawGet(url: string): Promise<{ status: number; declared: number; received: number; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let received = 0;
      let aborted = false;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, declared: Number(res.headers['content-length']), received, aborted }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('injected faults', () => {
  it('http-500, http-502 (HTML, like a gateway) and http-503, once each', async () => {
    const emu = await emulator();
    emu.inject({ path: '/v3/users/me', kind: 'http-500' });
    emu.inject({ path: '/v3/users/me', kind: 'http-502' });
    emu.inject({ path: '/v3/users/me', kind: 'http-503' });
    const a = await api(emu.url, 'GET', '/v3/users/me');
    expect(a.status).toBe(500);
    expect(a.body.error.code).toBe('internal_error');
    const b = await api(emu.url, 'GET', '/v3/users/me');
    expect(b.status).toBe(502);
    expect(b.headers.get('content-type')).toContain('text/html');
    const c = await api(emu.url, 'GET', '/v3/users/me');
    expect(c.status).toBe(503);
    expect((await api(emu.url, 'GET', '/v3/users/me')).status).toBe(200);
    expect(emu.requests().map((r) => r.fault ?? null)).toEqual(['http-500', 'http-502', 'http-503', null]);
  });

  it('http-429 answers rate_limit_exceeded with Retry-After, whatever the job count', async () => {
    const emu = await emulator({ retryAfterSeconds: 2 });
    emu.inject({ method: 'GET', path: '/v3/videos/statuses', kind: 'http-429' });
    const limited = await api(emu.url, 'GET', '/v3/videos/statuses?video_ids=x');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect((await api(emu.url, 'GET', '/v3/videos/statuses?video_ids=x')).status).toBe(200);
  });

  it('reset drops the connection before anything happens', async () => {
    const emu = await emulator();
    emu.inject({ method: 'POST', path: '/v3/videos', kind: 'reset' });
    await expect(api(emu.url, 'POST', '/v3/videos', avatarBody({ title: 'reset-me' }))).rejects.toThrow();
    expect((await api(emu.url, 'GET', '/v3/videos?title=reset-me')).body.data).toEqual([]);
    expect(emu.requests()[0]).toMatchObject({ method: 'POST', status: 0, fault: 'reset' });
  });

  it('reset-after creates exactly one video, which a title search or the same Idempotency-Key finds', async () => {
    const emu = await emulator();
    emu.inject({ method: 'POST', path: '/v3/videos', kind: 'reset-after' });
    const headers = { 'idempotency-key': 'ambiguous-1' };
    await expect(api(emu.url, 'POST', '/v3/videos', avatarBody({ title: 'welcome [reel:f00d]' }), headers)).rejects.toThrow();
    const found = await api(emu.url, 'GET', '/v3/videos?title=reel:f00d');
    expect(found.body.data).toHaveLength(1);
    const retry = await api(emu.url, 'POST', '/v3/videos', avatarBody({ title: 'welcome [reel:f00d]' }), headers);
    expect(retry.status).toBe(200);
    expect(retry.body.data.video_id).toBe(found.body.data[0].id);
    expect((await api(emu.url, 'GET', '/v3/videos')).body.data).toHaveLength(1);
  });

  it('slow holds the answer for delayMs', async () => {
    const emu = await emulator();
    emu.inject({ path: '/v3/voices', kind: 'slow', delayMs: 300 });
    const started = Date.now();
    expect((await api(emu.url, 'GET', '/v3/voices')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('truncate sends part of a download and then drops it', async () => {
    const emu = await emulator();
    const video = await completedVideo(emu);
    emu.inject({ path: '/files/', kind: 'truncate' });
    const cut = await rawGet(video.video_url);
    expect(cut.status).toBe(200);
    expect(cut.received).toBeLessThan(cut.declared);
    const whole = await rawGet(video.video_url);
    expect(whole.received).toBe(whole.declared);
  });

  it('render-fail ends the next created video failed with a failure_code', async () => {
    const emu = await emulator();
    emu.inject({ method: 'POST', path: '/v3/videos', kind: 'render-fail' });
    const created = await api(emu.url, 'POST', '/v3/videos', avatarBody());
    expect(created.status).toBe(200);
    const failed = await until(async () => {
      const a = await api(emu.url, 'GET', `/v3/videos/${created.body.data.video_id}`);
      return a.body.data.status === 'failed' ? a.body.data : undefined;
    });
    expect(failed).toMatchObject({ failure_code: 'rendering_failed', video_url: null });
    expect(typeof failed.failure_message).toBe('string');
    const statuses = await api(emu.url, 'GET', `/v3/videos/statuses?video_ids=${created.body.data.video_id}`);
    expect(statuses.body.data[0]).toMatchObject({ status: 'failed', error: { code: 'rendering_failed' } });
    // One-off: the next one renders.
    const next = await completedVideo(emu);
    expect(next.status).toBe('completed');
  });

  it('render-fail on an agent session fails the session and its video', async () => {
    const emu = await emulator();
    emu.inject({ path: '/v3/video-agents', kind: 'render-fail' });
    const created = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'explainer' });
    const session = await until(async () => {
      const a = await api(emu.url, 'GET', `/v3/video-agents/${created.body.data.session_id}`);
      return a.body.data.status === 'failed' ? a.body.data : undefined;
    });
    expect(session.messages[0].type).toBe('error');
    expect((await api(emu.url, 'GET', `/v3/videos/${session.video_id}`)).body.data.status).toBe('failed');
  });

  it('accepts fault rules over HTTP without a key', async () => {
    const emu = await emulator();
    const posted = await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ method: 'GET', path: '/v3/users/me', kind: 'http-503', times: 2 }),
    });
    expect(posted.status).toBe(200);
    expect((await api(emu.url, 'GET', '/v3/users/me')).status).toBe(503);
    expect((await api(emu.url, 'GET', '/v3/users/me')).status).toBe(503);
    expect((await api(emu.url, 'GET', '/v3/users/me')).status).toBe(200);
    const bad = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ path: '/', kind: 'meteor' }) });
    expect(bad.status).toBe(400);
  });
});

describe('seeded random faults', () => {
  /** Sends the same fixed sequence of requests and returns the faults each one met. */
  async function run(seed: number): Promise<Array<string | null>> {
    const emu = await emulator({ faultRate: 0.3, seed, renderSeconds: 0 });
    for (let i = 0; i < 40; i += 1) {
      await fetch(`${emu.url}/v3/users/me`, { headers: { 'x-api-key': KEY } }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
    }
    const faults = emu.requests().map((r) => r.fault ?? null);
    await emu.close();
    return faults;
  }

  it('gives the same faults for the same seed and request sequence, others for another seed', async () => {
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const hit = a.filter((f) => f !== null).length;
    expect(hit).toBeGreaterThan(3);
    expect(hit).toBeLessThan(25);
    expect(new Set(a.filter((f) => f !== null)).size).toBeGreaterThan(1);
  }, 30_000);

  it('at rate 1 fails every render and truncates every download', async () => {
    const emu = await emulator({ faultRate: 1, seed: 3, renderSeconds: 0.1 });
    // Every API request meets a fault too; only 'slow' (and reset-after, replayed by the key) let
    // an answer through, so retry like a client would.
    const retrying = async (method: string, path: string, body?: unknown): Promise<any> => {
      for (let i = 0; i < 100; i += 1) {
        const a = await api(emu.url, method, path, body, { 'idempotency-key': 'rate-1' }).catch(() => null);
        if (a && a.status === 200) return a.body.data;
      }
      throw new Error(`no answer from ${method} ${path}`);
    };
    const created = await retrying('POST', '/v3/videos', avatarBody());
    const failed = await until(async () => {
      const data = await retrying('GET', `/v3/videos/${created.video_id}`);
      return data.status === 'failed' ? data : undefined;
    });
    expect(failed.failure_code).toBe('rendering_failed');

    // No video completes at rate 1, so check downloads on the demo asset (same download path).
    const cut = await rawGet(`${emu.url}/assets/ast_5d1c0b9e8a7f4e21/demo.png`);
    expect(cut.status).toBe(200);
    expect(cut.received).toBeLessThan(cut.declared);
  }, 30_000);
});
