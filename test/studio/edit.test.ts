// Review edits keep every other byte of the manifest: comments, quoting, folded scalars.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EditRefused, applyReviewEdit } from '../../src/studio/edit.js';

const SOURCE = `# Agent videos, reviewed by marketing.
version: 1
videos:
  teaser:   # the launch teaser
    mode: agent
    prompt: >
      A 20-second teaser,
      folded over lines.
    review: true
    revisions:
      - Make the intro shorter.   # from Ana
      - "End with: try it today"

  other:
    mode: agent
    prompt: 'Another one'
    review: true
`;

describe('applyReviewEdit', () => {
  it('appends a revision after the last one, keeping comments and quoting', () => {
    const out = applyReviewEdit(SOURCE, 'teaser', { kind: 'revise', text: 'Use the blue logo: the new one' });
    expect(out).toBe(SOURCE.replace('      - "End with: try it today"\n', '      - "End with: try it today"\n      - "Use the blue logo: the new one"\n'));
    expect(parse(out).videos.teaser.revisions).toHaveLength(3);
  });

  it('adds revisions: and approved: to an entry that has neither, at its indentation', () => {
    let out = applyReviewEdit(SOURCE, 'other', { kind: 'revise', text: 'Shorter' });
    out = applyReviewEdit(out, 'other', { kind: 'approve' });
    expect(out).toBe(`${SOURCE}    revisions:\n      - Shorter\n    approved: true\n`);
    expect(out.startsWith(SOURCE)).toBe(true);
  });

  it('approves an entry in the middle of a file, and flips approved: false in place', () => {
    const out = applyReviewEdit(SOURCE, 'teaser', { kind: 'approve' });
    expect(out).toBe(SOURCE.replace('      - "End with: try it today"\n', '      - "End with: try it today"\n    approved: true\n'));
    const flipped = applyReviewEdit(`${SOURCE}    approved: false  # not yet\n`, 'other', { kind: 'approve' });
    expect(flipped).toBe(`${SOURCE}    approved: true  # not yet\n`);
    const inPlace = applyReviewEdit(out.replace('approved: true', 'approved: false # wait'), 'teaser', { kind: 'approve' });
    expect(inPlace).toContain('    approved: true # wait\n');
  });

  it('refuses what it cannot do without rewriting the file', () => {
    expect(() => applyReviewEdit(SOURCE, 'nope', { kind: 'approve' })).toThrow(EditRefused);
    expect(() => applyReviewEdit('version: 1\nvideos:\n  a: { mode: agent }\n', 'a', { kind: 'approve' })).toThrow(/flow mapping/);
    expect(() => applyReviewEdit(SOURCE, 'teaser', { kind: 'revise', text: '  ' })).toThrow(/needs some text/);
    expect(() => applyReviewEdit('version: 1\nvideos: [\n', 'a', { kind: 'approve' })).toThrow(/does not parse/);
  });
});
