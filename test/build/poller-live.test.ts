// The status poller against the emulator's live-API behaviours: a bulk read model that does not
// know young ids, a bulk endpoint that keeps failing, and a render that never ends (API.md §2.6).
import { describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { HeyGenClient, LOCAL_RETRY } from '../../src/heygen/client.js';
import { FALLBACK_READ_CONCURRENCY, LOCAL_SCHEDULE, StatusPoller, YOUNG_MS } from '../../src/build/poller.js';
import { emulators } from '../helpers/emulator.js';

const KEY = 'poller-key';
// Closed after the file: the tests run side by side.
const start = emulators({ renderSeconds: 0.3 }, 'file');

async function setup(options: EmulatorOptions = {}) {
  const emu = await start(options);
  const client = new HeyGenClient({ baseUrl: emu.url, apiKey: KEY, retry: { ...LOCAL_RETRY, maxRetries: 0 } });
  const poller = new StatusPoller(client, LOCAL_SCHEDULE, new AbortController().signal);
  const create = async (script = 'Hello there.'): Promise<string> => {
    const out = await client.createVideo({ type: 'avatar', avatar_id: 'Daisy-inskirt-20220818', script }, `k-${Math.random().toString(16).slice(2)}`);
    if (out.kind !== 'ok') throw new Error(JSON.stringify(out));
    return out.value.video_id;
  };
  return { emu, client, poller, create };
}

// Each test has its own emulator and mostly waits: they run side by side.
describe.concurrent('StatusPoller on the live API', () => {
  it('a young video the bulk endpoint calls not_found is still starting, and completes', async () => {
    const { poller, create } = await setup({ behaviours: { statusLagSeconds: 3600 } });
    const id = await create();
    await expect(poller.wait(id, Date.now(), false)).resolves.toEqual({ status: 'completed' });
    expect(poller.videoReads).toBeGreaterThan(0);
  });

  it('not_found is believed only when GET /v3/videos/{id} says 404 for a video older than a few minutes', async () => {
    const { emu, poller, create } = await setup({ behaviours: { statusLagSeconds: 3600 } });
    const id = await create();
    await fetch(`${emu.url}/v3/videos/${id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
    // Submitted (per the lock) long ago: the 404 is proof.
    await expect(poller.wait(id, Date.now() - YOUNG_MS - 1000, false)).resolves.toEqual({ status: 'not_found' });
    const gets = emu.requests().filter((r) => r.method === 'GET' && r.path === `/v3/videos/${id}`);
    expect(gets.length).toBeGreaterThan(0);
  });

  it('a deleted video submitted a moment ago is not declared gone: the deadline ends the wait unconfirmed', async () => {
    const { emu, poller, create } = await setup();
    const id = await create();
    await fetch(`${emu.url}/v3/videos/${id}`, { method: 'DELETE', headers: { 'x-api-key': KEY } });
    const terminal = await poller.wait(id, Date.now(), false, Date.now() + 800);
    expect(terminal).toMatchObject({ status: 'unconfirmed' });
  });

  it('falls back to one GET per video when the bulk endpoint keeps failing', async () => {
    const { emu, poller, create } = await setup({ behaviours: { statusesFailing: true } });
    const ids = await Promise.all([create(), create('Second one.')]);
    const results = await Promise.all(ids.map((id) => poller.wait(id, Date.now(), false, Date.now() + 20_000)));
    expect(results).toEqual([{ status: 'completed' }, { status: 'completed' }]);
    const bulk = emu.requests().filter((r) => r.path === '/v3/videos/statuses');
    expect(bulk.length).toBeGreaterThanOrEqual(3);
    expect(bulk.every((r) => r.status === 500)).toBe(true);
    expect(poller.videoReads).toBeGreaterThanOrEqual(2);
  });

  it('falls back with bounded concurrency: the reads of a tick run side by side, each video completes once, 429s are waited out', async () => {
    const { emu, client, create } = await setup({ behaviours: { statusesFailing: true } });
    // The real client over HTTP, counting its per-video reads in flight.
    let inFlight = 0;
    let most = 0;
    const reads = new Map<string, number>();
    const getVideo = client.getVideo.bind(client);
    client.getVideo = async (id, ...rest) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      reads.set(id, (reads.get(id) ?? 0) + 1);
      try {
        return await getVideo(id, ...rest);
      } finally {
        inFlight -= 1;
      }
    };
    const poller = new StatusPoller(client, LOCAL_SCHEDULE, new AbortController().signal);
    const count = FALLBACK_READ_CONCURRENCY * 2 + 3;
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => create(`Video number ${i}.`)));
    emu.inject({ method: 'GET', path: '/v3/videos/', kind: 'http-429', times: 2 });
    const settled = new Map<string, number>();
    const results = await Promise.all(
      ids.map(async (id) => {
        const terminal = await poller.wait(id, Date.now(), false, Date.now() + 30_000);
        settled.set(id, (settled.get(id) ?? 0) + 1);
        return terminal;
      }),
    );
    expect(results).toEqual(ids.map(() => ({ status: 'completed' })));
    expect([...settled.values()]).toEqual(ids.map(() => 1));
    expect(emu.requests().filter((r) => r.method === 'GET' && r.status === 429)).toHaveLength(2);
    // Side by side, never more than the named limit.
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(FALLBACK_READ_CONCURRENCY);
    // Every video was read one by one (the bulk endpoint never answered).
    expect([...reads.keys()].sort()).toEqual([...ids].sort());
  });

  it('a render that never ends leaves the wait at its deadline, unconfirmed, with the last status', async () => {
    const { poller, create } = await setup({ renderSeconds: 600 });
    const id = await create();
    const terminal = await poller.wait(id, Date.now(), false, Date.now() + 1000);
    expect(terminal.status).toBe('unconfirmed');
    expect(terminal).toHaveProperty('lastStatus');
  });
});
