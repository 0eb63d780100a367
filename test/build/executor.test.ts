import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../src/build/events.js';
import { runBuild } from '../../src/build/executor.js';
import { LOCAL_SCHEDULE } from '../../src/build/poller.js';
import { HeyGenClient } from '../../src/heygen/client.js';
import { openLock } from '../../src/lock/index.js';
import { loadProject } from '../../src/manifest/index.js';
import { plan } from '../../src/plan/index.js';
import { directManifest, project } from '../helpers/project.js';

/**
 * HeyGen answers the emulator does not produce on demand (402 insufficient_credit, 400 with a
 * param) come from a tiny scripted server; the executor runs in-process against it.
 */
describe('runBuild and refused creates', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    server?.closeAllConnections(); // kept alive by fetch: close() alone would wait them out
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function refuseWith(status: number, error: Record<string, string>): Promise<{ events: BuildEvent[]; lock: Record<string, unknown> }> {
    server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error }));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
    dir = await project({ 'videos/a.yaml': directManifest(1) });
    const loaded = await loadProject(dir);
    const store = await openLock(dir);
    const events: BuildEvent[] = [];
    const controller = new AbortController();
    try {
      await runBuild({
        root: dir,
        plan: plan(loaded.entries, store.data),
        store,
        api: url,
        outDir: join(dir, 'out'),
        download: true,
        prune: false,
        concurrency: 2,
        titleTag: true,
        schedule: LOCAL_SCHEDULE,
        signal: controller.signal,
        emit: (e) => events.push(e),
        approvalMessage: 'Approved.',
        client: new HeyGenClient({ baseUrl: url, apiKey: 'k', retry: { maxRetries: 0, baseDelayMs: 1 } }),
      });
    } finally {
      await store.close();
    }
    return { events, lock: { ...store.data.videos } };
  }

  it('records a request refused as invalid as a failed render, with HeyGen’s code and param', async () => {
    const { events, lock } = await refuseWith(400, { code: 'invalid_parameter', message: 'voice_id not found', param: 'voice_id' });
    expect(events.find((e) => e.type === 'result')).toMatchObject({ job: { result: 'failed', code: 'invalid_parameter', message: 'voice_id not found (voice_id)' } });
    expect(lock.v001).toMatchObject({ status: 'failed', failure: { code: 'invalid_parameter' } });
  });

  it('records nothing when the account is refused (402), so the next build tries again', async () => {
    const { events, lock } = await refuseWith(402, { code: 'insufficient_credit', message: 'Top up your wallet.' });
    expect(events.find((e) => e.type === 'result')).toMatchObject({ job: { result: 'failed', code: 'insufficient_credit' } });
    expect(lock).toEqual({});
  });
});

/**
 * A job waits for a render slot with its intent already durable (prepared while waiting); a build
 * aborted before the slot frees must give that intent back, since its create never left.
 */
describe('runBuild aborted while jobs wait for a slot', () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves the lock without the intent of a prepared job whose create never left', async () => {
    const creates: string[] = [];
    // Creates are held unanswered: the first job keeps the only slot until the build is aborted.
    server = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/v3/videos') {
        creates.push(req.headers['idempotency-key'] as string);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no' } }));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server?.address() as AddressInfo).port}`;
    dir = await project({ 'videos/a.yaml': directManifest(3) });
    const loaded = await loadProject(dir);
    const store = await openLock(dir);
    const events: BuildEvent[] = [];
    const controller = new AbortController();
    try {
      const build = runBuild({
        root: dir,
        plan: plan(loaded.entries, store.data),
        store,
        api: url,
        outDir: join(dir, 'out'),
        download: false,
        prune: false,
        concurrency: 1,
        titleTag: true,
        schedule: LOCAL_SCHEDULE,
        signal: controller.signal,
        emit: (e) => events.push(e),
        approvalMessage: 'Approved.',
        client: new HeyGenClient({ baseUrl: url, apiKey: 'k', signal: controller.signal, retry: { maxRetries: 0, baseDelayMs: 1 } }),
      });
      // One job in the slot with its create sent; the next prepared (intent in the lock) and waiting.
      while (creates.length === 0 || store.data.videos.v002 === undefined) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      const result = await build;
      expect(result.cancelled).toBe(true);
    } finally {
      await store.close();
    }
    expect(creates).toHaveLength(1);
    // The job whose create left keeps its intent (HeyGen may have it); the others leave no trace.
    expect(Object.keys(store.data.videos)).toEqual(['v001']);
    const results = events.flatMap((e) => (e.type === 'result' ? [e.job] : []));
    expect(results.filter((j) => j.id !== 'v001').map((j) => [j.id, j.result])).toEqual([
      ['v002', 'cancelled'],
      ['v003', 'cancelled'],
    ]);
  });
});
