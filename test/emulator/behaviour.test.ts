// Auth, validation, ids, the concurrency limit, Idempotency-Key, URL expiry, webhooks, the
// observability endpoints.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/emulator/index.js';
import { api, avatarBody, example, expectShape, sleep, until } from './helpers.js';
import { emulators } from '../helpers/emulator.js';

const emulator = emulators({ renderSeconds: 0.2 });

describe('auth', () => {
  it('needs a key: any non-empty one by default, exactly --api-key when set, Bearer too', async () => {
    const emu = await emulator();
    const none = await api(emu.url, 'GET', '/v3/users/me', undefined, { 'x-api-key': '' });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(none.headers.get('x-request-id')).toBeTruthy();
    expect((await api(emu.url, 'GET', '/v3/users/me', undefined, { 'x-api-key': 'anything' })).status).toBe(200);

    const strict = await emulator({ apiKey: 'sekret' });
    expect((await api(strict.url, 'GET', '/v3/users/me', undefined, { 'x-api-key': 'anything' })).status).toBe(401);
    expect((await fetch(`${strict.url}/v3/users/me`, { headers: { 'X-API-KEY': 'sekret' } })).status).toBe(200);
    const bearer = await fetch(`${strict.url}/v3/users/me`, { headers: { authorization: 'Bearer sekret' } });
    expect(bearer.status).toBe(200);
  });

  it('scopes videos to the key that made them', async () => {
    const emu = await emulator();
    const a = await api(emu.url, 'POST', '/v3/videos', avatarBody(), { 'x-api-key': 'alice' });
    const other = await api(emu.url, 'GET', `/v3/videos/${a.body.data.video_id}`, undefined, { 'x-api-key': 'bob' });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('video_not_found');
  });
});

describe('validation', () => {
  it('answers 400 invalid_parameter with param, shaped like the example', async () => {
    const emu = await emulator();
    const speed = await api(emu.url, 'POST', '/v3/videos', avatarBody({ voice_settings: { speed: 2 } }));
    expect(speed.status).toBe(400);
    expectShape(speed.body, example('error-400-validation.response.json'));
    expect(speed.body.error).toMatchObject({ code: 'invalid_parameter', param: 'voice_settings.speed' });

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'avatar' }, 'avatar_id'],
      [{ type: 'hologram' }, 'type'],
      [avatarBody({ resolution: '8k' }), 'resolution'],
      [avatarBody({ script: 'x'.repeat(5001) }), 'script'],
      [avatarBody({ audio_url: 'https://example.com/a.mp3' }), 'script'],
      [avatarBody({ engine: { type: 'avatar_v' } }), 'engine.type'],
      [avatarBody({ background: { type: 'color', value: 'red' } }), 'background.value'],
      [avatarBody({ callback_url: 'not a url' }), 'callback_url'],
      [avatarBody({ voice_settings: { engine_settings: { engine_type: 'fish' } } }), 'voice_settings.engine_settings.engine_type'],
      [{ type: 'image', image: { type: 'url', url: 'https://example.com/a.png' }, script: 'hi' }, 'voice_id'],
    ];
    for (const [body, param] of cases) {
      const answer = await api(emu.url, 'POST', '/v3/videos', body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error.param).toBe(param);
    }
    const notJson = await api(emu.url, 'POST', '/v3/videos', '{nope');
    expect(notJson.body.error.param).toBe('body');
    const prompt = await api(emu.url, 'POST', '/v3/video-agents', { prompt: '' });
    expect(prompt.body.error.param).toBe('prompt');
    const files = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'x', files: Array.from({ length: 21 }, () => ({ type: 'url', url: 'https://e.com/a.pdf' })) });
    expect(files.body.error.param).toBe('files');
    // Nothing invalid was created.
    expect((await api(emu.url, 'GET', '/v3/videos')).body.data).toEqual([]);
  });

  it('rejects unknown avatar, voice, style and asset ids with 404 codes', async () => {
    const emu = await emulator();
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['/v3/videos', avatarBody({ avatar_id: 'Nobody' }), 'avatar_not_found', 'avatar_id'],
      ['/v3/videos', avatarBody({ voice_id: 'nope' }), 'voice_not_found', 'voice_id'],
      ['/v3/videos', { type: 'image', image: { type: 'asset_id', asset_id: 'ast_missing' }, audio_url: 'https://e.com/a.mp3' }, 'asset_not_found', 'image.asset_id'],
      ['/v3/video-agents', { prompt: 'x', style_id: 'nope' }, 'not_found', 'style_id'],
      ['/v3/video-agents', { prompt: 'x', avatar_id: 'nope' }, 'avatar_not_found', 'avatar_id'],
    ];
    for (const [path, body, code, param] of cases) {
      const answer = await api(emu.url, 'POST', path, body);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code, param });
    }
  });

  it('rejects undeclared fields only in strict mode', async () => {
    const lax = await emulator();
    expect((await api(lax.url, 'POST', '/v3/videos', avatarBody({ colour: 'blue' }))).status).toBe(200);
    const strict = await emulator({ strict: true });
    const answer = await api(strict.url, 'POST', '/v3/videos', avatarBody({ voice_settings: { speed: 1, tone: 'warm' } }));
    expect(answer.status).toBe(400);
    expect(answer.body.error.param).toBe('voice_settings.tone');
    expect((await api(strict.url, 'POST', '/v3/videos', example('video-create-avatar.request.json'))).status).toBe(200);
  });

  it('uses a --catalog in place of the built-in one', async () => {
    const emu = await emulator({
      catalog: {
        looks: [{ id: 'Custom_look', name: 'Custom', avatar_type: 'studio_avatar', supported_api_engines: ['avatar_iv'], tags: [] }],
        voices: [{ voice_id: 'v1', name: 'V', language: 'English', gender: 'male', type: 'public', support_pause: true, support_locale: false }],
        styles: [],
      },
    });
    expect((await api(emu.url, 'POST', '/v3/videos', { type: 'avatar', avatar_id: 'Custom_look', voice_id: 'v1', script: 'hi' })).status).toBe(200);
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody())).body.error.code).toBe('avatar_not_found');
  });
});

