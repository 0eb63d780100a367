import { describe, expect, it } from 'vitest';
import { substitutePlaceholders } from '../../src/build/assets.js';
import { idempotencyKey, taggedTitle, titleTag } from '../../src/build/identity.js';
import { apiIdentity, recordedApi, sameApi } from '../../src/util/api.js';

const fp = 'a'.repeat(10) + 'b'.repeat(54);

describe('identity', () => {
  it('derives a valid Idempotency-Key from fingerprint and generation', () => {
    const key = idempotencyKey(fp, 3);
    expect(key).toMatch(/^[A-Za-z0-9_\-:.]{1,255}$/);
    expect(key).toBe(`reel-${fp.slice(0, 32)}-g3`);
    expect(idempotencyKey(fp, 4)).not.toBe(key);
  });

  it('tags titles, falling back to the entry id', () => {
    expect(titleTag(fp, 1)).toBe('[reel:aaaaaaaaaa-g1]');
    expect(taggedTitle('Welcome', 'welcome', titleTag(fp, 1))).toBe('Welcome [reel:aaaaaaaaaa-g1]');
    expect(taggedTitle(null, 'welcome', titleTag(fp, 2))).toBe('welcome [reel:aaaaaaaaaa-g2]');
    expect(taggedTitle('Welcome', 'welcome', undefined)).toBe('Welcome');
  });

  it('names the API a lock entry belongs to, one name however the URL is spelled', () => {
    for (const url of ['https://api.heygen.com/', 'HTTPS://API.heygen.com', 'https://api.heygen.com:443//']) expect(apiIdentity(url)).toBe('heygen');
    expect(apiIdentity('http://127.0.0.1:4010')).toBe('http://127.0.0.1:4010');
    expect(apiIdentity('HTTP://127.0.0.1:4010/v3/../')).toBe('http://127.0.0.1:4010');
    expect(apiIdentity('https://proxy.example:8443/heygen/')).toBe('https://proxy.example:8443/heygen');
    expect(recordedApi(undefined)).toBe('heygen');
    expect(recordedApi('emulator')).toBe('emulator');
    expect(sameApi('http://LOCALHOST:80/', 'http://localhost')).toBe(true);
    expect(sameApi('http://localhost:4010', 'http://127.0.0.1:4010')).toBe(false);
    expect(recordedApi('http://user:secret@host:1')).not.toContain('secret');
  });
});

describe('substitutePlaceholders', () => {
  it('replaces exact placeholder strings at any depth and copies the rest', () => {
    const ph = 'reel-asset:sha256:abc';
    const body = { background: { type: 'image', asset_id: ph }, files: [{ type: 'asset_id', asset_id: ph }], script: `say ${ph}` };
    const out = substitutePlaceholders(body, new Map([[ph, 'asset-1']]));
    expect(out).toEqual({
      background: { type: 'image', asset_id: 'asset-1' },
      files: [{ type: 'asset_id', asset_id: 'asset-1' }],
      script: `say ${ph}`,
    });
    expect(body.background.asset_id).toBe(ph);
  });
});
