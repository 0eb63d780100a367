import { describe, expect, it } from 'vitest';
import { type LocalState, type RemoteState, compareDrift } from '../../src/drift/compare.js';
import type { LockEntry, Lockfile } from '../../src/lock/types.js';

function entry(id: string, over: Partial<LockEntry> = {}): LockEntry {
  return {
    fingerprint: 'a'.repeat(64),
    mode: 'direct',
    status: 'completed',
    generation: 1,
    fields: {},
    video_id: `v-${id}`,
    updated_at: '2026-01-01T00:00:00.000Z',
    output: { path: `out/${id}.mp4`, size: 10, sha256: 'b'.repeat(64) },
    ...over,
  };
}

function run(videos: Record<string, LockEntry>, remote: Record<string, RemoteState>, local: Record<string, LocalState>, unchecked: (e: LockEntry) => string | undefined = () => undefined) {
  const lock: Lockfile = { lockfileVersion: 1, videos, assets: {} };
  return compareDrift({ lock, remote: new Map(Object.entries(remote)), local: new Map(Object.entries(local)), unchecked });
}

describe('compareDrift', () => {
  it('is in sync when HeyGen and the disk agree with the lock; in-flight renders are not drift', () => {
    const r = run({ a: entry('a'), b: entry('b', { status: 'submitted', output: undefined }) }, { 'v-a': { status: 'completed' }, 'v-b': { status: 'in_progress' } }, { 'out/a.mp4': 'ok' });
    expect(r.drift).toBe(false);
    expect(r.videos.map((v) => [v.id, v.kinds])).toEqual([
      ['a', ['ok']],
      ['b', ['in_flight']],
    ]);
    expect(r.counts.ok).toBe(1);
    expect(r.counts.in_flight).toBe(1);
  });

  it('reports deleted, missing, altered, collected-later and failed videos, worst first', () => {
    const r = run(
      {
        gone: entry('gone'),
        lost: entry('lost', { subtitles: { path: 'out/lost.srt', size: 1, sha256: 'c'.repeat(64) } }),
        edited: entry('edited'),
        done: entry('done', { status: 'submitted', output: undefined }),
        broke: entry('broke', { status: 'failed', output: undefined }),
        both: entry('both'),
      },
      {
        'v-gone': { status: 'not_found' },
        'v-lost': { status: 'completed' },
        'v-edited': { status: 'completed' },
        'v-done': { status: 'completed' },
        'v-broke': { status: 'failed' },
        'v-both': { status: 'not_found' },
      },
      { 'out/gone.mp4': 'ok', 'out/lost.mp4': 'missing', 'out/lost.srt': 'ok', 'out/edited.mp4': 'altered', 'out/both.mp4': 'missing' },
    );
    const kinds = Object.fromEntries(r.videos.map((v) => [v.id, v.kinds]));
    expect(kinds).toEqual({
      both: ['deleted_remotely', 'missing_local'],
      broke: ['failed'],
      done: ['finished_remotely'],
      edited: ['altered_local'],
      gone: ['deleted_remotely'],
      lost: ['missing_local'],
    });
    expect(r.drift).toBe(true);
    const both = r.videos.find((v) => v.id === 'both');
    expect(both?.message).toMatch(/render it again/);
    expect(r.videos.find((v) => v.id === 'gone')?.message).toMatch(/local file is intact/);
    expect(r.videos.find((v) => v.id === 'lost')?.files).toEqual([{ path: 'out/lost.mp4', state: 'missing', what: 'video' }]);
    expect(r.videos.find((v) => v.id === 'lost')?.message).toMatch(/no render/);
  });

  it('never calls a video deleted when HeyGen was not asked about it', () => {
    const r = run({ a: entry('a'), b: entry('b', { api: 'emulator' }) }, {}, { 'out/a.mp4': 'ok', 'out/b.mp4': 'ok' }, (e) => (e.api === 'emulator' ? 'rendered by emulator' : undefined));
    expect(r.drift).toBe(false);
    expect(r.videos.map((v) => v.unchecked)).toEqual(['HeyGen did not report this video', 'rendered by emulator']);
  });

  it('checks agent sessions that have no video yet through their session state', () => {
    const lock: Lockfile = {
      lockfileVersion: 1,
      assets: {},
      videos: {
        asking: entry('asking', { mode: 'agent', status: 'awaiting_review', video_id: undefined, session_id: 's1', output: undefined }),
        made: entry('made', { mode: 'agent', status: 'submitted', video_id: undefined, session_id: 's2', output: undefined }),
        gone: entry('gone', { mode: 'agent', status: 'submitted', video_id: undefined, session_id: 's3', output: undefined }),
      },
    };
    const sessions = new Map<string, RemoteState>([
      ['s1', { status: 'in_progress' }],
      ['s2', { status: 'completed' }],
      ['s3', { status: 'not_found' }],
    ]);
    const r = compareDrift({ lock, remote: new Map(), sessions, local: new Map(), unchecked: () => undefined });
    expect(Object.fromEntries(r.videos.map((v) => [v.id, v.kinds]))).toEqual({ asking: ['in_flight'], made: ['finished_remotely'], gone: ['deleted_remotely'] });
  });
});
