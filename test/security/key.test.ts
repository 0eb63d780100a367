import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { directManifest, project, removedAfterAll } from '../helpers/project.js';

/** Where the API key may go: only to the API named as trusted as the key, never along a redirect. */
const dirs = removedAfterAll();

interface Seen {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
}
interface Tiny {
  url: string;
  seen: Seen[];
  close: () => Promise<void>;
}
const servers: Tiny[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
let emulator: Emulator | undefined;
afterAll(async () => {
  await emulator?.close();
});

/** A tiny local HTTP server answering with `handle`; every request it sees is recorded. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}
async function tiny(handle: (req: IncomingMessage, body: string, self: string) => Promise<Answer>): Promise<Tiny> {
  const seen: Seen[] = [];
  let self = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', key: req.headers['x-api-key'] as string | undefined, body });
      void handle(req, body, self).then((answer) => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  self = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const t: Tiny = {
    url: self,
    seen,
    close: () =>
      new Promise((resolve) => {
        // reel's fetch keeps connections alive; close() alone would wait for them to time out.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(t);
  return t;
}

const thief = (): Promise<Tiny> => tiny(async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{},"error":null}' }));

async function dir(files: Record<string, string> = {}): Promise<string> {
  const d = await project({ 'videos/a.yaml': directManifest(2), ...files });
  dirs.push(d);
  return d;
}

describe('redirects', () => {
  it.each([[307], [308], [302], [301]])('a %i to another origin is not followed with the key or the body', async (status) => {
    const other = await thief();
    const api = await tiny(async (req) => ({ status, headers: { location: `${other.url}${req.url ?? '/'}` } }));
    const d = await dir();
    for (const args of [['build'], ['validate', '--remote']]) {
      const r = await runCli(args, d, cliEnv(undefined, { HEYGEN_API_URL: api.url, HEYGEN_API_KEY: KEY }));
      expect(r.code).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`answered ${status}, redirecting to http://127\\.0\\.0\\.1:\\d+; reel follows redirects only within ${api.url.replace(/\./g, '\\.')}`));
      expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    }
    expect(api.seen.length).toBeGreaterThan(0);
    expect(other.seen).toEqual([]);
  });

  it('a redirect within the API origin is followed, and the build completes', async () => {
    emulator ??= await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY });
    const target = emulator.url;
    // Every API path moves under /moved/ (308 keeps the method and body); /moved/… is proxied to the emulator.
    const api = await tiny(async (req, body, self): Promise<Answer> => {
      const url = req.url ?? '/';
      if (!url.startsWith('/moved/')) return { status: 308, headers: { location: `${self}/moved${url}` } };
      const headers: Record<string, string> = {};
      for (const name of ['x-api-key', 'content-type', 'idempotency-key']) if (req.headers[name]) headers[name] = String(req.headers[name]);
      const res = await fetch(`${target}${url.slice('/moved'.length)}`, { method: req.method, headers, body: body === '' ? undefined : body });
      const text = (await res.text()).replaceAll(target, self);
      return { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' }, body: text };
    });
    const d = await dir();
    const r = await runCli(['build', '--no-download'], d, cliEnv(undefined, { HEYGEN_API_URL: api.url, HEYGEN_API_KEY: KEY }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(api.seen.filter((s) => s.method === 'POST' && s.url === '/moved/v3/videos')).toHaveLength(2);
  });
});

describe('which API the key may go to', () => {
  it('a project .env naming another API never receives the key from the shell', async () => {
    const other = await thief();
    const d = await dir({ '.env': `HEYGEN_API_URL=${other.url}\n` });
    for (const args of [['build'], ['validate', '--remote']]) {
      const r = await runCli(args, d, cliEnv(undefined, { HEYGEN_API_KEY: KEY }));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`HEYGEN_API_URL comes from the project's .env (${other.url}) but HEYGEN_API_KEY from your environment`);
      expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    }
    // status asks HeyGen only about videos in the lock.
    await writeFile(
      join(d, 'reel.lock'),
      JSON.stringify({
        lockfileVersion: 1,
        assets: {},
        videos: { v001: { fingerprint: 'a'.repeat(64), mode: 'direct', status: 'completed', generation: 1, fields: {}, video_id: 'vid1', api: other.url, updated_at: '2026-01-01T00:00:00.000Z' } },
      }),
    );
    const status = await runCli(['status'], d, cliEnv(undefined, { HEYGEN_API_KEY: KEY }));
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('HEYGEN_API_URL comes from the project');
    expect(other.seen).toEqual([]);
  });

  it('a key and an API both from .env may be used, and the API is named first', async () => {
    const api = await thief();
    const d = await dir({ '.env': `HEYGEN_API_URL=${api.url}\nHEYGEN_API_KEY=${KEY}\n` });
    const r = await runCli(['validate', '--remote'], d, cliEnv(undefined));
    expect(r.stderr.split('\n')[0]).toBe(`reel: using the API at ${api.url} (HEYGEN_API_URL in .env), not HeyGen's https://api.heygen.com`);
    expect(api.seen.length).toBeGreaterThan(0);
    const build = await runCli(['build', '--no-download'], d, cliEnv(undefined));
    expect(build.stdout.split('\n')[0]).toMatch(new RegExp(`using the API at ${api.url.replace(/\./g, '\\.')} \\(HEYGEN_API_URL in \\.env\\)`));
  });

  it('an empty HEYGEN_API_URL is an error, not production', async () => {
    const d = await dir();
    const r = await runCli(['build'], d, cliEnv(undefined, { HEYGEN_API_URL: '', HEYGEN_API_KEY: KEY }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HEYGEN_API_URL is set but empty');
  });

  it('credentials in HEYGEN_API_URL are refused and never echoed', async () => {
    const api = await thief();
    const d = await dir();
    const url = api.url.replace('http://', 'http://admin:hunter2-secret@');
    for (const args of [['build'], ['plan'], ['validate', '--remote']]) {
      const r = await runCli(args, d, cliEnv(undefined, { HEYGEN_API_URL: url, HEYGEN_API_KEY: KEY }));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('must not contain credentials');
      expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2');
    }
    expect(api.seen).toEqual([]);
  });
});
