import { describe, expect, it } from 'vitest';
import { FINGERPRINT_VERSION, fieldDigests, fingerprint, fingerprintPayload, shortFingerprint } from '../../src/plan/fingerprint.js';
import { canonicalJson } from '../../src/util/canonical.js';
import { sha256 } from '../../src/util/hash.js';
import { assetPlaceholder } from '../../src/util/placeholder.js';
import { agent, direct } from './builders.js';

describe('fingerprint', () => {
  it('is the sha256 of the canonical request, the mode and the format version', () => {
    const e = direct('a');
    const { title: _t, callback_url: _u, callback_id: _c, ...request } = e.request;
    expect(fingerprint(e)).toBe(sha256(canonicalJson({ format: FINGERPRINT_VERSION, mode: 'direct', request })));
    expect(fingerprint(e)).toMatch(/^[0-9a-f]{64}$/);
    expect(shortFingerprint(fingerprint(e))).toHaveLength(12);
  });

  it('does not depend on key order, at any depth', () => {
    const a = direct('a', { voice_settings: { speed: 1.1, pitch: 2 }, background: { type: 'color', value: '#000000' } });
    const reordered = { ...a, request: Object.fromEntries(Object.entries(a.request).reverse()) };
    reordered.request.voice_settings = { pitch: 2, speed: 1.1 };
    expect(fingerprint(reordered)).toBe(fingerprint(a));
  });

  it('does not depend on the id, the file or the position of the entry', () => {
    const a = direct('a');
    const moved = direct('a', {}, { source: { file: '/p/videos/elsewhere/b.yaml', line: 99, col: 7 } });
    expect(fingerprint(moved)).toBe(fingerprint(a));
  });

  it('ignores title, callback_url, callback_id and output settings', () => {
    const a = direct('a');
    const b = direct('a', { title: 'T', callback_url: 'https://example.com/h', callback_id: 'cb' }, { output: { file: 'x.mp4' } });
    expect(fingerprint(b)).toBe(fingerprint(a));
  });

  it('changes with the script, the voice, any rendering setting and the mode', () => {
    const base = fingerprint(direct('a'));
    for (const change of [
      { script: 'Different.' },
      { voice_id: 'another-voice' },
      { voice_settings: { speed: 1.05 } },
      { resolution: '720p' },
      { caption: { file_format: 'srt', style: 'default' } },
      { output_format: 'webm' },
    ]) {
      expect(fingerprint(direct('a', change))).not.toBe(base);
    }
    const ag = agent('a');
    expect(fingerprintPayload(ag).mode).toBe('agent');
    expect(fingerprint(agent('a', { mode: 'chat' }))).not.toBe(fingerprint(ag));
  });

  it('changes when the bytes of a local file change (through the placeholder), not its path', () => {
    const withBg = (hash: string, relPath: string) =>
      direct(
        'a',
        { background: { type: 'image', asset_id: assetPlaceholder(hash) } },
        {
          assets: [{ placeholder: assetPlaceholder(hash), path: `/p/${relPath}`, relPath, sha256: hash, size: 10, source: { file: '/p/v.yaml', line: 1, col: 1 } }],
        },
      );
    const one = '1'.repeat(64);
    const two = '2'.repeat(64);
    expect(fingerprint(withBg(one, 'assets/bg.png'))).toBe(fingerprint(withBg(one, 'assets/moved/bg.png')));
    expect(fingerprint(withBg(two, 'assets/bg.png'))).not.toBe(fingerprint(withBg(one, 'assets/bg.png')));
  });

  it('leaves agent revisions and approval out (they continue the session)', () => {
    const a = agent('a', {}, { review: true });
    const b = agent('a', {}, { review: true, revisions: ['Shorter.'], approved: true });
    expect(fingerprint(b)).toBe(fingerprint(a));
  });
});

describe('stability', () => {
  // Every lock in every repository depends on these values: a change here re-renders every video
  // of every user. Change them only together with FINGERPRINT_VERSION (and say so in the release).
  it('keeps the fingerprint and digests of a known entry', () => {
    const e = direct('golden', { script: 'Hello.', voice_settings: { speed: 1.05 }, title: 'T' });
    expect(FINGERPRINT_VERSION).toBe(1);
    expect(fingerprint(e)).toBe('14da0f575bb417c83803513197f00a7953e03bf93ac9ab2a81e8247742734e60');
    expect(fieldDigests(e)).toEqual({
      mode: 'e095a134d1ac99d5',
      type: 'b170474681adab4b',
      avatar_id: '63695fc83b2fd735',
      voice_id: 'ad76ed43859a9977',
      script: '34bace2f2116a51a',
      voice_settings: '206ef4c5f3eb8019',
      title: '57cb45de78dd46c6',
    });
  });
});

describe('fieldDigests', () => {
  it('has one short digest per request field, plus mode, output settings and review fields', () => {
    const e = agent('a', { callback_url: 'https://example.com/h' }, { review: true, revisions: ['x'], approved: true });
    e.output = { file: 'out/a.mp4' };
    const d = fieldDigests(e);
    expect(Object.keys(d).sort()).toEqual(['approved', 'callback_url', 'mode', 'output.file', 'prompt', 'revisions']);
    for (const value of Object.values(d)) expect(value).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never stores the text itself', () => {
    const script = 'A secret launch date is March 3.';
    expect(JSON.stringify(fieldDigests(direct('a', { script })))).not.toContain('March');
  });

  it('digests values independently of key order', () => {
    const a = fieldDigests(direct('a', { voice_settings: { speed: 1, pitch: 0 } }));
    const b = fieldDigests(direct('a', { voice_settings: { pitch: 0, speed: 1 } }));
    expect(a).toEqual(b);
  });
});
