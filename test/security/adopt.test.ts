import { describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.js';
import { apiGet, emulatorPerTest } from '../helpers/emulator.js';
import { readLockJson } from '../helpers/project.js';
import type { Emulator } from '../../src/emulator/index.js';

/** A lost agent create is adopted by one entry at most, and only when the session is surely its own. */
const emulators = emulatorPerTest();

async function sessionIds(emu: Emulator): Promise<string[]> {
  const body = await apiGet<{ data: Array<{ session_id: string }> }>(`${emu.url}/v3/video-agents?limit=100`);
  return body.data.map((s) => s.session_id);
}

const twoOrientations = `version: 1
videos:
  tour-wide:
    mode: agent
    prompt: A 20-second product tour.
    orientation: landscape
  tour-tall:
    mode: agent
    prompt: A 20-second product tour.
    orientation: portrait
`;

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('adopting agent sessions', () => {
    it('two entries with one prompt whose creates are both lost never share a session and never create twice', async () => {
      const { dir, emu } = await emulators.setup({ 'videos/a.yaml': twoOrientations });
      emu.inject({ method: 'POST', path: '/v3/video-agents', kind: 'reset-after', times: 2 });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/same prompt with other settings/);
      expect(await sessionIds(emu)).toHaveLength(2);
      const lock = await readLockJson(dir);
      const held = Object.values(lock.videos).flatMap((v) => (v.session_id ? [v.session_id] : []));
      expect(new Set(held).size).toBe(held.length);
      // Building again still neither guesses nor pays again.
      const again = await runCli(['build'], dir, cliEnv(emu));
      expect(again.code).toBe(1);
      expect(await sessionIds(emu)).toHaveLength(2);
    });

    it('entries with different prompts whose creates are lost each adopt their own session', async () => {
      const { dir, emu } = await emulators.setup({
        'videos/a.yaml': twoOrientations.replace('prompt: A 20-second product tour.\n    orientation: portrait', 'prompt: A 20-second product tour, vertical.\n    orientation: portrait'),
      });
      emu.inject({ method: 'POST', path: '/v3/video-agents', kind: 'reset-after', times: 2 });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lock = await readLockJson(dir);
      const held = Object.values(lock.videos).map((v) => v.session_id);
      expect(new Set(held).size).toBe(2);
      expect((await sessionIds(emu)).sort()).toEqual([...held].sort());
    });
  });
});
