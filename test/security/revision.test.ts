import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { emulatorPerTest } from '../helpers/emulator.js';
import { readLockJson } from '../helpers/project.js';

/** A chat revision whose answer was lost is held back across builds: the state lives in the lock. */
const emulators = emulatorPerTest();

const manifest = `version: 1
videos:
  teaser:
    mode: agent
    prompt: A 20-second teaser announcing Acme 2.0.
    review: true
    revisions:
      - Make the intro shorter.
      - End with the URL.
    approved: true
`;

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('a revision whose answer was lost', () => {
    it('is not followed by the next revision or the approval after Ctrl-C', async () => {
      const { dir, emu } = await emulators.setup({ 'videos/a.yaml': manifest });
      const sends = (): number => emu.requests().filter((r) => r.method === 'POST' && /^\/v3\/video-agents\/[^/]+$/.test(r.path)).length;
      // The first revision's send is dropped before the agent sees it: the answer never comes.
      emu.inject({ method: 'POST', path: '/v3/video-agents/', kind: 'reset' });
      const first = spawnCli(['build'], dir, cliEnv(emu));
      await waitFor(() => /may not have reached the agent/.test(first.stdout()) || sends() >= 1);
      await waitFor(async () => ((await readLockJson(dir)).videos.teaser as { messages_sent?: string[] } | undefined)?.messages_sent?.length === 1);
      first.child.kill('SIGINT');
      await first.done;
      expect(sends()).toBe(1);

      const second = await runCli(['build'], dir, cliEnv(emu));
      // Held back: neither the second revision nor the approval went out, and nothing rendered.
      expect(sends()).toBe(1);
      expect(second.stdout).toMatch(/did not take the last message/);
      const lock = await readLockJson(dir);
      expect(lock.videos.teaser?.status).toBe('awaiting_review');
      expect((lock.videos.teaser as { messages_sent?: string[] } | undefined)?.messages_sent).toHaveLength(1);
      expect(lock.videos.teaser?.output).toBeUndefined();
    });
  });
});
