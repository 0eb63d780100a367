import { describe, expect, it } from 'vitest';
import { forApi } from '../../src/plan/api-scope.js';
import type { LockEntry } from '../../src/lock/index.js';
import type { ResolvedEntry } from '../../src/manifest/types.js';
import { fieldDigests, fingerprint, plan } from '../../src/plan/index.js';

const entry: ResolvedEntry = {
  id: 'welcome',
  mode: 'direct',
  request: { type: 'avatar', avatar_id: 'a', voice_id: 'v', script: 'Hello there, this is a test of the build.' },
  assets: [],
  output: {},
  source: { file: '/p/videos/a.yaml', line: 3, col: 3 },
  fieldSources: {},
};

function locked(api?: string): LockEntry {
  return {
    fingerprint: fingerprint(entry),
    mode: 'direct',
    status: 'completed',
    generation: 1,
    fields: fieldDigests(entry),
    updated_at: '2026-01-01T00:00:00Z',
    video_id: 'v1',
    ...(api ? { api } : {}),
  };
}

describe('forApi', () => {
  it('renders again what another API made, and trusts its own', () => {
    const lock = { lockfileVersion: 1 as const, videos: { welcome: locked('emulator') }, assets: {} };
    const p = plan([entry], lock);
    expect(p.changes[0]?.action).toBe('unchanged');
    const real = forApi(p, 'heygen');
    expect(real.changes[0]).toMatchObject({ action: 'create', render: true, generation: 2 });
    expect(real.changes[0]?.estimateSeconds).toBeGreaterThan(0);
    expect(real.summary.renders).toBe(1);
    expect(forApi(p, 'emulator').changes[0]?.action).toBe('unchanged');
  });

  it('treats entries without an api as made by HeyGen', () => {
    const lock = { lockfileVersion: 1 as const, videos: { welcome: locked() }, assets: {} };
    expect(forApi(plan([entry], lock), 'heygen').changes[0]?.action).toBe('unchanged');
    expect(forApi(plan([entry], lock), 'emulator').changes[0]?.action).toBe('create');
  });
});
