import { Composer, Parser, LineCounter, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { CST } from 'yaml';

/**
 * Safe YAML for manifests, config and data files. The `yaml` package is a good parser but three
 * inputs hurt it: a deeply nested document makes its composer recurse until V8 dies (not even a
 * catchable RangeError), aliases can expand exponentially, and tags can ask for types we never want.
 * So we run its lexer+parser (iterative) to a CST, bound depth and reject tags on the CST, and only
 * then compose and convert to plain values with our own bounded walk.
 */

/** Deeper than any real manifest; far below what would exhaust the stack. */
export const MAX_DEPTH = 64;
/** Nodes an alias may expand to across a whole file (billion-laughs guard). */
export const MAX_ALIAS_NODES = 10_000;

export interface YamlProblem {
  offset: number;
  message: string;
}

export interface ParsedYaml {
  text: string;
  lineCounter: LineCounter;
  doc?: Document.Parsed;
  /** Plain JS value of the document (undefined when it could not be built). */
  value: unknown;
  errors: YamlProblem[];
}

/** Decode strict UTF-8; on failure report the offset (in characters of the valid prefix) of the first bad byte. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { badByte: number; line: number; col: number } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < bad; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, bad));
    return { badByte: bad, line, col: [...prefix].length + 1 };
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let need: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}

type Tok = CST.Token | CST.SourceToken;

function tagError(t: Tok): YamlProblem {
  return {
    offset: t.offset,
    message: `YAML tags such as \`${(t as CST.SourceToken).source}\` are not allowed in manifests; remove the tag (write the value as plain YAML)`,
  };
}

function checkTags(tokens: readonly Tok[] | undefined, errors: YamlProblem[]): void {
  if (!tokens) return;
  for (let i = 0; i < tokens.length; i++) if (tokens[i]!.type === 'tag') errors.push(tagError(tokens[i]!));
}

/** Walks the CST without recursion: reports the first node nested deeper than MAX_DEPTH and every explicit tag. */
function checkCst(doc: CST.Document, errors: YamlProblem[]): boolean {
  // Two parallel stacks instead of one of {tok, depth} objects: this walks every node of every file.
  const toks: Tok[] = [];
  const depths: number[] = [];
  if (doc.value) {
    toks.push(doc.value);
    depths.push(0);
  }
  checkTags(doc.start, errors);
  while (toks.length > 0) {
    const tok = toks.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_DEPTH) {
      errors.push({
        offset: tok.offset,
        message: `nesting deeper than ${MAX_DEPTH} levels; manifests are never this deep — check for unbalanced brackets or runaway indentation`,
      });
      return false;
    }
    switch (tok.type) {
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        const items = (tok as CST.BlockMap | CST.FlowCollection).items as CST.CollectionItem[];
        for (let i = 0; i < items.length; i++) {
          const item = items[i]!;
          checkTags(item.start, errors);
          checkTags(item.sep, errors);
          if (item.key) {
            toks.push(item.key);
            depths.push(depth + 1);
          }
          if (item.value) {
            toks.push(item.value);
            depths.push(depth + 1);
          }
        }
        break;
      }
      case 'block-scalar':
        checkTags((tok as CST.BlockScalar).props as Tok[], errors);
        break;
      default:
        break;
    }
  }
  return true;
}

/** Parses one YAML document safely. Never throws on bad input. */
export function parseYaml(text: string, what = 'manifest', options: { allowEmpty?: boolean } = {}): ParsedYaml {
  const lineCounter = new LineCounter();
  const errors: YamlProblem[] = [];
  const result: ParsedYaml = { text, lineCounter, value: undefined, errors };
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    // Nothing reel writes or sends may hold one (HeyGen, file names and terminals all choke on it).
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < nul; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    errors.push({ offset: nul, message: `a NUL byte (\\0) in the ${what} file; remove it (save the file as plain UTF-8 text)` });
    return result;
  }
  const parser = new Parser(lineCounter.addNewLine);
  const cstDocs: CST.Document[] = [];
  for (const token of parser.parse(text)) {
    if (token.type === 'document') cstDocs.push(token);
    else if (token.type === 'error') errors.push({ offset: token.offset, message: token.message });
  }
  if (cstDocs.length > 1) {
    errors.push({ offset: cstDocs[1]!.offset, message: `a ${what} file holds one YAML document; remove the \`---\` separator and merge or split into files` });
    return result;
  }
  if (cstDocs.length === 0) {
    if (options.allowEmpty) return result;
    errors.push({ offset: 0, message: what === 'manifest' ? 'the file is empty; a manifest needs `version: 1` and `videos:`' : 'the file is empty' });
    return result;
  }
  const tagCount = errors.length;
  if (!checkCst(cstDocs[0]!, errors) || errors.length > tagCount) return result;

  // Duplicate keys are found by toValue in one pass: the composer's own check compares every key with
  // every earlier one (40,000 entries took 17 s).
  const composer = new Composer({ version: '1.2', schema: 'core', uniqueKeys: false, merge: false, prettyErrors: false, intAsBigInt: false });
  const docs = [...composer.compose(cstDocs, true, text.length)] as Document.Parsed[];
  const doc = docs[0];
  if (!doc) return result;
  result.doc = doc;
  for (const e of doc.errors) {
    const key = e.code === 'DUPLICATE_KEY' ? /^[^:#\n]*/.exec(text.slice(e.pos[0], e.pos[0] + 200))![0].trim() : '';
    errors.push({ offset: e.pos[0], message: key ? `duplicate key \`${key}\`; each key may appear once in a mapping — rename or remove one` : yamlMessage(e.code, e.message) });
  }
  for (const w of doc.warnings) errors.push({ offset: w.pos[0], message: yamlMessage(w.code, w.message) });
  if (errors.length > 0) return result;
  const budget: Budget = { left: MAX_ALIAS_NODES, duplicates: errors };
  try {
    result.value = toValue(doc.contents, doc, budget, 0, false);
  } catch (e) {
    if (e instanceof AliasBomb) errors.push({ offset: e.offset, message: e.message });
    else throw e;
  }
  return result;
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'tab used as indentation; YAML indents with spaces only — replace the tab with spaces';
    case 'DUPLICATE_KEY':
      return 'duplicate key; each key may appear once in a mapping — rename or remove one';
    case 'MULTIPLE_DOCS':
      return 'only one YAML document per file; remove the `---` separator';
    default:
      return `YAML syntax error: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
  }
}

class AliasBomb extends Error {
  constructor(readonly offset: number) {
    super(`aliases here expand to more than ${MAX_ALIAS_NODES} values (an alias bomb?); write the values out or use \`defaults\``);
  }
}

