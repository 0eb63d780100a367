import { describe, expect, it } from 'vitest';
import { annotateOriginal, ejectedId, ejectedManifest, ejectedPath, removeEntry } from '../../src/agent/eject.js';
import { findAgentChoices } from '../../src/agent/choices.js';
import { loadProject } from '../../src/manifest/index.js';
import { approvalHash, messageHash, nextMessage, sentRevisionsStillHold } from '../../src/lock/messages.js';
import { latestAgentTurn, storyboardLines } from '../../src/agent/transcript.js';
import type { LockEntry } from '../../src/lock/types.js';
import type { ResolvedEntry } from '../../src/manifest/types.js';
import { plan } from '../../src/plan/index.js';
import { fieldDigests, fingerprint } from '../../src/plan/fingerprint.js';
import { emptyLock } from '../../src/lock/types.js';
import { project, removedAfterAll } from '../helpers/project.js';

const temp = removedAfterAll();

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
    id: 'teaser',
    mode: 'agent',
    request: { prompt, mode: 'chat' },
    assets: [],
    agent: { review: true, revisions, approved: false },
    output: {},
    source: { file: '/p/videos/a.yaml', line: 3, col: 3 },
    fieldSources: {},
  };
}

function lockedFor(entry: ResolvedEntry, status: LockEntry['status'], sent: string[]): LockEntry {
  return {
    fingerprint: fingerprint(entry),
    mode: 'agent',
    status,
    generation: 1,
    fields: fieldDigests(entry),
    session_id: 'sess_1',
    messages_sent: sent,
    updated_at: '2026-01-01T00:00:00Z',
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
  const looks = [
    {
      id: 'look-1',
      name: 'Daisy in skirt',
      avatar_type: 'studio_avatar',
      gender: 'female',
      default_voice_id: 'v-1',
      preview_image_url: 'https://cdn.example/daisy.jpg',
      preferred_orientation: 'landscape',
    },
    { id: 'look-2', name: 'Daisy', avatar_type: 'studio_avatar', gender: 'female', default_voice_id: 'v-2', preview_image_url: 'https://cdn.example/daisy2.jpg', preferred_orientation: 'portrait' },
    { id: 'look-3', name: 'Tyler', avatar_type: 'studio_avatar', gender: 'male', default_voice_id: 'v-3', preview_image_url: 'https://cdn.example/tyler.jpg', preferred_orientation: 'portrait' },
  ];
  const voices = [
    { voice_id: 'v-1', name: 'Hope', language: 'English', gender: 'female', type: 'public', preview_audio_url: 'https://cdn.example/hope.mp3' },
    { voice_id: 'v-2', name: 'Paige', language: 'English', gender: 'female', type: 'public', preview_audio_url: 'https://cdn.example/paige.mp3' },
    { voice_id: 'v-3', name: 'Paul', language: 'English', gender: 'male', type: 'public', preview_audio_url: 'https://cdn.example/paul.mp3' },
  ];

  it('takes the entry overrides first, then resource metadata ids in the catalog; the script from a draft', () => {
    const found = findAgentChoices({
      request: { voice_id: 'v-3', style_id: 'st-1' },
      messages: [],
      resources: [
        { resource_id: 'a1', resource_type: 'avatar', metadata: { avatar_id: 'look-1' }, created_at: 1 },
        { resource_id: 'v1', resource_type: 'voice', metadata: { voice_id: 'v-1' }, created_at: 2 },
        { resource_id: 'd1', resource_type: 'draft', metadata: { scenes: 3, script: 'Hello there.' }, created_at: 3 },
      ],
      looks,
      voices,
    });
    expect(found.choices.avatar).toEqual({ value: 'look-1', name: 'Daisy in skirt', source: 'session resource a1 (metadata.avatar_id)' });
    expect(found.choices.voice?.value).toBe('v-3');
    expect(found.choices.voice?.source).toBe('the agent entry (`voice`)');
    expect(found.choices.style?.value).toBe('st-1');
    expect(found.choices.script).toEqual({ value: 'Hello there.', source: 'storyboard draft resource d1 (metadata.script)' });
  });

  it("without ids: matches preview URLs (query strings aside), then names in the agent's messages; never guesses", () => {
    const found = findAgentChoices({
      request: {},
      messages: [
        { role: 'user', type: 'text', content: 'Use Paul please', created_at: 3 },
        { role: 'model', type: 'text', content: 'I chose the avatar "Daisy in skirt" with the voice "Paige".', created_at: 2 },
      ],
      resources: [{ resource_id: 'a1', resource_type: 'avatar', preview_url: 'https://cdn.example/tyler.jpg?sig=abc', metadata: null, created_at: 1 }],
      looks,
      voices,
    });
    expect(found.choices.avatar).toMatchObject({ value: 'look-3', source: "session resource a1 (its preview is this avatar look's)" });
    // "Daisy" inside "Daisy in skirt" is not a second avatar; the user's own message names nothing.
    expect(found.choices.voice).toMatchObject({ value: 'v-2', name: 'Paige' });
    expect(found.choices.voice?.source).toMatch(/^the agent's message/);
    expect(found.choices.script).toBeUndefined();

    const unknown = findAgentChoices({
      request: {},
      messages: [{ role: 'model', type: 'text', content: 'Daisy or Tyler?' }],
      resources: [{ resource_id: 'a9', resource_type: 'avatar', metadata: { avatar_id: 'gone' } }],
      looks,
      voices,
    });
    expect(unknown.choices.avatar).toBeUndefined();
    expect(unknown.notes.join()).toMatch(/gone, which this account's catalog does not list/);
    expect(unknown.candidates.avatar.map((c) => c.id)).toEqual(['look-1', 'look-2', 'look-3']);
  });

  it("ranks candidates by what is known: the voice's look first, then the orientation", () => {
    const found = findAgentChoices({ request: { orientation: 'portrait' }, messages: [], resources: [{ resource_id: 'v', resource_type: 'voice', metadata: { voice_id: 'v-3' } }], looks, voices });
    expect(found.candidates.voice).toEqual([]);
    expect(found.candidates.avatar[0]).toMatchObject({ id: 'look-3', preview: 'https://cdn.example/tyler.jpg' });
    expect(found.candidates.avatar[0]!.why).toMatch(/default voice is Paul/);
    const byLook = findAgentChoices({ request: { avatar_id: 'look-2' }, messages: [], resources: [], looks, voices });
    expect(byLook.candidates.voice[0]).toMatchObject({ id: 'v-2', preview: 'https://cdn.example/paige.mp3' });
  });

  it('names the file and id so they never collide with the original', () => {
    expect(ejectedPath('/p/videos/launch.yaml')).toBe('/p/videos/launch.ejected.yaml');
    expect(ejectedPath('/p/videos/launch.yml')).toBe('/p/videos/launch.ejected.yaml');
    expect(ejectedId('teaser')).toBe('teaser-direct');
  });

  it('adds to an existing ejected file, writes an incomplete entry as a draft that validates, and refuses an id that is there', async () => {
    const first = ejectedManifest(undefined, {
      id: 'a',
      newId: 'a-direct',
      choices: { voice: { value: 'v-1', name: 'Hope', source: 'x' } },
      candidates: { avatar: [{ id: 'look-1', name: 'Daisy', why: '', preview: 'https://p/d.jpg' }] },
      from: 'a.yaml',
      sessionId: 's1',
    });
    expect(first.missing).toEqual(['avatar', 'script']);
    expect(first.text).toContain('  a-direct:\n    draft: true # needs avatar, script: fill them in, then remove this line\n    voice: v-1 # Hope\n');
    expect(first.text).toContain('look-1 (Daisy, https://p/d.jpg)');
    const second = ejectedManifest(first.text, {
      id: 'b',
      newId: 'b-direct',
      choices: { avatar: { value: 'x', source: 's' }, voice: { value: 'y', source: 's' }, script: { value: 'Hi.', source: 's' } },
      from: 'a.yaml',
      sessionId: 's2',
    });
    expect(second.missing).toEqual([]);
    expect(second.text).toContain('  b-direct:\n    avatar: x\n    voice: y\n    script: Hi.\n');
    expect(() => ejectedManifest(second.text, { id: 'b', newId: 'b-direct', choices: {}, from: 'a.yaml', sessionId: 's2' })).toThrow(/already/);

    const root = project({ 'reel.config.yaml': 'manifests: ["*.ejected.yaml"]\n', 'a.ejected.yaml': second.text });
    temp.push(root);
    const loaded = await loadProject(root);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(loaded.entries.map((e) => e.id)).toEqual(['b-direct']);
    expect(loaded.drafts).toMatchObject([{ id: 'a-direct', needs: ['avatar', 'script'] }]);
    expect(loaded.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/a-direct` is a draft and is not rendered: it needs `avatar`, `script`/)]);
  });

  it("--replace cuts the entry's lines and nothing else; an emptied videos map stays valid", () => {
    const source = '# top\nversion: 1\nvideos:\n  one:\n    script: "Hi"   # keep\n\n  two:\n    mode: agent\n    prompt: >\n      Folded\n      text\n  three:\n    mode: agent\n    prompt: x # c\n';
    expect(removeEntry(source, 7)).toBe('# top\nversion: 1\nvideos:\n  one:\n    script: "Hi"   # keep\n\n  three:\n    mode: agent\n    prompt: x # c\n');
    expect(removeEntry(source, 12)).toBe('# top\nversion: 1\nvideos:\n  one:\n    script: "Hi"   # keep\n\n  two:\n    mode: agent\n    prompt: >\n      Folded\n      text\n');
    expect(removeEntry('version: 1\nvideos:\n  only:\n    mode: agent\n    prompt: p\n', 3)).toBe('version: 1\nvideos: {}\n');
  });

  it('comments the original entry and leaves every other byte as it was, once', () => {
    const source = '# top\nversion: 1\nvideos:\n  one:\n    script: "Hi"   # keep\n    voice_settings: { speed: 1.05 }\n\n  two:\n    mode: agent\n    prompt: >\n      Folded\n      text\n';
    const out = annotateOriginal(source, 8, 'Pinned as two-direct.');
    expect(out).toBe(source.replace('\n  two:\n', '\n  # Pinned as two-direct.\n  two:\n'));
    expect(annotateOriginal(out, 9, 'Pinned as two-direct.')).toBe(out);
  });
});
