import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG, type Emulator } from '../../src/emulator/index.js';
import { pickCandidate } from '../../src/commands/eject.js';
import { cliEnv, type Env, runCli } from '../helpers/cli.js';
import { creates, emulatorPerTest } from '../helpers/emulator.js';
import { readLockJson } from '../helpers/project.js';

/**
 * Explore with the agent, pin as direct, end to end through the CLI against a standalone emulator
 * (an in-process one behind HEYGEN_API_URL, so the session outlives each `reel` process). The
 * emulator's `agentResources` switch decides how much the session tells: ids, preview URLs only,
 * or nothing.
 */

const MANIFEST = [
  'version: 1',
  'videos:',
  '  # Explored with the agent.',
  '  teaser:',
  '    mode: agent',
  '    title: Acme 2.0 teaser',
  '    prompt: A 20-second teaser announcing Acme 2.0.',
  '    orientation: portrait',
  '  # A hand-written video that must stay exactly as it is.',
  '  intro:',
  '    avatar: Daisy-inskirt-20220818',
  '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
  '    script: Welcome!   # keep me',
  '',
].join('\n');

const LOOKS = new Set(BUILTIN_CATALOG.looks.map((l) => l.id));
const VOICES = new Set(BUILTIN_CATALOG.voices.map((v) => v.voice_id));

function field(text: string, id: string, name: string): string | undefined {
  const block = text.slice(text.indexOf(`  ${id}:\n`));
  return new RegExp(`\\n    ${name}: ([^\\s#]+)`).exec(block)?.[1];
}

const { setup } = emulatorPerTest();

