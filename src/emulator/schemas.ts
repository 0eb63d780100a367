/**
 * The HeyGen v3 contract (contract/schemas.json, a copy of shared/heygen-v3/schemas.json) turned
 * into ajv validators. The spec is OpenAPI 3.0 flavoured: `nullable: true`, and discriminated unions
 * whose branches do not say which tag value they take (that lives in `x-discriminator-values`).
 * `toJsonSchema` rewrites both into plain JSON Schema so ajv can check bodies exactly as written.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import contract from './contract/schemas.json' with { type: 'json' };

type Json = Record<string, unknown>;

export interface EndpointContract {
  request: Json | null;
  response: Json | null;
  query: Json | null;
}

/** Every endpoint of the contract keyed by `"METHOD /v3/path/{param}"`. */
export const CONTRACT = contract as unknown as Record<string, EndpointContract>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rewrites the OpenAPI-isms of the contract into JSON Schema ajv understands (pure; returns a copy). */
export function toJsonSchema(schema: unknown, strict = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, strict));
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'discriminator' || key === 'x-discriminator-values' || key === 'default') continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toJsonSchema(sub, strict)]));
      continue;
    }
    out[key] = toJsonSchema(value, strict);
  }
  // Strict mode: an object that lists its properties (with at least one) accepts no others.
  if (strict && isObject(out.properties) && Object.keys(out.properties).length > 0 && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  const discriminator = schema.discriminator as { propertyName?: string } | undefined;
  const values = schema['x-discriminator-values'] as string[] | undefined;
  if (discriminator?.propertyName && Array.isArray(out.oneOf) && values) {
    const tag = discriminator.propertyName;
    // Each branch learns its tag value, so exactly one branch can match and ajv's discriminator
    // support reports the errors of that branch only.
    out.oneOf = (out.oneOf as Json[]).map((branch, i) => ({
      ...branch,
      properties: { ...(branch.properties as Json | undefined), [tag]: { type: 'string', const: values[i] } },
      required: [...new Set([...((branch.required as string[] | undefined) ?? []), tag])],
    }));
    out.discriminator = { propertyName: tag };
    out.type = 'object';
    out.required = [tag];
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    } else {
      return { anyOf: [{ type: 'null' }, out] };
    }
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true, verbose: true });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(endpoint: string, part: 'request' | 'response', strict = false): ValidateFunction | undefined {
  const id = `${part}${strict ? ' strict' : ''} ${endpoint}`;
  let validate = compiled.get(id);
  if (!validate) {
    const schema = CONTRACT[endpoint]?.[part];
    if (!schema) return undefined;
    validate = ajv.compile(toJsonSchema(schema, strict) as Json);
    compiled.set(id, validate);
  }
  return validate;
}

/** One problem with a request body, in HeyGen's terms: a dotted `param` and a sentence. */
export interface ParamProblem {
  param: string;
  message: string;
}

/** `/voice_settings/speed` → `voice_settings.speed`, `/files/0/type` → `files[0].type`. */
export function paramOf(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const raw of parts) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

function describe(error: ErrorObject): ParamProblem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const param = paramOf(error.instancePath, String(params.missingProperty));
      return { param, message: `${param} is required` };
    }
    case 'discriminator': {
      const tag = String(params.tag);
      const param = paramOf(error.instancePath, tag);
      const branches = ((error.parentSchema as Json | undefined)?.oneOf as Json[] | undefined) ?? [];
      const values = branches.map((b) => ((b.properties as Json)[tag] as { const?: string }).const).filter(Boolean);
      return { param, message: `${param} must be one of: ${values.join(', ')}` };
    }
    case 'const':
    case 'enum': {
      const param = paramOf(error.instancePath) || 'body';
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [params.allowedValue];
      const shown = allowed.filter((v) => v !== null).map((v) => String(v));
      return { param, message: `${param} must be one of: ${shown.join(', ')}` };
    }
    case 'type': {
      const param = paramOf(error.instancePath) || 'body';
      const type = Array.isArray(params.type) ? (params.type as string[]).filter((t) => t !== 'null').join(' or ') : String(params.type);
      return { param, message: `${param} must be ${type === 'object' ? 'an object' : type === 'array' ? 'an array' : `a ${type}`}` };
    }
    case 'additionalProperties': {
      const param = paramOf(error.instancePath, String(params.additionalProperty));
      return { param, message: `${param} is not a known field` };
    }
    default: {
      const param = paramOf(error.instancePath) || 'body';
      return { param, message: `${param} ${error.message ?? 'is invalid'}` };
    }
  }
}

/**
 * The single most useful problem among ajv's errors: union bookkeeping errors (`anyOf`, `oneOf`,
 * the `null` alternative of a nullable union) say less than the concrete error inside the branch.
 */
function best(errors: ErrorObject[]): ParamProblem {
  const useful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && !(e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null'));
  const pool = useful.length > 0 ? useful : errors;
  const depth = (e: ErrorObject): number => e.instancePath.split('/').length + (e.keyword === 'required' || e.keyword === 'discriminator' || e.keyword === 'additionalProperties' ? 1 : 0);
  const chosen = pool.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  return describe(chosen);
}

/** Checks a request body against the contract; `null` when it is valid (or the endpoint has no body schema). */
export function checkRequest(endpoint: string, body: unknown, strict = false): ParamProblem | null {
  const validate = validatorFor(endpoint, 'request', strict);
  if (!validate) return null;
  if (validate(body)) return null;
  return best(validate.errors ?? []);
}

/**
 * Every schema error of a response body against the contract (for the contract tests); `strict`
 * also reports fields the contract does not declare.
 */
export function responseErrors(endpoint: string, body: unknown, strict = false): string[] {
  const validate = validatorFor(endpoint, 'response', strict);
  if (!validate) return [`no response schema for ${endpoint}`];
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
