// The exactly-once guarantees under every way the live HeyGen API may behave: the same build —
// direct entries, a generate agent, a chat agent with an approval, one lost answer of each create
// kind — runs against the emulator with each behaviour switched on, and must end with one render
// per entry, no hang (the deadline holds) and a clear outcome for every entry; a second build
// sends nothing.
import { describe, expect, it } from 'vitest';
import type { Behaviours } from '../../src/emulator/index.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { allVideos, countByTag, emulatorPerTest } from '../helpers/emulator.js';
import { readLockJson } from '../helpers/project.js';

const { setup } = emulatorPerTest();

const MANIFEST = [
  'version: 1',
  'defaults:',
  '  avatar: Daisy-inskirt-20220818',
  '  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
  'videos:',
  '  d1:',
  '    script: The first direct video.',
  '  d2:',
  '    script: The second direct video.',
  '  d3:',
  '    script: The third direct video.',
  '  gen:',
  '    mode: agent',
  '    prompt: A 20-second teaser made in one go.',
  '  chat:',
  '    mode: agent',
  '    prompt: A 20-second teaser reviewed first.',
  '    review: true',
  '    approved: true',
  '',
].join('\n');

const MATRIX: Array<[string, Partial<Behaviours>]> = [
  ['HeyGen as observed (the defaults)', {}],
  ['agent video_id only once rendering', { agentVideoAtCreate: false }],
  ['bulk statuses lag behind', { statusLagSeconds: 3600 }],
  ['bulk statuses keep failing', { statusesFailing: true }],
  ['session listing lags, errors are not replayed', { sessionListLagSeconds: 0.4, replayErrors: false }],
  ['chat sessions render without approval', { chatAutoProceed: true }],
];

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe.each(MATRIX)('exactly once when %s', (_name, behaviours) => {
    it('renders every entry once, with a clear outcome each, and a second build sends nothing', async () => {
      const { dir, emu } = await setup({ 'videos/all.yaml': MANIFEST }, { behaviours });
      // One lost answer of each kind of create: the work is done, the answer never arrives.
      emu.inject({ method: 'POST', path: '/v3/videos', kind: 'reset-after' });
      emu.inject({ method: 'POST', path: '/v3/video-agents', kind: 'reset-after' });

      const run = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(run.code, run.stdout + run.stderr).toBe(0);
      for (const id of ['d1', 'd2', 'd3', 'gen', 'chat']) expect(run.stdout).toMatch(new RegExp(`${id}\\s+create\\s+completed`));

      const lock = await readLockJson(dir);
      expect(Object.values(lock.videos).every((v) => v.status === 'completed')).toBe(true);
      // One paid render per direct entry (each tag once), one session per agent entry.
      const tags = countByTag(await allVideos(emu));
      expect(tags.size).toBe(3);
      expect([...tags.values()]).toEqual([1, 1, 1]);
      const sessions = emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/video-agents');
      expect(sessions).toHaveLength(2);
      // The chat entry: approved once, or — when the agent did not wait — recorded as unreviewed.
      const chat = lock.videos.chat as { unreviewed?: boolean; session_id?: string };
      const messages = emu.requests().filter((r) => r.method === 'POST' && r.path === `/v3/video-agents/${chat.session_id}`);
      if (behaviours.chatAutoProceed) {
        expect(chat.unreviewed).toBe(true);
        expect(messages).toHaveLength(0);
      } else {
        expect(chat.unreviewed).toBeUndefined();
        expect(messages).toHaveLength(1);
      }

      const before = emu.requests().filter((r) => r.method === 'POST').length;
      const again = await runCli(['build', '--deadline', '1'], dir, cliEnv(emu));
      expect(again.code).toBe(0);
      expect(emu.requests().filter((r) => r.method === 'POST').length).toBe(before);
    });
  });
});
