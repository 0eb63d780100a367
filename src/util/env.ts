import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/** HeyGen's production API; `HEYGEN_API_URL` overrides it (e.g. to point at `reel emulator`). */
export const DEFAULT_API_URL = 'https://api.heygen.com';

export interface ApiSettings {
  baseUrl: string;
  apiKey: string;
  /** Where the key came from, for messages; never the key itself. */
  keySource: 'environment' | '.env';
  /** Shown before the first request when the API is not HeyGen's production API. */
  notice?: string;
}

/**
 * Parse a `.env` file: `KEY=value` lines, optional `export ` prefix, `#` comments, single or double
 * quotes. Only what reel needs; no interpolation, no multi-line values.
 */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const key = match[1] as string;
    let value = (match[2] as string).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
    } else {
      // An unquoted value ends at an inline comment.
      const hash = value.search(/\s#/);
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
    }
    out[key] = value;
  }
  return out;
}

async function readDotEnv(root: string): Promise<Record<string, string>> {
  try {
    return parseDotEnv(await readFile(join(root, '.env'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${join(root, '.env')}: ${(error as Error).message}`, { cause: error });
  }
}

export interface ApiEnv {
  baseUrl: string;
  /** Undefined when neither the environment nor `.env` sets it, or when it may not go to `baseUrl`. */
  apiKey?: string;
  keySource?: 'environment' | '.env';
  urlSource: 'environment' | '.env' | 'default';
  /** Why a key that is set is withheld from `baseUrl` (see `readApiEnv`); requireApiKey throws it. */
  withheld?: string;
  /** A line to show before the first request: the API is not HeyGen's production API. */
  notice?: string;
}

/**
 * Read HEYGEN_API_URL and HEYGEN_API_KEY: the process environment wins over `.env` in the project
 * root (as with dotenv). A missing key is not an error here, so that a build with nothing to do
 * needs none; `requireApiKey` turns it into one.
 *
 * A key goes only to an API named by the same or a more trusted source: a repository's `.env` may
 * not send the key from your shell to an address of its choosing, so a `.env` HEYGEN_API_URL other
 * than production never combines with an environment HEYGEN_API_KEY (the key is withheld).
 */
export async function readApiEnv(root: string, env: NodeJS.ProcessEnv): Promise<ApiEnv> {
  const dot = await readDotEnv(root);
  const fromEnv = env.HEYGEN_API_KEY?.trim();
  const fromDot = dot.HEYGEN_API_KEY?.trim();
  const urlSource = env.HEYGEN_API_URL !== undefined ? 'environment' : dot.HEYGEN_API_URL !== undefined ? '.env' : 'default';
  const given = urlSource === 'environment' ? env.HEYGEN_API_URL : urlSource === '.env' ? dot.HEYGEN_API_URL : DEFAULT_API_URL;
  const where = urlSource === '.env' ? 'in .env' : 'in the environment';
  if ((given ?? '').trim() === '') {
    throw new ConfigError(`HEYGEN_API_URL is set ${where} but empty; remove it to use HeyGen (${DEFAULT_API_URL}), or set it to the API's address`);
  }
  const rawUrl = (given as string).trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch (error) {
    throw new ConfigError(`HEYGEN_API_URL ${where} is not a URL; set it to an address such as ${DEFAULT_API_URL}`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`HEYGEN_API_URL ${where} must be an http(s) URL, got ${url.protocol}//…`);
  }
  if (url.username !== '' || url.password !== '') {
    // Never echoed: the message names the host only.
    throw new ConfigError(`HEYGEN_API_URL ${where} carries a user name or password (${url.protocol}//…@${url.host}); remove them — reel authenticates with HEYGEN_API_KEY`);
  }
  const out: ApiEnv = { baseUrl: rawUrl, urlSource };
  const production = url.origin === new URL(DEFAULT_API_URL).origin;
  if (fromEnv) {
    out.apiKey = fromEnv;
    out.keySource = 'environment';
  } else if (fromDot) {
    out.apiKey = fromDot;
    out.keySource = '.env';
  }
  if (out.keySource === 'environment' && urlSource === '.env' && !production) {
    delete out.apiKey;
    out.withheld =
      `HEYGEN_API_URL comes from the project's .env (${url.origin}) but HEYGEN_API_KEY from your environment; reel does not send your key ` +
      "to an address a repository names. If you trust this API, export HEYGEN_API_URL yourself (or put the key in .env); otherwise remove HEYGEN_API_URL from .env.";
  }
  if (!production && (urlSource === '.env' || !isLocalUrl(rawUrl))) {
    out.notice = `reel: using the API at ${url.origin} (HEYGEN_API_URL ${where}), not HeyGen's ${DEFAULT_API_URL}`;
  }
  return out;
}

/** The settings a request needs; throws a ConfigError naming both places when the key is missing. */
export function requireApiKey(api: ApiEnv): ApiSettings {
  if (api.withheld) throw new ConfigError(api.withheld);
  if (!api.apiKey) {
    throw new ConfigError(
      'HEYGEN_API_KEY is not set. Export it (export HEYGEN_API_KEY=...) or add a line HEYGEN_API_KEY=... to .env ' +
        'in the project root; or run `reel build --emulator` to build against the built-in emulator without a key.',
    );
  }
  return { baseUrl: api.baseUrl, apiKey: api.apiKey, keySource: api.keySource ?? 'environment', ...(api.notice ? { notice: api.notice } : {}) };
}

/** Both at once, for commands that always talk to HeyGen. */
export async function resolveApiSettings(root: string, env: NodeJS.ProcessEnv): Promise<ApiSettings> {
  return requireApiKey(await readApiEnv(root, env));
}

/** True for loopback hosts: the emulator or a local proxy, where fast polling costs nothing. */
export function isLocalUrl(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname;
    return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}
