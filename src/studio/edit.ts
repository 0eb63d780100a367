/**
 * The two manifest edits of a storyboard review ("Request changes" appends to `revisions:`,
 * "Approve" sets `approved: true`), made as text insertions at positions the yaml Document API
 * finds, as `reel eject` annotates a manifest: comments, quoting and folded scalars elsewhere in
 * the file stay byte for byte. Pure: the studio reads and writes the file.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node, type Pair, type YAMLMap } from 'yaml';

export type ReviewEdit = { kind: 'revise'; text: string } | { kind: 'approve' };

/** Why an edit cannot be made (shown to the person as it is). */
export class EditRefused extends Error {}

function lineEnd(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl < 0 ? source.length : nl + 1;
}

/** `text` as one YAML scalar on one line: plain when that reads back the same, else double-quoted. */
function inlineScalar(text: string): string {
  const plain = stringify(text, { lineWidth: 0 }).trimEnd();
  return plain.includes('\n') ? JSON.stringify(text) : plain;
}

function entryPair(source: string, id: string): { map: YAMLMap; counter: LineCounter } {
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter });
  if (doc.errors.length > 0) throw new EditRefused(`the manifest does not parse (${doc.errors[0]!.message.split('\n')[0]}); fix it first`);
  const videos = doc.get('videos', true);
  if (!isMap(videos)) throw new EditRefused('the manifest has no `videos:` mapping');
  const pair = videos.items.find((p: Pair) => isScalar(p.key) && p.key.value === id);
  if (!pair) throw new EditRefused(`no entry key \`${id}:\` in this manifest (entries made by an \`each:\` template are edited in the template)`);
  if (!isMap(pair.value)) throw new EditRefused(`\`${id}\` is not a mapping`);
  if (pair.value.flow) throw new EditRefused(`\`${id}\` is written as a flow mapping ({ … }); write it as a block to edit it here`);
  return { map: pair.value, counter };
}

/** The source with the edit made. Throws EditRefused when it cannot be made without rewriting the file. */
export function applyReviewEdit(source: string, id: string, edit: ReviewEdit): string {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const { map, counter } = entryPair(source, id);
  const first = map.items[0]?.key as Node | undefined;
  if (!first?.range) throw new EditRefused(`\`${id}\` has no fields`);
  const indent = ' '.repeat(counter.linePos(first.range[0]).col - 1);
  const last = map.items[map.items.length - 1]!;
  const lastEnd = ((last.value as Node | null)?.range ?? (last.key as Node).range!)[1];
  /** Insert whole lines after the entry's last line. */
  const appendLines = (lines: string[]): string => {
    const at = source[lastEnd - 1] === '\n' ? lastEnd : lineEnd(source, lastEnd);
    const before = source.slice(0, at);
    const glue = before.endsWith('\n') || before === '' ? '' : eol;
    return `${before}${glue}${lines.map((l) => `${indent}${l}${eol}`).join('')}${source.slice(at)}`;
  };

  let out: string;
  if (edit.kind === 'approve') {
    const current = map.get('approved', true);
    if (isScalar(current) && current.value === true) return source;
    if (isScalar(current) && current.range) {
      out = `${source.slice(0, current.range[0])}true${source.slice(current.range[1])}`;
    } else if (current === undefined) {
      out = appendLines(['approved: true']);
    } else {
      throw new EditRefused('`approved:` is not a plain value; set it to true by hand');
    }
  } else {
    const text = edit.text.trim();
    if (text === '') throw new EditRefused('a revision needs some text');
    const revisions = map.get('revisions', true);
    if (revisions === undefined) {
      out = appendLines(['revisions:', `  - ${inlineScalar(text)}`]);
    } else if (isSeq(revisions) && !revisions.flow && revisions.items.length > 0) {
      const lastItem = revisions.items[revisions.items.length - 1] as Node;
      const firstItem = revisions.items[0] as Node;
      const itemCol = counter.linePos(firstItem.range![0]).col;
      // The dash stands two columns before the item's value.
      const dashIndent = ' '.repeat(Math.max(0, itemCol - 3));
      const end = lastItem.range![1];
      const at = source[end - 1] === '\n' ? end : lineEnd(source, end);
      const before = source.slice(0, at);
      const glue = before.endsWith('\n') ? '' : eol;
      out = `${before}${glue}${dashIndent}- ${inlineScalar(text)}${eol}${source.slice(at)}`;
    } else if (isSeq(revisions) && revisions.flow && revisions.range) {
      const items = [...revisions.items.map((i) => source.slice((i as Node).range![0], (i as Node).range![1])), inlineScalar(text)];
      out = `${source.slice(0, revisions.range[0])}[${items.join(', ')}]${source.slice(revisions.range[1])}`;
    } else {
      throw new EditRefused('`revisions:` is not a list; fix it by hand');
    }
  }
  check(out, id, edit);
  return out;
}

/** Read the edited text back: it must parse and say what the edit meant, or nothing is written. */
function check(text: string, id: string, edit: ReviewEdit): void {
  const doc = parseDocument(text);
  const ok =
    doc.errors.length === 0 &&
    (edit.kind === 'approve'
      ? doc.getIn(['videos', id, 'approved']) === true
      : (() => {
          const list = doc.getIn(['videos', id, 'revisions']);
          return isSeq(list) && (list.toJSON() as unknown[]).at(-1) === edit.text.trim();
        })());
  if (!ok) throw new EditRefused('the edit would not read back as intended; make it by hand');
}