async function built(agentResources: 'ids' | 'no-ids' | 'hidden'): Promise<{ dir: string; env: Env; emu: Emulator }> {
  const { dir, emu } = await setup({ 'videos/launch.yaml': MANIFEST }, { agentResources });
  const env = cliEnv(emu);
  const build = await runCli(['build'], dir, env);
  expect(build.code).toBe(0);
  expect(readLockJson(dir).videos.teaser?.status).toBe('completed');
  return { dir, env, emu };
}

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('reel eject against the emulator', () => {
    it('resources with ids: a complete direct entry from the catalog, the project valid, its first render planned and built once', async () => {
      const { dir, env, emu } = await built('ids');
      const eject = await runCli(['eject', 'teaser'], dir, env);
      expect(eject.stderr).toBe('');
      expect(eject.code).toBe(0);
      expect(eject.stdout).toMatch(/avatar: \S+ \(.+\), from session resource res_avatar_\w+ \(metadata\.avatar_id\)/);
      expect(eject.stdout).toMatch(/voice: \S+ \(.+\), from session resource res_voice_\w+ \(metadata\.voice_id\)/);
      expect(eject.stdout).toMatch(/script: \d+ characters, from storyboard draft resource/);

      const ejected = await readFile(join(dir, 'videos/launch.ejected.yaml'), 'utf8');
      expect(LOOKS.has(field(ejected, 'teaser-direct', 'avatar')!)).toBe(true);
      expect(VOICES.has(field(ejected, 'teaser-direct', 'voice')!)).toBe(true);
      expect(ejected).not.toContain('draft: true');
      // The original manifest only gains a comment line above the agent entry.
      expect(await readFile(join(dir, 'videos/launch.yaml'), 'utf8')).toBe(MANIFEST.replace('  teaser:\n', '  # Pinned as teaser-direct in launch.ejected.yaml by `reel eject`.\n  teaser:\n'));

      const valid = await runCli(['validate'], dir, env);
      expect(valid.stdout).toContain('3 videos in 2 files: valid (2 direct, 1 agent)');
      expect(valid.code).toBe(0);
      const plan = await runCli(['plan'], dir, env);
      expect(plan.stdout).toMatch(/\+ teaser-direct\s+create\s+~\d+ s/);
      expect(plan.stdout).toMatch(/1 to create, 2 unchanged; ~\d+ s of video to render \(1 video\)/);

      const before = creates(emu);
      expect((await runCli(['build'], dir, env)).code).toBe(0);
      expect(creates(emu) - before).toBe(1);
      expect((await runCli(['build'], dir, env)).code).toBe(0);
      expect(creates(emu) - before).toBe(1);
    });

    it('resources without ids (--agent-resources no-ids): matched by preview URL; --replace keeps the agent video, its files and lock record', async () => {
      const { dir, env, emu } = await built('no-ids');
      const videoFile = join(dir, 'out/teaser.mp4');
      const size = (await stat(videoFile)).size;

      const eject = await runCli(['eject', 'teaser', '--replace'], dir, env);
      expect(eject.stderr).toBe('');
      expect(eject.code).toBe(0);
      expect(eject.stdout).toMatch(/avatar: \S+ \(.+\), from session resource res_avatar_\w+ \(its preview is this avatar look's\)/);
      expect(eject.stdout).toMatch(/voice: \S+ \(.+\), from session resource res_voice_\w+ \(its preview is this voice's\)/);
      expect(eject.stdout).toContain('teaser left videos/launch.yaml; its video, files and reel.lock record are kept');
      const ejected = await readFile(join(dir, 'videos/launch.ejected.yaml'), 'utf8');
      expect(LOOKS.has(field(ejected, 'teaser-direct', 'avatar')!)).toBe(true);
      expect(VOICES.has(field(ejected, 'teaser-direct', 'voice')!)).toBe(true);

      // Only the agent entry's lines are gone; comments and the other entry stay byte for byte.
      const without = MANIFEST.split('\n')
        .filter((_, i) => i < 3 || i > 7)
        .join('\n');
      expect(await readFile(join(dir, 'videos/launch.yaml'), 'utf8')).toBe(without);
      const lock = readLockJson(dir).videos as Record<string, { ejected_to?: string; status: string }>;
      expect(lock.teaser).toMatchObject({ status: 'completed', ejected_to: 'teaser-direct' });

      expect((await runCli(['validate'], dir, env)).code).toBe(0);
      const plan = await runCli(['plan', '--verbose'], dir, env);
      expect(plan.stdout).not.toMatch(/teaser\s+remove/);
      expect(plan.stdout).toContain('= teaser  kept  reel.lock  (replaced by teaser-direct');
      const json = JSON.parse((await runCli(['plan', '--json'], dir, env)).stdout) as { summary: { remove: number }; retained: unknown[] };
      expect(json.summary.remove).toBe(0);
      expect(json.retained).toEqual([{ id: 'teaser', ejected_to: 'teaser-direct' }]);

      const before = emu.requests().length;
      const rendered = creates(emu);
      const build = await runCli(['build', '--prune'], dir, env);
      expect(build.code).toBe(0);
      expect(creates(emu) - rendered).toBe(1);
      expect(
        emu
          .requests()
          .slice(before)
          .filter((r) => r.method === 'DELETE'),
      ).toEqual([]);
      expect((await stat(videoFile)).size).toBe(size);
      expect(readLockJson(dir).videos.teaser?.status).toBe('completed');
    });

    it('nothing exposed (--agent-resources hidden): a draft that validates and never renders; --avatar/--voice fill it; completing it renders once', async () => {
      const { dir, env, emu } = await built('hidden');
      const eject = await runCli(['eject', 'teaser'], dir, env);
      expect(eject.code).toBe(0);
      expect(eject.stdout).toContain('Wrote teaser-direct (draft) to videos/launch.ejected.yaml');
      expect(eject.stdout).toContain('Still to fill in: avatar, voice, script.');
      // The likeliest looks, with their preview images, for a person to compare with the video.
      expect(eject.stdout).toMatch(/ {4}1\. Tyler in casual suit {2}Tyler-incasualsuit-20220721 {2}\(made for portrait\)\n {7}preview: https:\/\/\S+tyler\.jpg/);

      const valid = await runCli(['validate'], dir, env);
      expect(valid.code).toBe(0);
      expect(valid.stdout).toMatch(/launch\.ejected\.yaml:\d+:\d+ .*teaser-direct` is a draft and is not rendered: it needs `avatar`, `voice`, `script`/);
      const rendered = creates(emu);
      const plan = await runCli(['plan'], dir, env);
      expect(plan.stdout).toMatch(/\? teaser-direct {2}draft: needs avatar, voice, script {2}videos\/launch\.ejected\.yaml:\d+/);
      const build = await runCli(['build'], dir, env);
      expect(build.code).toBe(0);
      expect(build.stdout + build.stderr).toContain('teaser-direct is a draft and is not rendered (needs avatar, voice, script)');
      expect(creates(emu) - rendered).toBe(0);

      // Again, with the ids given on the command line: only the script is left.
      await rm(join(dir, 'videos/launch.ejected.yaml'));
      const bad = await runCli(['eject', 'teaser', '--avatar', 'Tyler-incasualsuit-2022072'], dir, env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('did you mean Tyler-incasualsuit-20220721');
      const given = await runCli(['eject', 'teaser', '--avatar', 'Tyler-incasualsuit-20220721', '--voice', '1bd001e7e50f421d891986aad5158bc8'], dir, env);
      expect(given.code).toBe(0);
      expect(given.stdout).toContain('avatar: Tyler-incasualsuit-20220721 (Tyler in casual suit), from --avatar (given to reel eject)');
      expect(given.stdout).toContain('Still to fill in: script.');
      const draft = await readFile(join(dir, 'videos/launch.ejected.yaml'), 'utf8');
      expect(draft).toContain('    draft: true # needs script: fill it in, then remove this line\n');

      await writeFile(join(dir, 'videos/launch.ejected.yaml'), draft.replace(/ {4}draft: true.*\n/, '').replace('    avatar:', '    script: Acme 2.0 is here.\n    avatar:'));
      expect((await runCli(['validate'], dir, env)).code).toBe(0);
      expect((await runCli(['plan'], dir, env)).stdout).toMatch(/\+ teaser-direct\s+create\s+~\d+ s/);
      expect((await runCli(['build'], dir, env)).code).toBe(0);
      expect(creates(emu) - rendered).toBe(1);
    });
  });

  describe('the pick on a terminal', () => {
    const list = [
      { id: 'look-a', name: 'A', why: 'made for portrait', preview: 'https://p/a.jpg' },
      { id: 'look-b', name: 'B', why: 'in the account' },
    ];
    const ask = async (answer: string): Promise<{ picked: string | undefined; shown: string }> => {
      const input = new PassThrough();
      const output = new PassThrough();
      let shown = '';
      output.on('data', (d: Buffer) => (shown += d.toString()));
      const pending = pickCandidate('avatar', list, input, output);
      input.end(`${answer}\n`);
      return { picked: await pending, shown };
    };

    it('shows numbered candidates with names and previews; takes a number or an id; Enter leaves it', async () => {
      const first = await ask('2');
      expect(first.picked).toBe('look-b');
      expect(first.shown).toContain('  1. A  look-a  (made for portrait)\n     preview: https://p/a.jpg\n  2. B  look-b  (in the account)');
      expect((await ask('look-a')).picked).toBe('look-a');
      expect((await ask('')).picked).toBeUndefined();
      expect((await ask('7')).picked).toBeUndefined();
    });
  });
});