describe('concurrency limit', () => {
  it('answers 429 rate_limit_exceeded with Retry-After over the limit, and admits again later', async () => {
    // A manual clock: the first two jobs are still running at the third request until time moves.
    const clock = new ManualClock();
    const emu = await emulator({ concurrencyLimit: 2, retryAfterSeconds: 3, renderSeconds: 1, clock });
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody())).status).toBe(200);
    expect((await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'one' })).status).toBe(200);
    const over = await api(emu.url, 'POST', '/v3/videos', avatarBody());
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('3');
    expectShape(over.body, example('error-429-rate-limit.response.json'));
    // Another key has its own budget.
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody(), { 'x-api-key': 'other' })).status).toBe(200);
    clock.advance(1700);
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody())).status).toBe(200);
  });

  it('does not count chat sessions paused in reviewing', async () => {
    const emu = await emulator({ concurrencyLimit: 1, renderSeconds: 1 });
    const chat = await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'teaser', mode: 'chat' });
    await until(async () => ((await api(emu.url, 'GET', `/v3/video-agents/${chat.body.data.session_id}`)).body.data.status === 'reviewing' ? true : undefined));
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody())).status).toBe(200);
    // The session cannot start a render now: its approval is over the limit.
    const approve = await api(emu.url, 'POST', `/v3/video-agents/${chat.body.data.session_id}`, { message: 'LGTM' });
    expect(approve.status).toBe(429);
  });
});

