// Localization as code, end to end: the built CLI against the emulator over HTTP, real files in
// temp projects. One source video, two `translate` locales (one with a reviewed SRT) and one
// `rerender` locale; edits re-translate exactly what they should, crashes and lost answers never
// pay twice.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { apiGet, creates, emulatorPerTest } from '../helpers/emulator.js';
import { readLockJson } from '../helpers/project.js';

const { setup } = emulatorPerTest();

const REVIEWED_SRT = ['1', '00:00:00,000 --> 00:00:03,000', 'Acme 2.0 ist da.', '', '2', '00:00:03,000 --> 00:00:06,000', 'Plane deine Woche auf der neuen Zeitleiste.', ''].join('\n');

const MANIFEST = [
  'version: 1',
  'videos:',
  '  launch:',
  '    title: Acme 2.0 is here',
  '    avatar: Daisy-inskirt-20220818',
  '    voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54',
  '    script: Acme 2.0 is here. Plan your week on the new timeline.',
  '    locales:',
  '      de-DE:',
  '        language: German (Germany)',
  '        captions: true',
  '        proofread: l10n/launch.de-DE.srt',
  '      fr-FR:',
  '        language: French (France)',
  '        mode: precision',
  '      es-ES:',
  '        strategy: rerender',
  '        voice: 6e7d2a1c9b8f4e3d8a7b6c5d4e3f2a1b',
  '        catalog: l10n/es-ES.json',
  '',
].join('\n');

const FILES = {
  'videos/launch.yaml': MANIFEST,
  'videos/l10n/launch.de-DE.srt': REVIEWED_SRT,
  'videos/l10n/es-ES.json': '{ "launch": "Acme 2.0 ya está aquí. Planifica tu semana en la nueva línea de tiempo." }\n',
};

interface ListedTranslation {
  id: string;
  title: string | null;
  output_language: string | null;
}

async function translations(emu: Emulator): Promise<ListedTranslation[]> {
  return (await apiGet<{ data: ListedTranslation[] }>(`${emu.url}/v3/video-translations?limit=100`)).data;
}

/** Translations per language: exactly once means one per locale and generation. */
async function perLanguage(emu: Emulator): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of await translations(emu)) counts[t.output_language ?? '?'] = (counts[t.output_language ?? '?'] ?? 0) + 1;
  return counts;
}

