import type { LockEntry, Lockfile } from '../../src/lock/types.js';
import type { ResolvedEntry } from '../../src/manifest/types.js';
import { fieldDigests, fingerprint } from '../../src/plan/fingerprint.js';

/** A direct entry as the loader would resolve it; `request` members override the defaults. */
export function direct(id: string, request: Record<string, unknown> = {}, extra: Partial<ResolvedEntry> = {}): ResolvedEntry {
  return {
    id,
    mode: 'direct',
    request: {
      type: 'avatar',
      avatar_id: 'Daisy-inskirt-20220818',
      voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
      script: `Hello from ${id}.`,
      ...request,
    },
    assets: [],
    output: {},
    source: { file: '/p/videos/a.yaml', line: 3, col: 3 },
    fieldSources: {},
    ...extra,
  };
}

export function agent(id: string, request: Record<string, unknown> = {}, review?: Partial<NonNullable<ResolvedEntry['agent']>>): ResolvedEntry {
  return {
    id,
    mode: 'agent',
    request: { prompt: 'A 30-second video about reel.', mode: review?.review ? 'chat' : 'generate', ...request },
    assets: [],
    agent: { review: false, revisions: [], approved: false, ...review },
    output: {},
    source: { file: '/p/videos/agent.yaml', line: 5, col: 3 },
    fieldSources: {},
  };
}

/** The lock entry a build would have written for `entry`. */
export function locked(entry: ResolvedEntry, over: Partial<LockEntry> = {}): LockEntry {
  return {
    fingerprint: fingerprint(entry),
    mode: entry.mode,
    status: 'completed',
    generation: 1,
    fields: fieldDigests(entry),
    video_id: `v-${entry.id}`,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function lockOf(...pairs: [string, LockEntry][]): Lockfile {
  return { lockfileVersion: 1, videos: Object.fromEntries(pairs), assets: {} };
}
