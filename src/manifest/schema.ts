import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { sha256 } from '../util/hash.js';
import { didYouMean } from './suggest.js';

/**
 * The JSON Schemas in schema/ are the single source of truth for what a manifest and a config may
 * contain (editors use the same files for completion). Validators are compiled once per process, on
 * first use, and their errors are turned into messages that say what to do.
 *
 * Compiling the manifest schema with ajv costs about as much as loading a hundred manifests, and
 * every cold `reel validate`/`plan` paid it (plus loading ajv itself). So `npm run build` also
 * writes the same validators as standalone code (scripts/build-validators.mjs, with AJV_OPTIONS
 * below) next to this module; it is used when its recorded schema digests match the schema files,
 * and ajv compiles at run time otherwise (from source in tests, or a stale build).
 */

export type SchemaName = 'manifest' | 'config';

const files: Record<SchemaName, URL> = {
  manifest: new URL('../../schema/manifest.schema.json', import.meta.url),
  config: new URL('../../schema/config.schema.json', import.meta.url),
};

/** The Ajv options of every validator, compiled at run time or generated at build time. */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const satisfies Options;
/** Keywords the schemas use that Ajv does not know (annotations only). */
export const AJV_KEYWORDS = ['x-message'] as const;
/** The generated validators, beside the built schema.js (see scripts/build-validators.mjs). */
export const PREBUILT_VALIDATORS = 'schema-validators.cjs';

/** The generated module: one validator per schema, and the sha256 of the schema text it was generated from. */
interface Prebuilt extends Record<SchemaName, ValidateFunction> {
  schemaDigests: Record<SchemaName, string>;
}

const schemas = new Map<SchemaName, Record<string, unknown>>();
const validators = new Map<SchemaName, ValidateFunction>();
// ajv and the generated module are CommonJS: required synchronously, and only when first needed.
const require = createRequire(import.meta.url);
let ajv: import('ajv').Ajv | undefined;
let prebuilt: Prebuilt | null | undefined;

/** The parsed schema JSON (what `reel schema` prints). */
export function getSchema(name: SchemaName): Record<string, unknown> {
  let schema = schemas.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(files[name], 'utf8')) as Record<string, unknown>;
    schemas.set(name, schema);
  }
  return schema;
}

export function schemaText(name: SchemaName): string {
  return readFileSync(files[name], 'utf8');
}

function loadPrebuilt(): Prebuilt | null {
  try {
    return require(`./${PREBUILT_VALIDATORS}`) as Prebuilt;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** The generated validator for `name`, if there is one and it was generated from the schema as it is now. */
function prebuiltValidator(name: SchemaName): ValidateFunction | undefined {
  prebuilt ??= loadPrebuilt();
  if (!prebuilt || prebuilt.schemaDigests[name] !== sha256(schemaText(name))) return undefined;
  return prebuilt[name];
}

function validator(name: SchemaName): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    v = prebuiltValidator(name);
    if (!v) {
      if (!ajv) {
        const { Ajv } = require('ajv') as typeof import('ajv');
        ajv = new Ajv(AJV_OPTIONS);
        for (const keyword of AJV_KEYWORDS) ajv.addKeyword(keyword);
      }
      v = ajv.compile(getSchema(name));
    }
    validators.set(name, v);
  }
  return v;
}

/** One schema violation: where (a path of keys/indices into the document) and what to do. */
export interface SchemaProblem {
  path: string[];
  /** Point at the key of the last path step (unknown keys) rather than its value. */
  key: boolean;
  message: string;
}

/** Validates `value` against a schema; every problem at once, in document order of paths. */
export function validateAgainst(name: SchemaName, value: unknown): SchemaProblem[] {
  const validate = validator(name);
  if (validate(value)) return [];
  return describe(name, validate.errors ?? [], value);
}

