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
