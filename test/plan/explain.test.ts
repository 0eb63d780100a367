import { describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.js';
import { digest, fieldDigests, fingerprint, shortFingerprint } from '../../src/plan/fingerprint.js';
import { explainToJson, formatExplainHuman } from '../../src/report/plan-explain.js';
import { direct, locked, lockOf } from './builders.js';

const defaults = { file: '/p/videos/a.yaml', line: 2, col: 10 };
const scriptAt = { file: '/p/videos/a.yaml', line: 6, col: 13 };

describe('explain', () => {
  it('names the changed fields, their old and new digests and where they are written', () => {
    const before = direct('a', { voice_id: 'v1', title: 'Old' });
    const after = direct(
      'a',
      { voice_id: 'v2', title: 'Old', script: 'New words.' },
      {
        fieldSources: { voice_id: defaults, script: scriptAt },
      },
    );
    const x = explain('a', [after], lockOf(['a', locked(before, { generation: 2, video_id: 'vid1' })]));
    expect(x?.change.action).toBe('update');
    expect(x?.fingerprint).toEqual({ before: fingerprint(before), after: fingerprint(after) });
    expect(x?.fields.filter((f) => f.changed)).toEqual([
      { name: 'script', before: fieldDigests(before).script, after: digest('New words.'), changed: true, kind: 'render', source: scriptAt },
      { name: 'voice_id', before: digest('v1'), after: digest('v2'), changed: true, kind: 'render', source: defaults },
    ]);
    expect(x?.reason).toBe('The request changed (script, voice_id): a build renders it again as generation 3.');

    const text = formatExplainHuman(x!, { cwd: '/p' });
    expect(text).toContain('~ a: update');
    expect(text).toContain(`fingerprint ${shortFingerprint(fingerprint(before))} → ${shortFingerprint(fingerprint(after))}`);
    expect(text).toContain(`* script    ${fieldDigests(before).script} → ${digest('New words.')}  videos/a.yaml:6:13`);
    expect(text).toContain(`* voice_id  ${digest('v1')} → ${digest('v2')}  videos/a.yaml:2:10`);
    expect(text).toContain('lock: completed, generation 2, video vid1');
    expect(text).not.toContain('title');
  });

  it('explains metadata-only changes and marks their kind', () => {
    const x = explain('a', [direct('a', { title: 'New' })], lockOf(['a', locked(direct('a', { title: 'Old' }))]));
    expect(x?.change.action).toBe('metadata');
    expect(x?.fields[0]).toMatchObject({ name: 'title', kind: 'metadata', changed: true });
    expect(formatExplainHuman(x!, { cwd: '/p' })).toMatch(/\* title .* \[metadata\]/);
  });

  it('explains creates, removes and unknown ids', () => {
    const created = explain('a', [direct('a')], lockOf());
    expect(created?.change.action).toBe('create');
    expect(created?.fields.every((f) => !f.changed)).toBe(true);
    const removed = explain('gone', [], lockOf(['gone', locked(direct('gone'))]));
    expect(removed?.change.action).toBe('remove');
    expect(removed?.reason).toMatch(/no manifest defines it/);
    expect(explainToJson(removed!, '/p')).toMatchObject({ action: 'remove', file: null, fingerprint: { after: null } });
    expect(explain('nope', [direct('a')], lockOf())).toBeUndefined();
  });

  it('explains a failed entry with its failure', () => {
    const e = direct('a');
    const x = explain('a', [e], lockOf(['a', locked(e, { status: 'failed', failure: { code: 'E1', message: 'bad look' } })]));
    expect(x?.reason).toBe('Failed earlier (E1: bad look); a build leaves it alone unless run with --retry-failed, or the entry is edited.');
  });
});
