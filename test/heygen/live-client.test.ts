// The client against the emulator's live-API behaviours: a refusal replayed under an
// Idempotency-Key (API.md §6) and assets over POST /v3/assets' limit (§2.17).
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { freshKey, HeyGenClient, isRefusal, LOCAL_RETRY, MAX_MULTIPART_ASSET_BYTES } from '../../src/heygen/client.js';
import { sha256 } from '../../src/util/hash.js';
import { emulators } from '../helpers/emulator.js';

const KEY = 'live-client-key';
const start = emulators({ renderSeconds: 0.2 });
async function emulator(options: EmulatorOptions = {}): Promise<{ emu: Emulator; client: HeyGenClient }> {
  const emu = await start(options);
  return { emu, client: new HeyGenClient({ baseUrl: emu.url, apiKey: KEY, retry: LOCAL_RETRY }) };
}

/** 150 words: a 60-second video, 60 credits in the emulator. */
const body = {
  type: 'avatar',
  avatar_id: 'Daisy-inskirt-20220818',
  voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
  script: Array.from({ length: 150 }, () => 'word').join(' '),
};

describe('a fresh Idempotency-Key after a definite refusal', () => {
  it('gets past a 402 replayed under the old key once the account is topped up, recording the new key first', async () => {
    const { emu, client } = await emulator({ credits: 10 });
    const refused = await client.createVideo(body, 'reel-abc-g1');
    expect(refused).toMatchObject({ kind: 'error', status: 402, code: 'insufficient_credit' });
    emu.addCredits(KEY, 1000);

    // The old way: the same key gets the stored refusal for a day.
    expect(await client.createVideo(body, 'reel-abc-g1')).toMatchObject({ kind: 'error', status: 402 });

    const recorded: string[] = [];
    const sentBefore = (): number => emu.requests().filter((r) => r.method === 'POST').length;
    let postsWhenRecorded = -1;
    const { outcome, key } = await client.createVideoFresh(body, 'reel-abc-g1', async (fresh) => {
      recorded.push(fresh);
      postsWhenRecorded = sentBefore();
    });
    expect(outcome.kind).toBe('ok');
    expect(recorded).toEqual([key]);
    expect(key).toMatch(/^reel-abc-g1-r[0-9a-f]{8}$/);
    // Recorded before the request under it left.
    const posts = emu.requests().filter((r) => r.method === 'POST');
    expect(postsWhenRecorded).toBe(posts.length - 1);
    expect(posts.at(-1)?.idempotency_key).toBe(key);
  });

  it('sends once when the first answer is not a refusal, and never renews on 409 or 429', async () => {
    const { emu, client } = await emulator();
    const renewed: string[] = [];
    const { outcome, key } = await client.createVideoFresh(body, 'reel-ok-g1', async (k) => void renewed.push(k));
    expect(outcome.kind).toBe('ok');
    expect(key).toBe('reel-ok-g1');
    expect(renewed).toEqual([]);
    expect(emu.requests().filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(isRefusal({ kind: 'error', status: 409, code: 'request_in_progress', message: '' })).toBe(false);
    expect(isRefusal({ kind: 'error', status: 429, code: 'rate_limit_exceeded', message: '' })).toBe(false);
    expect(isRefusal({ kind: 'error', status: 400, code: 'invalid_parameter', message: '' })).toBe(true);
    expect(isRefusal({ kind: 'ambiguous', message: '' })).toBe(false);
  });

  it('a renewed key renews its suffix instead of growing', () => {
    const once = freshKey('reel-abc-g1');
    const twice = freshKey(once);
    expect(twice).toMatch(/^reel-abc-g1-r[0-9a-f]{8}$/);
    expect(twice).not.toBe(once);
  });
});

describe('assets over 32,000,000 bytes', () => {
  it('go through direct uploads (create, PUT, complete) and are usable', async () => {
    const { emu, client } = await emulator();
    const bytes = new Uint8Array(MAX_MULTIPART_ASSET_BYTES + 1);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const outcome = await client.uploadLargeAsset(bytes, 'big.png', 'image/png', sha256(bytes));
    if (outcome.kind !== 'ok') throw new Error(JSON.stringify(outcome));
    const steps = emu.requests().map((r) => `${r.method} ${r.path.replace(outcome.value.asset_id, '{id}')}`);
    expect(steps).toEqual(['POST /v3/assets/direct-uploads', 'PUT /uploads/{id}', 'POST /v3/assets/{id}/complete']);
    expect(outcome.value.size_bytes).toBe(bytes.byteLength);
    const video = await client.createVideo({ type: 'image', image: { type: 'asset_id', asset_id: outcome.value.asset_id }, voice_id: body.voice_id, script: 'Hi.' }, 'reel-big-g1');
    expect(video.kind).toBe('ok');
  });

  it('a file of exactly 32,000,000 bytes still goes through POST /v3/assets', async () => {
    const { emu, client } = await emulator();
    const bytes = new Uint8Array(MAX_MULTIPART_ASSET_BYTES);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const outcome = await client.uploadLargeAsset(bytes, 'edge.png', 'image/png', sha256(bytes));
    expect(outcome.kind).toBe('ok');
    expect(emu.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v3/assets']);
  });

  it('the emulator refuses a completed upload whose bytes do not match the announced checksum', async () => {
    const { client } = await emulator();
    const bytes = new Uint8Array(MAX_MULTIPART_ASSET_BYTES + 10);
    const outcome = await client.uploadLargeAsset(bytes, 'big.bin', 'video/mp4', 'f'.repeat(64));
    expect(outcome).toMatchObject({ kind: 'error', status: 400, param: 'checksum_sha256' });
  });
});