const translationCreates = (emu: Emulator): number => creates(emu, '/v3/video-translations');

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('localization end to end', () => {
    it('builds a source, two translations (one with the reviewed SRT) and a native re-render from scratch', async () => {
      const { dir, emu } = await setup(FILES);
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lock = readLockJson(dir);
      expect(Object.keys(lock.videos).sort()).toEqual(['launch', 'launch.de-de', 'launch.es-es', 'launch.fr-fr']);
      expect(Object.values(lock.videos).map((v) => v.status)).toEqual(Array(4).fill('completed'));
      expect(lock.videos['launch.de-de']).toMatchObject({ mode: 'translate', source: 'launch' });

      // Translations are real MP4s; the captioned locale's subtitles are the reviewed text.
      const de = await readFile(join(dir, 'out/launch.de-de.mp4'));
      expect(de.subarray(4, 8).toString('latin1')).toBe('ftyp');
      expect(await readFile(join(dir, 'out/launch.de-de.srt'), 'utf8')).toContain('Plane deine Woche');
      expect(lock.videos['launch.de-de']?.output?.size).toBe(de.length);

      // One create per translate locale, keyed; the SRT went up as an asset for the translated video.
      const posts = emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/video-translations');
      expect(posts).toHaveLength(2);
      expect(posts.every((p) => /^reel-[0-9a-f]{32}-g1$/.test(p.idempotency_key ?? ''))).toBe(true);
      expect(await perLanguage(emu)).toEqual({ 'German (Germany)': 1, 'French (France)': 1 });
      // The re-render is a direct video with the catalog's script and the native voice.
      expect(creates(emu)).toBe(2);
      expect(run.stdout).not.toContain(KEY);

      // Nothing to do the second time.
      const again = await runCli(['plan'], dir, cliEnv(emu));
      expect(again.stdout).toMatch(/^No changes\. 4 videos are up to date\.$/m);
    });

    it('plans locales under their source; a source edit re-translates every translate locale only; one SRT edit only its language', async () => {
      const { dir, emu } = await setup(FILES);
      expect((await runCli(['build'], dir, cliEnv(emu))).code).toBe(0);
      const videosBefore = creates(emu);
      const translationsBefore = translationCreates(emu);

      await writeFile(join(dir, 'videos/launch.yaml'), MANIFEST.replace('Acme 2.0 is here. Plan', 'Acme 2.0 is out. Plan'));
      const plan = await runCli(['plan'], dir, cliEnv(emu));
      expect(plan.stdout).toMatch(/^ {2}~ launch\s+update\s+~\d+ s\s+~\$\d+\.\d\d\s+videos\/launch\.yaml:3\s+script$/m);
      // A translation is priced by its mode: de-DE in speed mode at half the precision rate of fr-FR.
      expect(plan.stdout).toMatch(/^ {2}~ {3}launch\.de-de\s+update\s+~\d+ s\s+~\$\d+\.\d\d\s+.*source\s+\(source changed\)$/m);
      const cost = (id: string): number => Number(new RegExp(`${id.replace('.', '\\.')}\\s+update\\s+~\\d+ s\\s+~\\$(\\d+\\.\\d\\d)`).exec(plan.stdout)?.[1]);
      expect(cost('launch.fr-fr')).toBeCloseTo(cost('launch.de-de') * 2, 1);
      expect(plan.stdout).toMatch(/^ {2}~ {3}launch\.fr-fr\s+update.*\(source changed/m);
      expect(plan.stdout).not.toMatch(/launch\.es-es/);
      // The group reads source first, then its locales.
      const order = [...plan.stdout.matchAll(/(launch(?:\.[a-z-]+)?)\s+update/g)].map((m) => m[1]);
      expect(order).toEqual(['launch', 'launch.de-de', 'launch.fr-fr']);

      const build = await runCli(['build'], dir, cliEnv(emu));
      expect(build.code).toBe(0);
      expect(creates(emu) - videosBefore).toBe(1);
      expect(translationCreates(emu) - translationsBefore).toBe(2);

      await writeFile(join(dir, 'videos/l10n/launch.de-DE.srt'), REVIEWED_SRT.replace('ist da', 'ist endlich da'));
      const srtPlan = await runCli(['plan', '--json'], dir, cliEnv(emu));
      const changes = (JSON.parse(srtPlan.stdout) as { changes: Array<{ id: string; action: string; changed: string[] }> }).changes.filter((c) => c.action !== 'unchanged');
      expect(changes).toEqual([expect.objectContaining({ id: 'launch.de-de', action: 'update', changed: ['srt'] })]);
      const srtBuild = await runCli(['build'], dir, cliEnv(emu));
      expect(srtBuild.code).toBe(0);
      expect(creates(emu) - videosBefore).toBe(1);
      expect(translationCreates(emu) - translationsBefore).toBe(3);
      expect(await readFile(join(dir, 'out/launch.de-de.srt'), 'utf8')).toContain('ist endlich da');
      expect(await perLanguage(emu)).toEqual({ 'German (Germany)': 3, 'French (France)': 2 });

      // Reformatting the manifest (comments, key order, quoting) changes nothing.
      const reformatted = MANIFEST.replace('Acme 2.0 is here. Plan', 'Acme 2.0 is out. Plan').replace(
        '      fr-FR:\n        language: French (France)\n        mode: precision',
        '      fr-FR: # dubbed\n        mode: "precision"\n        language: "French (France)"',
      );
      await writeFile(join(dir, 'videos/launch.yaml'), `# localized launch video\n${reformatted}`);
      expect((await runCli(['plan'], dir, cliEnv(emu))).stdout).toMatch(/^No changes\./m);
    });

    it('a lost translation create answer is replayed under the same key: one translation per locale', async () => {
      const { dir, emu } = await setup(FILES);
      emu.inject({ method: 'POST', path: '/v3/video-translations', kind: 'reset-after', times: 2 });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await perLanguage(emu)).toEqual({ 'German (Germany)': 1, 'French (France)': 1 });
      const posts = emu.requests().filter((r) => r.method === 'POST' && r.path === '/v3/video-translations');
      expect(posts.length).toBeGreaterThan(2);
      expect(new Set(posts.map((p) => p.idempotency_key)).size).toBe(2);
    });

    for (const [label, ready] of [
      ['while a translation create is in flight', (emu: Emulator) => translationCreates(emu) >= 1],
      ['while translating', (emu: Emulator) => emu.requests().some((r) => r.path === '/v3/video-translations/statuses')],
    ] as const) {
      it(`a build killed ${label} resumes with exactly one translation per locale`, async () => {
        const { dir, emu } = await setup(FILES, { renderSeconds: 0.8 });
        emu.inject({ method: 'POST', path: '/v3/video-translations', kind: 'slow', delayMs: 1500, times: 1 });
        const first = spawnCli(['build'], dir, cliEnv(emu));
        await waitFor(() => ready(emu) || first.child.exitCode !== null);
        first.child.kill('SIGKILL');
        expect((await first.done).signal).toBe('SIGKILL');
        JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8').catch(() => '{}'));

        const second = await runCli(['build'], dir, cliEnv(emu));
        expect(second.stderr).toMatch(/^(reel: took over.*\n)?$/);
        expect(second.code).toBe(0);
        const lock = readLockJson(dir);
        expect(Object.values(lock.videos).map((v) => v.status)).toEqual(Array(4).fill('completed'));
        // The killed create left (or was held) with its key; the resumed build replayed or polled it.
        await waitFor(async () => (await translations(emu)).length >= 2);
        expect(await perLanguage(emu)).toEqual({ 'German (Germany)': 1, 'French (France)': 1 });
        expect(creates(emu)).toBe(2);
      });
    }

    it('skips a translation whose source failed, and translates it once the source renders', async () => {
      const failing = FILES['videos/launch.yaml'].replace('Plan your week', 'Plan your week [emulator:fail]');
      const { dir, emu } = await setup({ ...FILES, 'videos/launch.yaml': failing });
      const run = await runCli(['build'], dir, cliEnv(emu));
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/launch\.de-de: source_not_ready: its source launch is failed/);
      expect(translationCreates(emu)).toBe(0);
      expect(readLockJson(dir).videos['launch.de-de']).toBeUndefined();

      await writeFile(join(dir, 'videos/launch.yaml'), FILES['videos/launch.yaml']);
      const fixed = await runCli(['build'], dir, cliEnv(emu));
      expect(fixed.code).toBe(0);
      expect(await perLanguage(emu)).toEqual({ 'German (Germany)': 1, 'French (France)': 1 });
    });

    it("proofread in git: pull writes HeyGen's SRT, the corrected file is translated once, never again", async () => {
      const { 'videos/l10n/launch.de-DE.srt': _reviewed, ...rest } = FILES;
      const { dir, emu } = await setup(rest);
      const validate = await runCli(['validate'], dir, cliEnv(emu));
      expect(validate.code).toBe(0);
      expect(validate.stdout).toMatch(/videos\/launch\.yaml:12:20 +launch\.de-de +warning: .*does not exist yet; run `reel l10n pull launch\.de-de`/);
      // Pulling before the source exists says what to do.
      const early = await runCli(['l10n', 'pull', 'launch@de-DE'], dir, cliEnv(emu));
      expect(early.code).toBe(2);
      expect(early.stderr).toMatch(/source launch is not rendered.*reel build -t launch/);

      // The build renders everything else; the German translation waits for its reviewed file.
      expect((await runCli(['build'], dir, cliEnv(emu))).code).toBe(0);
      expect(readLockJson(dir).videos['launch.de-de']).toBeUndefined();
      expect(await perLanguage(emu)).toEqual({ 'French (France)': 1 });

      const pull = await runCli(['l10n', 'pull', 'launch@de-DE'], dir, cliEnv(emu));
      expect(pull.stderr).toMatch(/proofreading ~\d+ s of launch into German \(Germany\)/);
      expect(pull.code).toBe(0);
      expect(pull.stdout).toMatch(/^Wrote videos\/l10n\/launch\.de-DE\.srt \(\d+ cues\) from HeyGen proofread pr_[0-9a-f]+\./m);
      const srtFile = join(dir, 'videos/l10n/launch.de-DE.srt');
      const pulled = await readFile(srtFile, 'utf8');
      expect(pulled).toMatch(/^1\n00:00:00,000 --> \d\d:\d\d:\d\d,\d{3}\n\[German \(Germany\)\] Acme/);
      expect(emu.requests().filter((r) => r.path === '/v3/video-translations/proofreads')).toHaveLength(1);
      // A second pull would overwrite corrections.
      const again = await runCli(['l10n', 'pull', 'launch.de-de'], dir, cliEnv(emu));
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/exists and may hold a reviewer's corrections; pass --force/);

      // The reviewer corrects the text in a pull request; the next build translates with it, once.
      await writeFile(srtFile, pulled.replace('[German (Germany)] Acme', 'Acme'));
      const plan = await runCli(['plan'], dir, cliEnv(emu));
      expect(plan.stdout).toMatch(/^ {2}\+ {3}launch\.de-de\s+create/m);
      expect((await runCli(['build'], dir, cliEnv(emu))).code).toBe(0);
      expect(await perLanguage(emu)).toEqual({ 'French (France)': 1, 'German (Germany)': 1 });
      const captions = await readFile(join(dir, 'out/launch.de-de.srt'), 'utf8');
      expect(captions).toContain('Acme 2.0');
      expect(captions).not.toContain('[German (Germany)]');
      expect((await runCli(['plan'], dir, cliEnv(emu))).stdout).toMatch(/^No changes\./m);

      // `reel status` asks the translation status endpoint for the locales.
      const status = await runCli(['status', '--json'], dir, cliEnv(emu));
      expect(status.code).toBe(0);
      expect(emu.requests().some((r) => r.path === '/v3/video-translations/statuses')).toBe(true);
      const report = JSON.parse(status.stdout) as { drift: boolean; videos: Array<{ id: string }> };
      expect(report.drift).toBe(false);
      expect(report.videos.map((v) => v.id)).toEqual(expect.arrayContaining(['launch.de-de', 'launch.fr-fr']));
    });

    it("validate --remote checks language names against HeyGen's list, with close matches", async () => {
      const { dir, emu } = await setup({ ...FILES, 'videos/launch.yaml': MANIFEST.replace('language: French (France)', 'language: French (Frnace)') });
      const run = await runCli(['validate', '--remote'], dir, cliEnv(emu));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/videos\/launch\.yaml:14:19 +launch\.fr-fr +`language`: HeyGen does not translate into `French \(Frnace\)`; did you mean `French \(France\)`/);
      expect(emu.requests().some((r) => r.path === '/v3/video-translations/languages')).toBe(true);
      await writeFile(join(dir, 'videos/launch.yaml'), MANIFEST);
      expect((await runCli(['validate', '--remote'], dir, cliEnv(emu))).code).toBe(0);
    });
  });
});