function pointer(p: string): string[] {
  if (p === '') return [];
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function schemaAt(name: SchemaName, schemaPath: string): Record<string, unknown> | undefined {
  let node: unknown = getSchema(name);
  for (const seg of pointer(schemaPath.replace(/^#/, ''))) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

/** Resolve a `$ref`-free view of a subschema, following one level of local refs. */
function deref(name: SchemaName, schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const ref = schema?.['$ref'];
  return typeof ref === 'string' ? schemaAt(name, ref) : schema;
}

/** `voice_settings.speed`, `files[3]`: how a message names the value at a path. */
export function fieldName(path: readonly string[], data: unknown): string {
  let name = '';
  let node = data;
  const parts: string[] = [];
  for (const seg of path) {
    if (Array.isArray(node)) {
      parts.push(`[${seg}]`);
      node = node[Number(seg)];
    } else {
      parts.push(`.${seg}`);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  // Name from the last key (with indices after it): entries and files are already named by position.
  for (let i = parts.length - 1; i >= 0; i--) {
    name = parts[i]! + name;
    if (parts[i]!.startsWith('.')) break;
  }
  return name.replace(/^\./, '');
}

function typeWord(t: unknown): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', null: 'empty' };
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => words[String(x)] ?? String(x)).join(' or ');
}

function describe(name: SchemaName, errors: ErrorObject[], data: unknown): SchemaProblem[] {
  // An anyOf reports its own failure plus one per branch; the branches only confuse.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !anyOfs.some((prefix) => e.schemaPath.startsWith(prefix)));
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    // A bad key of a `propertyNames` map: the `propertyNames` error below names it; its inner
    // error (marked with `propertyName`) only repeats the pattern.
    if ((e as { propertyName?: string }).propertyName !== undefined) continue;
    const path = pointer(e.instancePath);
    const field = fieldName(path, data);
    const where = field ? `\`${field}\`` : 'the file';
    let problem: SchemaProblem;
    const parent = schemaAt(name, e.schemaPath.replace(/\/[^/]+$/, ''));
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys((deref(name, parent)?.['properties'] as Record<string, unknown> | undefined) ?? {});
        const hint = didYouMean(key, allowed);
        const inside = field ? ` in \`${field}\`` : '';
        if (key === 'each' && path.length === 1 && path[0] === 'defaults') {
          problem = { path: [...path, key], key: true, message: '`each` cannot be a default; put it on the entry that should repeat per row' };
          break;
        }
        problem = {
          path: [...path, key],
          key: true,
          message: `unknown key \`${key}\`${inside}${hint ? `; did you mean \`${hint}\`?` : `; allowed: ${allowed.join(', ')}`}`,
        };
        break;
      }
      case 'required': {
        const missing = String((e.params as { missingProperty: string }).missingProperty);
        const example = missing === 'version' ? ': add `version: 1` at the top' : missing === 'videos' ? ': add a `videos:` mapping of id → entry' : '';
        problem = { path, key: path.length > 0, message: `missing required \`${missing}\`${field ? ` in \`${field}\`` : ''}${example}` };
        break;
      }
      case 'type':
        problem = {
          path,
          key: false,
          message:
            path.length === 0
              ? name === 'manifest'
                ? 'a manifest must be a mapping with `version: 1` and `videos:`'
                : 'the config must be a mapping of settings'
              : `${where} must be ${typeWord((e.params as { type: unknown }).type)}`,
        };
        break;
      case 'enum': {
        const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
        const got = valueAt(data, path);
        const hint = typeof got === 'string' || typeof got === 'number' ? didYouMean(String(got), allowed) : undefined;
        const numberHint = field.endsWith('aspect_ratio') && typeof got === 'number' ? ' (quote it: "16:9" — unquoted, YAML reads 16:9 as a number)' : '';
        problem = { path, key: false, message: `${where} must be one of ${allowed.join(', ')}${hint ? `; did you mean \`${hint}\`?` : ''}${numberHint}` };
        break;
      }
      case 'const':
        problem = {
          path,
          key: false,
          message: field === 'version' ? '`version` must be 1 (the only manifest format version)' : `${where} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`,
        };
        break;
      case 'minimum':
      case 'maximum': {
        const min = parent?.['minimum'];
        const max = parent?.['maximum'];
        const range = min !== undefined && max !== undefined ? `between ${String(min)} and ${String(max)}` : e.keyword === 'minimum' ? `at least ${String(min)}` : `at most ${String(max)}`;
        problem = { path, key: false, message: `${where} must be ${range} (got ${JSON.stringify(valueAt(data, path))})` };
        break;
      }
      case 'minLength':
        problem = { path, key: false, message: `${where} must not be empty` };
        break;
      case 'maxLength': {
        const v = valueAt(data, path);
        const limit = (e.params as { limit: number }).limit;
        problem = {
          path,
          key: false,
          message: `${where} is ${typeof v === 'string' ? v.length.toLocaleString('en-US') : '?'} characters; HeyGen allows at most ${limit.toLocaleString('en-US')} — shorten it`,
        };
        break;
      }
      case 'maxItems': {
        const v = valueAt(data, path);
        problem = { path, key: false, message: `${where} has ${Array.isArray(v) ? v.length : '?'} items; HeyGen allows at most ${(e.params as { limit: number }).limit}` };
        break;
      }
      case 'minItems':
        problem = { path, key: false, message: `${where} must not be empty` };
        break;
      case 'pattern': {
        const pattern = String((e.params as { pattern: string }).pattern);
        const msg = pattern.startsWith('^https') ? 'must be an https:// URL' : pattern.includes('#') ? 'must be a colour like "#0B1F3A" (quote it in YAML)' : `must match ${pattern}`;
        problem = { path, key: false, message: `${where} ${msg}` };
        break;
      }
      case 'minProperties':
      case 'maxProperties': {
        const props = Object.keys((parent?.['properties'] as Record<string, unknown> | undefined) ?? {});
        problem = { path, key: false, message: `${where} needs exactly one of ${props.join(', ')}` };
        break;
      }
      case 'propertyNames': {
        const key = String((e.params as { propertyName: string }).propertyName);
        const locales = path.at(-1) === 'locales';
        problem = {
          path: [...path, key],
          key: true,
          message: locales
            ? `locale \`${key}\` must be a language tag such as \`de-DE\` or \`pt-BR\` (letters and digits joined by \`-\`); it becomes part of the video id`
            : `key \`${key}\`${field ? ` in \`${field}\`` : ''} is not allowed`,
        };
        break;
      }
      case 'anyOf': {
        const custom = parent?.['x-message'];
        problem = { path, key: false, message: `${where} ${typeof custom === 'string' ? custom : (e.message ?? 'is invalid')}` };
        break;
      }
      default:
        problem = { path, key: false, message: `${where} ${e.message ?? 'is invalid'}` };
    }
    const dedupe = `${problem.path.join('/')}|${problem.message}`;
    if (!seen.has(dedupe)) {
      seen.add(dedupe);
      out.push(problem);
    }
  }
  return out;
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(seg)] : (node as Record<string, unknown>)[seg];
  }
  return node;
}
