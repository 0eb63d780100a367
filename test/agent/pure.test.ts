import { describe, expect, it } from 'vitest';
import { agentChoices, annotateOriginal, ejectedId, ejectedManifest, ejectedPath } from '../../src/agent/eject.js';
import { approvalHash, messageHash, nextMessage, sentRevisionsStillHold } from '../../src/lock/messages.js';
import { latestAgentTurn, storyboardLines } from '../../src/agent/transcript.js';
import type { LockEntry } from '../../src/lock/types.js';
import type { ResolvedEntry } from '../../src/manifest/types.js';
import { plan } from '../../src/plan/index.js';
import { fieldDigests, fingerprint } from '../../src/plan/fingerprint.js';
import { emptyLock } from '../../src/lock/types.js';

const APPROVAL = 'Approved. Please render the video.';

describe('messages sent into a session', () => {
  it('sends unsent revisions in order, then one approval; nothing once all is sent', () => {
    const revisions = ['A', 'B'];
    expect(nextMessage([], revisions, true, APPROVAL)).toEqual({ kind: 'revision', text: 'A' });
    expect(nextMessage([messageHash('A')], revisions, true, APPROVAL)).toEqual({ kind: 'revision', text: 'B' });
    const both = [messageHash('A'), messageHash('B')];
    expect(nextMessage(both, revisions, false, APPROVAL)).toBeUndefined();
    expect(nextMessage(both, revisions, true, APPROVAL)).toEqual({ kind: 'approval', text: APPROVAL });
    expect(nextMessage([...both, approvalHash(APPROVAL)], revisions, true, APPROVAL)).toBeUndefined();
    // A revision after an approval needs a new approval, once.
    const later = [...both, approvalHash(APPROVAL), messageHash('C')];
    expect(nextMessage(later, [...revisions, 'C'], true, APPROVAL)).toEqual({ kind: 'approval', text: APPROVAL });
    expect(nextMessage([...later, approvalHash(APPROVAL)], [...revisions, 'C'], true, APPROVAL)).toBeUndefined();
  });

  it('sent revisions hold while they stay the first ones, in order; edits, removals and reorders break them', () => {
    const sent = [messageHash('A'), approvalHash(APPROVAL), messageHash('B')];
    expect(sentRevisionsStillHold(sent, ['A', 'B'])).toBe(true);
    expect(sentRevisionsStillHold(sent, ['A', 'B', 'C'])).toBe(true);
    expect(sentRevisionsStillHold(sent, ['A', 'B2'])).toBe(false);
    expect(sentRevisionsStillHold(sent, ['A'])).toBe(false);
    expect(sentRevisionsStillHold(sent, ['B', 'A'])).toBe(false);
    expect(sentRevisionsStillHold(sent, ['C', 'A', 'B'])).toBe(false);
    // The approval of a lock written before approvals had a prefix is still an approval.
    expect(sentRevisionsStillHold([messageHash('A'), messageHash(APPROVAL)], ['A'])).toBe(true);
  });
});

function agentEntry(revisions: string[], prompt = 'A teaser.'): ResolvedEntry {
  return {
    id: 'teaser', mode: 'agent', request: { prompt, mode: 'chat' }, assets: [],
    agent: { review: true, revisions, approved: false }, output: {},
    source: { file: '/p/videos/a.yaml', line: 3, col: 3 }, fieldSources: {},
  };
}

function lockedFor(entry: ResolvedEntry, status: LockEntry['status'], sent: string[]): LockEntry {
  return {
    fingerprint: fingerprint(entry), mode: 'agent', status, generation: 1, fields: fieldDigests(entry),
    session_id: 'sess_1', messages_sent: sent, updated_at: '2026-01-01T00:00:00Z',
  };
}

