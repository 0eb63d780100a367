import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { responseErrors } from '../../src/emulator/schemas.js';

export const KEY = 'test-key';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** One HTTP request to the emulator, JSON in and (when it parses) JSON out. */
export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { 'x-api-key': KEY, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Where the examples' webhooks go in tests: a closed local port, so no test talks to the internet. */
export const NOWHERE = 'http://127.0.0.1:1/hook';

/**
 * Reads a sample body from examples/ (a copy of shared/heygen-v3/examples). Request samples have
 * their webhook URLs pointed at NOWHERE; everything else is used as written.
 */
export function example(name: string): any {
  const body = JSON.parse(readFileSync(fileURLToPath(new URL(`./examples/${name}`, import.meta.url)), 'utf8'));
  if (name.includes('.request.')) {
    if (typeof body.callback_url === 'string') body.callback_url = NOWHERE;
    if (name.startsWith('webhook-endpoint') && typeof body.url === 'string') body.url = NOWHERE;
    for (const video of body.videos ?? []) if (typeof video.callback_url === 'string') video.callback_url = NOWHERE;
  }
  return body;
}

/**
 * Asserts a response body matches the contract's response schema for `endpoint`, strictly: no
 * field the contract does not declare.
 */
export function expectSchema(endpoint: string, body: unknown): void {
  expect(responseErrors(endpoint, body, true), `${endpoint} response:\n${JSON.stringify(body, null, 2)}`).toEqual([]);
}

/**
 * Asserts `actual` has every key of `sample` with a value of the same JSON type (null matches
 * anything nullable on either side), recursively; arrays compare their first elements.
 */
export function expectShape(actual: unknown, sample: unknown, path = '$'): void {
  if (sample === null || actual === null) return;
  if (Array.isArray(sample)) {
    expect(Array.isArray(actual), `${path} should be an array`).toBe(true);
    if (sample.length > 0 && (actual as unknown[]).length > 0) expectShape((actual as unknown[])[0], sample[0], `${path}[0]`);
    return;
  }
  if (typeof sample === 'object') {
    expect(typeof actual, `${path} should be an object`).toBe('object');
    for (const key of Object.keys(sample as object)) {
      expect(actual as object, `${path} should have ${key}`).toHaveProperty([key]);
      expectShape((actual as Record<string, unknown>)[key], (sample as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return;
  }
  expect(typeof actual, `${path} should be a ${typeof sample}`).toBe(typeof sample);
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined>, ms = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A direct avatar body that renders quickly and is valid against the built-in catalog. */
export function avatarBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'avatar',
    avatar_id: 'Daisy-inskirt-20220818',
    voice_id: '2d5b0e6cf36f460aa7fc47e3eee4ba54',
    script: 'Hello from the emulator. This is a short test script.',
    ...extra,
  };
}
