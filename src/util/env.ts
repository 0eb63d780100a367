import { readFile } from 'node:fs/promises';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors.js';
import { DEFAULT_API_URL, normalizeApiUrl, redactUrl } from './api.js';
import { join } from './path.js';

export interface ApiSettings {
  baseUrl: string;
  apiKey: string;
  /** Where the key came from, for messages; never the key itself. */
  keySource: 'environment' | '.env';
}

/**
 * Parse a `.env` file with Node's own parser (`KEY=value`, `export `, `#` comments, quotes), the
 * one `node --env-file` uses.
 */
export function parseDotEnv(text: string): Record<string, string> {
  return parseEnv(text) as Record<string, string>;
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
  /** Undefined when neither the environment nor `.env` sets it. */
  apiKey?: string;
  keySource?: 'environment' | '.env';
}

/**
 * Read HEYGEN_API_URL and HEYGEN_API_KEY: the process environment wins over `.env` in the project
 * root (as with dotenv). A missing key is not an error here, so that a build with nothing to do
 * needs none; `requireApiKey` turns it into one.
 */
export async function readApiEnv(root: string, env: NodeJS.ProcessEnv): Promise<ApiEnv> {
  const dot = await readDotEnv(root);
  const fromEnv = env.HEYGEN_API_KEY?.trim();
  const fromDot = dot.HEYGEN_API_KEY?.trim();
  const out: ApiEnv = { baseUrl: apiUrl(env.HEYGEN_API_URL ?? dot.HEYGEN_API_URL, env.HEYGEN_API_URL === undefined ? '.env' : 'the environment') };
  if (fromEnv) {
    out.apiKey = fromEnv;
    out.keySource = 'environment';
  } else if (fromDot) {
    out.apiKey = fromDot;
    out.keySource = '.env';
  }
  return out;
}

/**
 * The base URL `HEYGEN_API_URL` names, normalised (see normalizeApiUrl); HeyGen's when it is unset.
 * Set but empty is a mistake, not a request for production; credentials in the URL are refused
 * (the key goes in HEYGEN_API_KEY) and never repeated in the message.
 */
function apiUrl(raw: string | undefined, source: string): string {
  if (raw === undefined) return DEFAULT_API_URL;
  const text = raw.trim();
  if (text === '') {
    throw new ConfigError(`HEYGEN_API_URL is set but empty in ${source}; remove it to use HeyGen (${DEFAULT_API_URL}) or give the API's URL`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigError(`HEYGEN_API_URL is not a URL: ${redactUrl(text)}`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`HEYGEN_API_URL must be an http(s) URL, got ${redactUrl(text)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(`HEYGEN_API_URL must not contain credentials (${redactUrl(text)}); put the API key in HEYGEN_API_KEY`);
  }
  return normalizeApiUrl(text);
}

/** The settings a request needs; throws a ConfigError naming both places when the key is missing. */
export function requireApiKey(api: ApiEnv): ApiSettings {
  if (!api.apiKey) {
    throw new ConfigError(
      'HEYGEN_API_KEY is not set. Export it (export HEYGEN_API_KEY=...) or add a line HEYGEN_API_KEY=... to .env ' +
        'in the project root; or run `reel build --emulator` to build against the built-in emulator without a key.',
    );
  }
  return { baseUrl: api.baseUrl, apiKey: api.apiKey, keySource: api.keySource ?? 'environment' };
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