describe('plan of agent entries', () => {
  const withLock = (locked: LockEntry) => ({ ...emptyLock(), videos: { teaser: locked } });

  it('continues the session when revisions are appended', () => {
    const locked = lockedFor(agentEntry(['A']), 'awaiting_review', [messageHash('A')]);
    const [c] = plan([agentEntry(['A', 'B'])], withLock(locked)).changes;
    expect(c).toMatchObject({ action: 'resume', continueSession: true, render: false });
    expect(c?.newSession).toBeUndefined();
  });

  it('starts a new session when a sent revision is edited or removed, or the prompt changes', () => {
    const locked = lockedFor(agentEntry(['A', 'B']), 'awaiting_review', [messageHash('A'), messageHash('B')]);
    for (const revisions of [['A', 'B2'], ['A'], []]) {
      const [c] = plan([agentEntry(revisions)], withLock(locked)).changes;
      expect(c).toMatchObject({ action: 'update', render: true, generation: 2, newSession: 'a revision already sent was edited or removed' });
      expect(c?.continueSession).toBeUndefined();
    }
    const [p] = plan([agentEntry(['A', 'B'], 'Another teaser.')], withLock(locked)).changes;
    expect(p).toMatchObject({ action: 'update', newSession: 'the request changed', changed: ['prompt'] });
  });

  it('an edit of a revision not sent yet is no new session', () => {
    const locked = lockedFor(agentEntry(['A', 'B']), 'awaiting_review', [messageHash('A')]);
    const [c] = plan([agentEntry(['A', 'B2'])], withLock(locked)).changes;
    expect(c).toMatchObject({ action: 'resume', continueSession: true });
  });
});

describe('storyboard', () => {
  it("is the agent's messages after the last user message, oldest first", () => {
    const session = {
      messages: [
        { role: 'model', type: 'resource', content: 'Storyboard revision 1', resource_ids: ['r2'] },
        { role: 'model', type: 'text', content: 'I revised it.' },
        { role: 'user', type: 'text', content: 'Shorter.' },
        { role: 'model', type: 'text', content: 'Here is the storyboard.' },
        { role: 'user', type: 'text', content: 'Prompt' },
      ],
    };
    expect(latestAgentTurn(session).map((m) => m.content)).toEqual(['I revised it.', 'Storyboard revision 1']);
    expect(storyboardLines({ messages: [{ role: 'model', type: 'error', content: 'Stopped.' }] })).toEqual(['error: Stopped.']);
  });
});

describe('eject', () => {
  it('takes the manifest ids first, then session resources; the script from a draft when exposed', () => {
    const choices = agentChoices({ voice_id: 'v-manifest' }, [
      { resource_id: 'a1', resource_type: 'avatar', metadata: { avatar_id: 'look-1' }, created_at: 1 },
      { resource_id: 'v1', resource_type: 'voice', metadata: { voice_id: 'v-agent' }, created_at: 2 },
      { resource_id: 'd1', resource_type: 'draft', metadata: { scenes: 3 }, created_at: 3 },
    ]);
    expect(choices.values).toEqual({ avatar: 'look-1', voice: 'v-manifest' });
    expect(choices.sources.avatar).toBe('session resource a1');
  });

  it('names the file and id so they never collide with the original', () => {
    expect(ejectedPath('/p/videos/launch.yaml')).toBe('/p/videos/launch.ejected.yaml');
    expect(ejectedPath('/p/videos/launch.yml')).toBe('/p/videos/launch.ejected.yaml');
    expect(ejectedId('teaser')).toBe('teaser-direct');
  });

  it('adds to an existing ejected file and refuses an id that is there', () => {
    const first = ejectedManifest(undefined, { id: 'a', newId: 'a-direct', choices: { values: {}, sources: {} }, from: 'a.yaml', sessionId: 's1' });
    expect(first.missing).toEqual(['avatar', 'voice', 'script']);
    const second = ejectedManifest(first.text, { id: 'b', newId: 'b-direct', choices: { values: { avatar: 'x', voice: 'y', script: 'Hi.' }, sources: {} }, from: 'a.yaml', sessionId: 's2' });
    expect(second.missing).toEqual([]);
    expect(second.text).toContain('  a-direct:\n');
    expect(second.text).toContain('  b-direct:\n    avatar: x\n    voice: y\n    script: Hi.\n');
    expect(() => ejectedManifest(second.text, { id: 'b', newId: 'b-direct', choices: { values: {}, sources: {} }, from: 'a.yaml', sessionId: 's2' })).toThrow(/already/);
  });

  it('comments the original entry and leaves every other byte as it was, once', () => {
    const source = '# top\nversion: 1\nvideos:\n  one:\n    script: "Hi"   # keep\n    voice_settings: { speed: 1.05 }\n\n  two:\n    mode: agent\n    prompt: >\n      Folded\n      text\n';
    const out = annotateOriginal(source, 8, 'Pinned as two-direct.');
    expect(out).toBe(source.replace('\n  two:\n', '\n  # Pinned as two-direct.\n  two:\n'));
    expect(annotateOriginal(out, 9, 'Pinned as two-direct.')).toBe(out);
  });
});
