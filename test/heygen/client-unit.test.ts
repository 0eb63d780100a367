import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeForStatus, HeyGenClient, parseRetryAfter } from '../../src/heygen/client.js';
import { RateGate } from '../../src/heygen/gate.js';
import { parseDotEnv, readApiEnv, requireApiKey } from '../../src/util/env.js';

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('codeForStatus', () => {
  it('derives codes like HeyGen’s CLI', () => {
    expect(codeForStatus(401)).toBe('unauthorized');
    expect(codeForStatus(402)).toBe('insufficient_credit');
    expect(codeForStatus(502)).toBe('unclassified_server_error');
    expect(codeForStatus(418)).toBe('unclassified_client_error');
  });
});

describe('RateGate', () => {
  it('pauses writes for write-scoped limits and everything for global ones', () => {
    let now = 1000;
    const gate = new RateGate(() => now);
    gate.pause(500, 'write');
    expect(gate.remaining('write')).toBe(500);
    expect(gate.remaining('read')).toBe(0);
    gate.pause(200, 'all');
    expect(gate.remaining('read')).toBe(200);
    now += 300;
    expect(gate.remaining('read')).toBe(0);
    expect(gate.remaining('write')).toBe(200);
  });
});

describe('.env', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('parses quotes, export and comments', () => {
    expect(parseDotEnv('# c\nexport A=1\nB="two words"\nC=three # note\nD=\'x#y\'\nbad line')).toEqual({
      A: '1',
      B: 'two words',
      C: 'three',
      D: 'x#y',
    });
  });

  it('ignores a line that is not KEY=value instead of folding it into the next name', () => {
    expect(parseDotEnv('pasted by mistake\nHEYGEN_API_KEY=k1\nexport HEYGEN_API_URL=http://127.0.0.1:9\n')).toEqual({
      HEYGEN_API_KEY: 'k1',
      HEYGEN_API_URL: 'http://127.0.0.1:9',
    });
    expect(parseDotEnv('M="first\nno equals here\nlast"\nstray\nK=v')).toEqual({ M: 'first\nno equals here\nlast', K: 'v' });
  });

  it('prefers the environment over .env and explains a missing key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reel-env-'));
    await writeFile(join(dir, '.env'), 'HEYGEN_API_KEY=from-file\nHEYGEN_API_URL=http://127.0.0.1:9/\n');
    const fromFile = await readApiEnv(dir, {});
    expect(fromFile).toMatchObject({ baseUrl: 'http://127.0.0.1:9', apiKey: 'from-file', keySource: '.env', urlSource: '.env' });
    // The shell's key never goes to an address the project's .env names.
    const mixed = await readApiEnv(dir, { HEYGEN_API_KEY: 'from-env' });
    expect(mixed.apiKey).toBeUndefined();
    expect(() => requireApiKey(mixed)).toThrow(/HEYGEN_API_URL comes from the project's \.env \(http:\/\/127\.0\.0\.1:9\) but HEYGEN_API_KEY from your environment/);
    const fromEnv = await readApiEnv(dir, { HEYGEN_API_KEY: 'from-env', HEYGEN_API_URL: 'http://127.0.0.1:9' });
    expect(fromEnv.apiKey).toBe('from-env');
    const none = await readApiEnv(join(dir, 'missing'), {});
    expect(none.baseUrl).toBe('https://api.heygen.com');
    expect(() => requireApiKey(none)).toThrow(/HEYGEN_API_KEY is not set.*\.env.*--emulator/);
  });
});

/**
 * A gateway in front of HeyGen can answer with HTML, or not at all; the emulator speaks proper
 * envelopes, so these few cases use a tiny scripted server.
 */
describe('HeyGenClient against a scripted server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections(); // kept alive by fetch: close() alone would wait them out
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; hits: () => number }> {
    let n = 0;
    server = createServer((req, res) => {
      n += 1;
      handler(req, res, n);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const port = (server?.address() as AddressInfo).port;
    return { url: `http://127.0.0.1:${port}`, hits: () => n };
  }

  const fast = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 };

  it('classifies a non-JSON 502 by status and retries GETs', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const client = new HeyGenClient({ baseUrl: s.url, apiKey: 'k', retry: fast });
    const outcome = await client.getVideo('v1');
    expect(outcome).toMatchObject({ kind: 'error', status: 502, code: 'unclassified_server_error' });
    expect(s.hits()).toBe(3);
  });

  it('never resends an agent create after a 500, and reports it as ambiguous', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal_error', message: 'boom' } }));
    });
    const client = new HeyGenClient({ baseUrl: s.url, apiKey: 'k', retry: fast });
    const outcome = await client.createSession({ prompt: 'p' });
    expect(outcome.kind).toBe('ambiguous');
    expect(s.hits()).toBe(1);
  });

  it('resends a keyed video create with the same key, and waits out 409 request_in_progress', async () => {
    const keys: string[] = [];
    const s = await serve((req, res, n) => {
      keys.push(String(req.headers['idempotency-key']));
      if (n === 1) {
        req.socket.destroy();
        return;
      }
      if (n === 2) {
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'request_in_progress', message: 'wait' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { video_id: 'v1', status: 'waiting' } }));
    });
    const client = new HeyGenClient({ baseUrl: s.url, apiKey: 'k', retry: fast });
    const outcome = await client.createVideo({ type: 'avatar' }, 'reel-abc-g1');
    expect(outcome).toMatchObject({ kind: 'ok', value: { video_id: 'v1' } });
    expect(keys).toEqual(['reel-abc-g1', 'reel-abc-g1', 'reel-abc-g1']);
  });

  it('honours Retry-After on 429 for every method, pausing the shared gate', async () => {
    const times: number[] = [];
    const s = await serve((_req, res, n) => {
      times.push(Date.now());
      if (n === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'rate_limit_exceeded', message: 'slow down' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { session_id: 's1', status: 'thinking', created_at: 1 } }));
    });
    const gate = new RateGate();
    const client = new HeyGenClient({ baseUrl: s.url, apiKey: 'k', retry: fast, gate });
    const outcome = await client.createSession({ prompt: 'p' });
    expect(outcome.kind).toBe('ok');
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('sends the key only as x-api-key and treats a non-null error envelope as failure', async () => {
    const seen: Array<string | undefined> = [];
    const s = await serve((req, res) => {
      seen.push(req.headers['x-api-key'] as string | undefined);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: {}, error: { code: 'conflict', message: 'nope' } }));
    });
    const client = new HeyGenClient({ baseUrl: s.url, apiKey: 'secret-key', retry: fast });
    const outcome = await client.me();
    expect(outcome).toMatchObject({ kind: 'error', code: 'conflict' });
    expect(seen).toEqual(['secret-key']);
  });

  it('throws CancelledError when the run is aborted', async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const client = new HeyGenClient({ baseUrl: s.url, apiKey: 'k', signal: controller.signal, retry: fast });
    const pending = client.getVideo('v1');
    // Abort once the request has arrived (a fixed 50 ms was too short on a loaded machine).
    for (let i = 0; i < 500 && s.hits() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    expect(s.hits()).toBe(1);
  });
});