interface Budget {
  left: number;
  /** Where duplicate keys are reported. */
  duplicates: YamlProblem[];
}

/** Plain JS from a composed node; only aliased subtrees spend the alias budget. */
function toValue(node: unknown, doc: Document.Parsed, budget: Budget, depth: number, viaAlias: boolean): unknown {
  if (viaAlias && --budget.left < 0) throw new AliasBomb(0);
  if (depth > MAX_DEPTH * 2) throw new AliasBomb(0);
  if (node === null || node === undefined) return null;
  // instanceof rather than isScalar() & co.: this runs for every node of every manifest, and the
  // symbol lookups behind those helpers are megamorphic across node classes.
  if (node instanceof Scalar || isScalar(node)) return node.value;
  if (node instanceof YAMLMap || isMap(node)) {
    const out: Record<string, unknown> = {};
    // A plain scalar value (most of them) is taken inline; the general path spends the alias budget.
    const inline = !viaAlias && depth + 1 <= MAX_DEPTH * 2;
    for (const pair of node.items) {
      const k = pair.key instanceof Scalar ? (pair.key.value as unknown) : pair.key;
      const key = typeof k === 'string' ? k : k === null ? 'null' : typeof k === 'object' ? JSON.stringify(toValue(k, doc, budget, depth + 1, viaAlias)) : String(k);
      const item = pair.value;
      const v = inline && item instanceof Scalar ? (item.value as unknown) : toValue(item, doc, budget, depth + 1, viaAlias);
      if (Object.hasOwn(out, key) && !viaAlias) {
        const shown = pair.key instanceof Scalar && typeof pair.key.source === 'string' ? pair.key.source : key;
        budget.duplicates.push({ offset: (pair.key as Node | null)?.range?.[0] ?? 0, message: `duplicate key \`${shown}\`; each key may appear once in a mapping — rename or remove one` });
      }
      // Own property even for "__proto__", so a manifest cannot reach Object.prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out;
  }
  if (node instanceof YAMLSeq || isSeq(node)) return node.items.map((item) => toValue(item, doc, budget, depth + 1, viaAlias));
  if (isAlias(node)) {
    const target = node.resolve(doc);
    try {
      return toValue(target, doc, budget, depth + 1, true);
    } catch (e) {
      if (e instanceof AliasBomb && e.offset === 0) throw new AliasBomb(node.range?.[0] ?? 0);
      throw e;
    }
  }
  if (isPair(node)) return toValue(node.value, doc, budget, depth + 1, viaAlias);
  return null;
}

/** The node at a path of keys/indices, following aliases; `key: true` returns the map key node of the last step. */
export function nodeAt(doc: Document.Parsed | undefined, path: ReadonlyArray<string | number>, key = false): Node | undefined {
  if (!doc) return undefined;
  return descend(doc, doc.contents as Node | undefined, path, key);
}

/** Like nodeAt, from any node; stops at the deepest node that exists. */
export function descend(doc: Document.Parsed, start: Node | undefined, path: ReadonlyArray<string | number>, key = false): Node | undefined {
  let node: unknown = start;
  let last: Node | undefined = start;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const step = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : undefined) === String(step));
      if (!pair) return last;
      if (key && i === path.length - 1) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && /^\d+$/.test(String(step))) {
      node = node.items[Number(step)];
      if (node === undefined) return last;
    } else return last;
    if (node) last = node as Node;
  }
  return last;
}

export function offsetOf(node: Node | undefined): number {
  return node?.range?.[0] ?? 0;
}
