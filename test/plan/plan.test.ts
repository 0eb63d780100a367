import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { fingerprint } from '../../src/plan/fingerprint.js';
import { hasChanges, plan, withCurrentFields } from '../../src/plan/plan.js';
import { parseShard, shardOf } from '../../src/util/shard.js';
import { agent, direct, locked, lockOf } from './builders.js';

const empty = lockOf();

describe('plan', () => {
  it('creates every entry of a fresh project, sorted by id, with estimates and totals', () => {
    const entries = [direct('b', { script: 'one two three four five six seven eight nine ten' }), direct('a')];
    const p = plan(entries, empty);
    expect(p.changes.map((c) => [c.id, c.action, c.render, c.generation])).toEqual([
      ['a', 'create', true, 1],
      ['b', 'create', true, 1],
    ]);
    expect(p.changes[0]?.fingerprint).toBe(fingerprint(entries[1]!));
    expect(p.changes[1]?.estimateSeconds).toBe(4); // 10 words at 150/min
    expect(p.summary).toMatchObject({ create: 2, update: 0, unchanged: 0, renders: 2, estimateSeconds: 1 + 4 });
    expect(hasChanges(p)).toBe(true);
  });

  it('leaves an entry that matches the lock unchanged and renders nothing', () => {
    const e = direct('a');
    const p = plan([e], lockOf(['a', locked(e)]));
    expect(p.changes).toMatchObject([{ id: 'a', action: 'unchanged', changed: [], render: false, estimateSeconds: 0 }]);
    expect(p.summary.estimateSeconds).toBe(0);
    expect(hasChanges(p)).toBe(false);
  });

  it('updates an entry whose script changed, naming the field and bumping the generation', () => {
    const before = direct('a');
    const after = direct('a', { script: 'Something else entirely.' });
    const p = plan([after], lockOf(['a', locked(before, { generation: 3 })]));
    expect(p.changes).toMatchObject([{ action: 'update', changed: ['script'], render: true, generation: 4 }]);
    expect(p.changes[0]?.estimateSeconds).toBeGreaterThan(0);
  });

  it('reports a title, callback or output change as metadata, not an update', () => {
    const before = direct('a', { title: 'Old' });
    const after = direct('a', { title: 'New', callback_url: 'https://example.com/hook' }, { output: { file: 'dist/a.mp4' } });
    const p = plan([after], lockOf(['a', locked(before)]));
    expect(p.changes).toMatchObject([{ action: 'metadata', changed: ['callback_url', 'output.file', 'title'], render: false, estimateSeconds: 0 }]);
    expect(hasChanges(p)).toBe(true);
  });

  it('lists metadata fields alongside render fields in an update', () => {
    const before = direct('a', { title: 'Old' });
    const after = direct('a', { title: 'New', voice_id: 'other' });
    expect(plan([after], lockOf(['a', locked(before)])).changes[0]).toMatchObject({
      action: 'update',
      changed: ['title', 'voice_id'],
    });
  });

  it('resumes a submitted entry with the same fingerprint, and updates it when the fingerprint changed', () => {
    const e = direct('a');
    const submitted = locked(e, { status: 'submitted', generation: 2 });
    expect(plan([e], lockOf(['a', submitted])).changes[0]).toMatchObject({ action: 'resume', render: false, generation: 2 });
    const review = locked(e, { status: 'awaiting_review' });
    expect(plan([e], lockOf(['a', review])).changes[0]).toMatchObject({ action: 'resume' });
    const changed = direct('a', { script: 'New words.' });
    expect(plan([changed], lockOf(['a', submitted])).changes[0]).toMatchObject({ action: 'update', generation: 3 });
  });

  it('keeps failed entries failed unless retryFailed, and then renders them with a new generation', () => {
    const e = direct('a');
    const lock = lockOf(['a', locked(e, { status: 'failed', failure: { code: 'x', message: 'y' } })]);
    const p = plan([e], lock);
    expect(p.changes[0]).toMatchObject({ action: 'failed', render: false, estimateSeconds: 0, generation: 1 });
    expect(hasChanges(p)).toBe(false);
    const retry = plan([e], lock, { retryFailed: true });
    expect(retry.changes[0]).toMatchObject({ action: 'failed', render: true, generation: 2 });
    expect(retry.summary).toMatchObject({ failed: 1, renders: 1 });
    expect(hasChanges(retry)).toBe(true);
    // A failed entry that was edited is rendered again without --retry-failed.
    expect(plan([direct('a', { script: 'Fixed.' })], lock).changes[0]).toMatchObject({ action: 'update', render: true });
  });

  it('removes lock ids that no manifest has any more', () => {
    const gone = direct('gone');
    const p = plan([], lockOf(['gone', locked(gone, { generation: 2 })]));
    expect(p.changes).toMatchObject([{ id: 'gone', action: 'remove', fingerprint: fingerprint(gone), render: false, generation: 2 }]);
    expect(p.changes[0]?.entry).toBeUndefined();
    expect(p.summary.remove).toBe(1);
  });

  it('treats a mode change as an update', () => {
    const before = direct('a');
    const after = agent('a');
    const p = plan([after], lockOf(['a', locked(before)]));
    expect(p.changes[0]?.action).toBe('update');
    expect(p.changes[0]?.changed).toContain('mode');
  });

  it('continues an agent session when only revisions or approval changed', () => {
    const before = agent('a', {}, { review: true, revisions: ['Shorter intro.'] });
    const after = agent('a', {}, { review: true, revisions: ['Shorter intro.', 'Warmer tone.'] });
    expect(fingerprint(before)).toBe(fingerprint(after));
    const open = plan([after], lockOf(['a', locked(before, { status: 'awaiting_review', session_id: 's' })]));
    expect(open.changes[0]).toMatchObject({ action: 'resume', changed: ['revisions'], continueSession: true, render: false });
    expect(hasChanges(open)).toBe(true);
    // Waiting for a person with nothing new to send: listed, but nothing for a build to apply.
    const waiting = plan([before], lockOf(['a', locked(before, { status: 'awaiting_review', session_id: 's' })]));
    expect(waiting.changes[0]).toMatchObject({ action: 'resume', changed: [] });
    expect(hasChanges(waiting)).toBe(false);
    const done = plan([after], lockOf(['a', locked(before, { session_id: 's' })]));
    expect(done.changes[0]).toMatchObject({ action: 'update', changed: ['revisions'], continueSession: true, render: true });
    const approved = agent('a', {}, { review: true, revisions: ['Shorter intro.'], approved: true });
    expect(plan([approved], lockOf(['a', locked(before, { status: 'awaiting_review' })])).changes[0]).toMatchObject({
      action: 'resume',
      changed: ['approved'],
    });
  });

  it('starts a new agent session when the prompt changes', () => {
    const before = agent('a', {}, { review: true, revisions: ['x'] });
    const after = agent('a', { prompt: 'Something new.' }, { review: true, revisions: ['x', 'y'] });
    expect(plan([after], lockOf(['a', locked(before)])).changes[0]).toMatchObject({
      action: 'update',
      changed: ['prompt', 'revisions'],
    });
    expect(plan([after], lockOf(['a', locked(before)])).changes[0]?.continueSession).toBeUndefined();
  });

  it('narrows to targets (exact ids and globs), removes included', () => {
    const entries = [direct('intro'), direct('hello-ann'), direct('hello-bob'), direct('outro')];
    const lock = lockOf(['hello-old', locked(direct('hello-old'))]);
    const p = plan(entries, lock, { targets: ['hello-*', 'outro'] });
    expect(p.changes.map((c) => `${c.id}:${c.action}`)).toEqual(['hello-ann:create', 'hello-bob:create', 'hello-old:remove', 'outro:create']);
    expect(plan(entries, lock, { targets: ['hello-?ob'] }).changes.map((c) => c.id)).toEqual(['hello-bob']);
    expect(plan(entries, lock, { targets: ['hello.ann'] }).changes).toEqual([]);
  });

  it('splits ids into shards that cover every id exactly once', () => {
    const entries = Array.from({ length: 50 }, (_, i) => direct(`v${i}`));
    const seen: string[] = [];
    for (let index = 1; index <= 3; index += 1) {
      const ids = plan(entries, empty, { shard: { index, count: 3 } }).changes.map((c) => c.id);
      expect(ids.length).toBeGreaterThan(5);
      seen.push(...ids);
    }
    expect(seen.sort()).toEqual(entries.map((e) => e.id).sort());
    expect(shardOf('v1', 3)).toBe(shardOf('v1', 3));
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'x', '1/2/3']) expect(() => parseShard(bad)).toThrow(UsageError);
  });

  it('refreshes field digests after a metadata change so it is not reported again', () => {
    const before = direct('a', { title: 'Old' });
    const after = direct('a', { title: 'New' });
    const next = withCurrentFields(locked(before), after, '2026-02-02T00:00:00.000Z');
    expect(plan([after], lockOf(['a', next])).changes[0]?.action).toBe('unchanged');
  });

  it('is pure: the same input gives the same plan and the input is not modified', () => {
    const entries = [direct('b'), direct('a', { title: 'x' })];
    const lock = lockOf(['a', locked(direct('a'))], ['z', locked(direct('z'))]);
    const snapshot = JSON.stringify({ entries, lock });
    const first = plan(entries, lock);
    expect(JSON.stringify(plan(entries, lock))).toBe(JSON.stringify(first));
    expect(JSON.stringify({ entries, lock })).toBe(snapshot);
  });
});