describe('credits', () => {
  it('charges a credit per second of video, refunds failed renders, answers 402 when short', async () => {
    const emu = await emulator({ credits: 10 });
    // 9 words at 150 wpm = 3.6 s → 4 credits.
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody())).status).toBe(200);
    expect((await api(emu.url, 'GET', '/v3/users/me')).body.data.wallet).toMatchObject({ currency: 'credits', remaining_balance: 6 });
    const failing = await api(emu.url, 'POST', '/v3/videos', avatarBody({ script: 'one two three four five six seven eight [emulator:fail]' }));
    expect(failing.status).toBe(200);
    const short = await api(emu.url, 'POST', '/v3/videos', avatarBody({ script: 'word '.repeat(40) }));
    expect(short.status).toBe(402);
    expectShape(short.body, example('error-402-insufficient-credit.response.json'));
    expect(short.body.error.message).toBe('Your account has 2 credits but this video requires 16 credits.');
    await until(async () => ((await api(emu.url, 'GET', '/v3/users/me')).body.data.wallet.remaining_balance === 6 ? true : undefined));
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer and creates one video', async () => {
    const emu = await emulator();
    const headers = { 'idempotency-key': 'entry-welcome:sha-1' };
    const first = await api(emu.url, 'POST', '/v3/videos', avatarBody({ title: 'once' }), headers);
    const second = await api(emu.url, 'POST', '/v3/videos', avatarBody({ title: 'once', script: 'slightly different' }), headers);
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect((await api(emu.url, 'GET', '/v3/videos?title=once')).body.data).toHaveLength(1);
    const other = await api(emu.url, 'POST', '/v3/videos', avatarBody({ title: 'once' }), { 'idempotency-key': 'another' });
    expect(other.body.data.video_id).not.toBe(first.body.data.video_id);
    const bad = await api(emu.url, 'POST', '/v3/videos', avatarBody(), { 'idempotency-key': 'has spaces' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('Idempotency-Key');
  });

  it('answers 409 request_in_progress while the first request is still being handled', async () => {
    const emu = await emulator();
    emu.inject({ method: 'POST', path: '/v3/videos', kind: 'slow', delayMs: 400 });
    const headers = { 'idempotency-key': 'k-409' };
    const first = api(emu.url, 'POST', '/v3/videos', avatarBody(), headers);
    await sleep(100);
    const second = await api(emu.url, 'POST', '/v3/videos', avatarBody(), headers);
    expect(second.status).toBe(409);
    expectShape(second.body, example('error-409-request-in-progress.response.json'));
    expect((await first).status).toBe(200);
    const third = await api(emu.url, 'POST', '/v3/videos', avatarBody(), headers);
    expect(third.body).toEqual((await first).body);
  });

  it('forgets a request whose client went away before it was handled', async () => {
    const emu = await emulator();
    emu.inject({ method: 'POST', path: '/v3/videos', kind: 'slow', delayMs: 300 });
    const headers = { 'idempotency-key': 'k-gone' };
    const controller = new AbortController();
    const first = fetch(`${emu.url}/v3/videos`, {
      method: 'POST',
      headers: { 'x-api-key': 'test-key', 'content-type': 'application/json', ...headers },
      body: JSON.stringify(avatarBody()),
      signal: controller.signal,
    }).catch(() => 'aborted');
    await sleep(100);
    controller.abort();
    expect(await first).toBe('aborted');
    await sleep(350);
    const retry = await api(emu.url, 'POST', '/v3/videos', avatarBody(), headers);
    expect(retry.status).toBe(200);
  });

  it('does not remember a 429, so the same key can be retried', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ concurrencyLimit: 1, renderSeconds: 1, clock });
    await api(emu.url, 'POST', '/v3/videos', avatarBody());
    const headers = { 'idempotency-key': 'k-429' };
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody(), headers)).status).toBe(429);
    clock.advance(999);
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody(), headers)).status).toBe(429);
    clock.advance(1);
    expect((await api(emu.url, 'POST', '/v3/videos', avatarBody(), headers)).status).toBe(200);
  });
});

