// A lost create is reconciled against HeyGen's clock, never this machine's: a clock that is off
// (a laptop without NTP, a CI runner with a bad clock, a VM after suspend) must not cost a second
// render. HeyGen's clock is played by the emulator's `clockSkewSeconds` and `dateHeader`
// behaviours (docs/emulator.md); the CLI runs against it over HTTP.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Emulator, ManualClock } from '../../src/emulator/index.js';
import { HeyGenClient } from '../../src/heygen/client.js';
import { cliEnv, KEY, runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { allVideos, apiGet, countByTag, creates, emulatorPerTest, whileTicking } from '../helpers/emulator.js';
import { directManifest, readLockJson } from '../helpers/project.js';

const { setup } = emulatorPerTest();

const HOUR_MS = 3600_000;
const PROMPT = 'A 20-second tour of the Acme dashboard for new users.';
const agentManifest = ['version: 1', 'videos:', '  tour:', '    mode: agent', `    prompt: ${PROMPT}`, '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54', ''].join('\n');
const ENV = { REEL_POLL_MS: '20,10,50' };

/**
 * HeyGen's clock against this machine's, whether its answers say what time it is, and whether the
 * lock was written by a reel that recorded HeyGen's time of the submit (`submitted_at_heygen`).
 */
const CLOCKS = [
  ['an hour ahead, with a Date header', { clockSkewSeconds: 3600, dateHeader: true }, 'recorded'],
  ['an hour behind, with a Date header', { clockSkewSeconds: -3600, dateHeader: true }, 'recorded'],
  ['an hour ahead, without a Date header', { clockSkewSeconds: 3600, dateHeader: false }, 'unknown'],
  ['an hour behind, without a Date header', { clockSkewSeconds: -3600, dateHeader: false }, 'unknown'],
  ['an hour behind, with a Date header, and a lock from before submitted_at_heygen', { clockSkewSeconds: -3600, dateHeader: true }, 'legacy'],
] as const;
type HeyGenTime = (typeof CLOCKS)[number][2];

async function sessionIds(emu: Emulator): Promise<string[]> {
  return (await apiGet<{ data: Array<{ session_id: string }> }>(`${emu.url}/v3/video-agents?limit=100`)).data.map((s) => s.session_id);
}

/**
 * Starts a build whose one create (`path`) HeyGen holds, and kills it once the create has left:
 * HeyGen goes on to make the video or session, reel never hears of it. Resolves once it exists.
 */
async function killWhileCreating(emu: Emulator, dir: string, path: string, made: () => Promise<boolean>): Promise<void> {
  const before = creates(emu, path);
  emu.inject({ method: 'POST', path, kind: 'slow-after', delayMs: 2000 });
  const build = spawnCli(['build'], dir, cliEnv(emu, ENV));
  await waitFor(() => creates(emu, path) > before);
  build.child.kill('SIGKILL');
  expect((await build.done).signal).toBe('SIGKILL');
  await waitFor(made);
}

/** The lock as a later run finds it after `edit`: reel.lock is plain JSON in git. */
async function editLock(dir: string, edit: (entry: Record<string, unknown>) => void): Promise<void> {
  const file = join(dir, 'reel.lock');
  const lock = JSON.parse(await readFile(file, 'utf8')) as { videos: Record<string, Record<string, unknown>> };
  for (const entry of Object.values(lock.videos)) edit(entry);
  await writeFile(file, `${JSON.stringify(lock, null, 2)}\n`);
}

/**
 * The intent the killed build left records HeyGen's time of the submit when HeyGen told it, and
 * nothing when it did not; a lock of an older reel has none either.
 */
async function checkIntent(dir: string, heygenNow: number, time: HeyGenTime): Promise<void> {
  let intent: Record<string, unknown> = {};
  await editLock(dir, (entry) => {
    intent = { ...entry };
    if (time === 'legacy') delete entry.submitted_at_heygen;
  });
  expect(intent.status).toBe('submitted');
  if (time === 'unknown') {
    expect(intent.submitted_at_heygen).toBeUndefined();
    return;
  }
  // HeyGen's time, not this machine's an hour away: read from the preflight's Date header (whole
  // seconds), while the emulator's clock stood still and this machine's went on for a moment.
  expect(Math.abs(Date.parse(String(intent.submitted_at_heygen)) - heygenNow)).toBeLessThan(60_000);
}

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe.each(CLOCKS)("HeyGen's clock %s", (_name, behaviours, time) => {
    const heygenNow = (clock: ManualClock): number => clock.now() + behaviours.clockSkewSeconds * 1000;

    it('a build killed while its agent create is in flight resumes by adopting that session, not an older one, and creates none', async () => {
      const clock = new ManualClock();
      const { dir, emu } = await setup({ 'videos/a.yaml': agentManifest }, { clock, behaviours });
      // Half an hour earlier someone made a session with the same prompt that this lock does not own
      // (another branch's build, say): it must not be mistaken for this build's.
      const decoy = (await (
        await fetch(`${emu.url}/v3/video-agents`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: PROMPT }) })
      ).json()) as { data: { session_id: string } };
      clock.advance(HOUR_MS / 2);

      await killWhileCreating(emu, dir, '/v3/video-agents', async () => (await sessionIds(emu)).length === 2);
      const made = (await sessionIds(emu)).find((id) => id !== decoy.data.session_id);
      await checkIntent(dir, heygenNow(clock), time);

      const resumed = await whileTicking(clock, () => runCli(['build'], dir, cliEnv(emu, ENV)), 25);
      expect(resumed.stderr).toMatch(/^(reel: took over.*\n)?$/);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/found among recent agent sessions/);
      expect(readLockJson(dir).videos.tour).toMatchObject({ status: 'completed', session_id: made });
      expect(await sessionIds(emu)).toHaveLength(2);
    });

    it('a direct create whose answer was lost, resumed past the replay window, adopts the tagged video instead of rendering again', async () => {
      const clock = new ManualClock();
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) }, { clock, behaviours });
      await killWhileCreating(emu, dir, '/v3/videos', async () => (await allVideos(emu)).length === 1);
      await checkIntent(dir, heygenNow(clock), time);
      // A day later by HeyGen's clock, past its 24 h Idempotency-Key replay: only the title tag still
      // finds the video. The lock says 22.5 h: the runner that wrote it ran two hours fast.
      await editLock(dir, (entry) => {
        entry.submitted_at = new Date(Date.now() - 22.5 * HOUR_MS).toISOString();
      });
      clock.advance(24.5 * HOUR_MS);

      const resumed = await whileTicking(clock, () => runCli(['build'], dir, cliEnv(emu, ENV)), 25);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(readLockJson(dir).videos.v001?.status).toBe('completed');
      expect([...countByTag(await allVideos(emu)).values()]).toEqual([1]);
    });
  });

  describe("a resumed render counts its age by HeyGen's clock", () => {
    it('a video HeyGen no longer knows is recorded gone, though the lock was written by a clock two hours fast', async () => {
      const clock = new ManualClock();
      const { dir, emu } = await setup({ 'videos/a.yaml': directManifest(1) }, { clock, behaviours: { clockSkewSeconds: -3600 } });
      // The emulator's clock stands still, so the render is still going when the build is killed.
      const build = spawnCli(['build'], dir, cliEnv(emu, ENV));
      await waitFor(async () => /"video_id"/.test(await readFile(join(dir, 'reel.lock'), 'utf8').catch(() => '')));
      build.child.kill('SIGKILL');
      await build.done;
      const videoId = readLockJson(dir).videos.v001?.video_id as string;
      await (await fetch(`${emu.url}/v3/videos/${videoId}`, { method: 'DELETE', headers: { 'x-api-key': KEY } })).body?.cancel();
      // Ten minutes later by HeyGen's clock; the lock's own time says the submit is two hours ahead.
      clock.advance(10 * 60_000);
      await editLock(dir, (entry) => {
        entry.submitted_at = new Date(Date.now() + 2 * HOUR_MS).toISOString();
      });

      // By the lock's time the video is not five minutes old, and would be "still starting" until the
      // deadline; by HeyGen's it is ten minutes old, and its 404 is believed.
      const resumed = await runCli(['build', '--deadline', '0.1'], dir, cliEnv(emu, ENV));
      expect(resumed.code).toBe(1);
      expect(readLockJson(dir).videos.v001).toMatchObject({ status: 'failed', failure: { code: 'not_found' } });
    });
  });

  describe("the emulator's skewed clock, and what the client learns from it", () => {
    it("stamps created_at and the Date header with HeyGen's time, and the client reads HeyGen's time from it", async () => {
      const clock = new ManualClock(Date.parse('2026-06-01T12:00:00.000Z'));
      const { emu } = await setup({}, { clock, behaviours: { clockSkewSeconds: -5400 } });
      const answer = await fetch(`${emu.url}/v3/video-agents`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: PROMPT }) });
      expect(answer.headers.get('date')).toBe('Mon, 01 Jun 2026 10:30:00 GMT');
      expect(((await answer.json()) as { data: { created_at: number } }).data.created_at).toBe(Date.parse('2026-06-01T10:30:00Z') / 1000);

      const client = new HeyGenClient({ baseUrl: emu.url, apiKey: KEY });
      expect(client.clock.now()).toBeUndefined();
      expect((await client.me()).kind).toBe('ok');
      expect(Math.abs((client.clock.now() as number) - Date.parse('2026-06-01T10:30:00Z'))).toBeLessThan(60_000);
    });

    it("answers without a Date header when told, and the client then does not claim to know HeyGen's time", async () => {
      const { emu } = await setup({}, { behaviours: { dateHeader: false } });
      const answer = await fetch(`${emu.url}/v3/users/me`, { headers: { 'x-api-key': KEY } });
      expect(answer.headers.has('date')).toBe(false);
      await answer.body?.cancel();
      const client = new HeyGenClient({ baseUrl: emu.url, apiKey: KEY });
      expect((await client.me()).kind).toBe('ok');
      expect(client.clock.now()).toBeUndefined();
    });

    it('`reel emulator --clock-skew -3600 --no-date-header` plays that HeyGen', async () => {
      const cli = spawnCli(['emulator', '--port', '0', '--clock-skew', '-3600', '--no-date-header'], undefined, {});
      try {
        const url = /listening on (\S+)/.exec(await cli.waitFor(/listening on \S+\n/))?.[1] as string;
        const answer = await fetch(`${url}/v3/video-agents`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ prompt: PROMPT }) });
        expect(answer.headers.has('date')).toBe(false);
        const created = ((await answer.json()) as { data: { created_at: number } }).data.created_at;
        expect(Math.abs(created - (Date.now() / 1000 - 3600))).toBeLessThan(60);
        await waitFor(() => /clockSkewSeconds=-3600, dateHeader=false/.test(cli.stderr()));
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });
  });
});