describe('download URLs', () => {
  it('expire after --url-ttl and refuse a tampered signature', async () => {
    const clock = new ManualClock();
    const emu = await emulator({ urlTtl: 1, clock });
    const created = await api(emu.url, 'POST', '/v3/videos', avatarBody());
    clock.advance(200); // renderSeconds
    const video = (await api(emu.url, 'GET', `/v3/videos/${created.body.data.video_id}`)).body.data;
    expect(video.status).toBe('completed');
    const fresh = await fetch(video.video_url);
    expect(fresh.status).toBe(200);
    expect(Number(fresh.headers.get('content-length'))).toBe((await fresh.arrayBuffer()).byteLength);
    const tampered = video.video_url.replace(/sig=([0-9a-f])/, (_: string, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    expect((await fetch(tampered)).status).toBe(403);
    const otherFile = video.video_url.replace('video.mp4', 'thumbnail.jpg');
    expect((await fetch(otherFile)).status).toBe(403);
    clock.advance(999); // urlTtl is 1 s, its expiry rounded up to a whole second
    expect((await fetch(video.video_url)).status).toBe(200);
    clock.advance(1001);
    const expired = await fetch(video.video_url);
    expect(expired.status).toBe(403);
    const again = (await api(emu.url, 'GET', `/v3/videos/${created.body.data.video_id}`)).body.data;
    expect((await fetch(again.video_url)).status).toBe(200);
  });
});

describe('webhooks', () => {
  interface Hit {
    body: string;
    headers: Record<string, string | string[] | undefined>;
    path: string;
  }
  async function receiver(statuses: number[]): Promise<{ url: string; hits: Hit[]; server: Server }> {
    const hits: Hit[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits.push({ body, headers: req.headers, path: req.url ?? '' });
        res.writeHead(statuses[hits.length - 1] ?? 200);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
  }

  it('posts callback_url on success, retrying after a non-2xx answer', async () => {
    const hook = await receiver([500, 200]);
    try {
      const emu = await emulator({ webhookRetryMs: 50 });
      const created = await api(emu.url, 'POST', '/v3/videos', avatarBody({ callback_url: `${hook.url}/cb`, callback_id: 'entry-1' }));
      await until(async () => (hook.hits.length >= 2 ? true : undefined), 5000, 'two deliveries');
      const payload = JSON.parse(hook.hits[1]!.body);
      expectShape(payload, example('webhook.avatar_video.success.json'));
      expect(payload).toMatchObject({ event_type: 'avatar_video.success', event_data: { video_id: created.body.data.video_id, callback_id: 'entry-1' } });
      expect(hook.hits[0]!.body).toBe(hook.hits[1]!.body);
      // The receiver logs a hit before its answer reaches the emulator: wait for the second status.
      await until(async () => (emu.deliveries()[1]?.status ? true : undefined));
      expect(emu.deliveries().map((d) => d.status)).toEqual([500, 200]);
      await sleep(200);
      expect(hook.hits).toHaveLength(2);
    } finally {
      hook.server.close();
    }
  });

  it('never sends a webhook off this machine unless told to', async () => {
    const emu = await emulator({ webhookRetryMs: 10 });
    await api(emu.url, 'POST', '/v3/videos', avatarBody({ callback_url: 'https://hooks.example.com/heygen', callback_id: 'far' }));
    await until(async () => (emu.deliveries().length > 0 ? true : undefined), 5000, 'a delivery record');
    await sleep(100);
    // One record, no retries, no status: nothing was sent.
    expect(emu.deliveries()).toEqual([
      expect.objectContaining({ url: 'https://hooks.example.com/heygen', attempt: 1, status: null, error: expect.stringMatching(/^not delivered: .*--remote-webhooks/) }),
    ]);
  });

  it('signs deliveries to registered endpoints and reports failures', async () => {
    const hook = await receiver([]);
    try {
      const emu = await emulator();
      const endpoint = await api(emu.url, 'POST', '/v3/webhooks/endpoints', { url: `${hook.url}/registered`, events: ['avatar_video.fail'] });
      const secret = endpoint.body.data.secret as string;
      await api(emu.url, 'POST', '/v3/videos', avatarBody({ script: 'this one breaks [emulator:fail]', callback_url: `${hook.url}/cb`, callback_id: 'c2' }));
      await api(emu.url, 'POST', '/v3/videos', avatarBody());
      await until(async () => (hook.hits.length >= 2 ? true : undefined), 5000, 'two deliveries');
      await sleep(300);
      // The success of the second video is not subscribed: only the fail goes out, twice (callback + endpoint).
      expect(hook.hits.map((h) => h.path).sort()).toEqual(['/cb', '/registered']);
      for (const hit of hook.hits) {
        const payload = JSON.parse(hit.body);
        expectShape(payload, example('webhook.avatar_video.fail.json'));
        expect(payload.event_data.callback_id).toBe('c2');
        expect(hit.headers['x-heygen-signature']).toBe(createHmac('sha256', secret).update(hit.body).digest('hex'));
      }
      const events = await api(emu.url, 'GET', '/v3/webhooks/events');
      expect(events.body.data.map((e: { event_type: string }) => e.event_type).sort()).toEqual(['avatar_video.fail', 'avatar_video.success']);
    } finally {
      hook.server.close();
    }
  });

  it('delivers video_agent.success for sessions and batch.finished once per batch', async () => {
    const hook = await receiver([]);
    try {
      const emu = await emulator();
      await api(emu.url, 'POST', '/v3/video-agents', { prompt: 'agent video', callback_url: `${hook.url}/agent`, callback_id: 'a1' });
      await api(emu.url, 'POST', '/v3/videos/batches', { callback_url: `${hook.url}/batch`, videos: [avatarBody(), avatarBody()] });
      await until(async () => (hook.hits.length >= 2 ? true : undefined), 5000, 'deliveries');
      await sleep(300);
      const byPath = Object.fromEntries(hook.hits.map((h) => [h.path, JSON.parse(h.body)]));
      expect(hook.hits).toHaveLength(2);
      expectShape(byPath['/agent'], example('webhook.video_agent.success.UNCONFIRMED-fields.json'));
      expect(byPath['/batch']).toMatchObject({ event_type: 'batch.finished', event_data: { status: 'completed', total_items: 2 } });
    } finally {
      hook.server.close();
    }
  });
});

describe('observability', () => {
  it('records every request over HTTP and resets', async () => {
    const emu = await emulator();
    await api(emu.url, 'POST', '/v3/videos', avatarBody(), { 'idempotency-key': 'obs-1' });
    await api(emu.url, 'GET', '/v3/videos?limit=5');
    const records = (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as { data: any[] };
    expect(records.data).toEqual([
      { method: 'POST', path: '/v3/videos', query: '', status: 200, idempotency_key: 'obs-1', time: expect.any(Number) },
      { method: 'GET', path: '/v3/videos', query: 'limit=5', status: 200, idempotency_key: null, time: expect.any(Number) },
    ]);
    expect(emu.requests()).toHaveLength(2);
    const reset = await fetch(`${emu.url}/__emulator/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(emu.requests()).toHaveLength(0);
    expect((await api(emu.url, 'GET', '/v3/videos')).body.data).toEqual([]);
    // The demo asset of the examples survives a reset.
    expect((await api(emu.url, 'POST', '/v3/videos', example('video-create-image.request.json'))).status).toBe(200);
  });
});
