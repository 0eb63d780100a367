import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG, type Catalog, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { cliEnv, KEY, runCli } from '../helpers/cli.js';
import { project } from '../helpers/project.js';

/** More items than one page holds (looks: 50 a page, voices and styles: 100), so paging is exercised. */
function bigCatalog(): Catalog {
  const looks = Array.from({ length: 73 }, (_, i) => ({
    ...BUILTIN_CATALOG.looks[0]!,
    id: `look-${String(i).padStart(3, '0')}`,
    name: `Look ${i}`,
    gender: i % 2 === 0 ? 'female' : 'male',
  }));
  const voices = Array.from({ length: 130 }, (_, i) => ({
    ...BUILTIN_CATALOG.voices[0]!,
    voice_id: `voice-${String(i).padStart(3, '0')}`,
    name: i === 7 ? 'Seven the Narrator' : `Voice ${i}`,
    language: i % 3 === 0 ? 'Spanish' : 'English',
    gender: i % 2 === 0 ? 'female' : 'male',
    type: i >= 120 ? ('private' as const) : ('public' as const),
  }));
  const styles = Array.from({ length: 104 }, (_, i) => ({ style_id: `style-${i}`, name: `Style ${i}`, tags: i === 3 ? ['retro-tech'] : ['cinematic'] }));
  return { looks: [...BUILTIN_CATALOG.looks, ...looks], voices: [...BUILTIN_CATALOG.voices, ...voices], styles };
}

let emulator: Emulator;
const dirs: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, apiKey: KEY, catalog: bigCatalog() });
});
afterAll(async () => {
  await emulator.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
beforeEach(() => emulator.reset());

async function dir(): Promise<string> {
  const d = await project({ 'README.md': 'catalog test\n' });
  dirs.push(d);
  return d;
}
const gets = (path: string): number => emulator.requests().filter((r) => r.method === 'GET' && r.path === path).length;

describe('reel avatars | voices | styles against the emulator', () => {
  it('follows every page and prints a table, or JSON with --json', async () => {
    const cwd = await dir();
    const looks = await runCli(['avatars', '--json'], cwd, cliEnv(emulator));
    expect(looks.code).toBe(0);
    const items = JSON.parse(looks.stdout) as Array<{ id: string }>;
    expect(items).toHaveLength(BUILTIN_CATALOG.looks.length + 73);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(gets('/v3/avatars/looks')).toBe(2);

    const voices = await runCli(['voices'], cwd, cliEnv(emulator));
    expect(voices.code).toBe(0);
    const lines = voices.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+LANGUAGE\s+GENDER\s+TYPE$/);
    // public (100 + 30 + the built-ins, two pages) and private voices (one page) are both listed.
    expect(lines).toHaveLength(1 + BUILTIN_CATALOG.voices.length + 130);
    expect(voices.stdout).toMatch(/^voice-125\s+Voice 125\s+English\s+male\s+private$/m);
    expect(gets('/v3/voices')).toBe(3);

    const styles = await runCli(['styles', '--json'], cwd, cliEnv(emulator));
    expect((JSON.parse(styles.stdout) as unknown[]).length).toBe(104);
  });

  it('filters by gender, language and search (id, name or tag), case-insensitively', async () => {
    const cwd = await dir();
    const spanishWomen = JSON.parse((await runCli(['voices', '--json', '--language', 'spanish', '--gender', 'FEMALE'], cwd, cliEnv(emulator))).stdout) as Array<{ language: string; gender: string }>;
    expect(spanishWomen.length).toBeGreaterThan(10);
    expect(spanishWomen.every((v) => v.language === 'Spanish' && v.gender === 'female')).toBe(true);

    const narrator = JSON.parse((await runCli(['voices', '--json', '--search', 'narrator'], cwd, cliEnv(emulator))).stdout) as Array<{ voice_id: string }>;
    expect(narrator.map((v) => v.voice_id)).toEqual(['voice-007']);

    const retro = JSON.parse((await runCli(['styles', '--json', '--search', 'RETRO'], cwd, cliEnv(emulator))).stdout) as Array<{ style_id: string }>;
    expect(retro.map((s) => s.style_id)).toEqual(['style-3']);

    const none = await runCli(['avatars', '--search', 'no-such-look'], cwd, cliEnv(emulator));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no avatars match --search no-such-look/);
  });

  it('caches per account: a second listing sends nothing, --refresh and another key ask again', async () => {
    const cwd = await dir();
    await runCli(['avatars'], cwd, cliEnv(emulator));
    const first = emulator.requests().length;
    const again = await runCli(['avatars', '--gender', 'male'], cwd, cliEnv(emulator));
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/cached \d+ s ago/);
    expect(emulator.requests().length).toBe(first);

    await runCli(['avatars', '--refresh'], cwd, cliEnv(emulator));
    expect(emulator.requests().length).toBe(first + 2);

    const other = await startEmulator({ port: 0, catalog: { ...bigCatalog(), looks: BUILTIN_CATALOG.looks.slice(0, 1) } });
    try {
      const env = { ...cliEnv(undefined), HEYGEN_API_URL: other.url, HEYGEN_API_KEY: 'another-key' };
      const listed = JSON.parse((await runCli(['avatars', '--json'], cwd, env)).stdout) as unknown[];
      expect(listed).toHaveLength(1);
      expect(other.requests()).toHaveLength(1);
    } finally {
      await other.close();
    }

    const uncached = await runCli(['avatars'], cwd, cliEnv(emulator, { REEL_CATALOG_TTL: '0' }));
    expect(uncached.code).toBe(0);
    expect(emulator.requests().length).toBe(first + 4);
  });

  it('needs a key, and never prints it', async () => {
    const cwd = await dir();
    const noKey = await runCli(['voices'], cwd, cliEnv(undefined, { HEYGEN_API_URL: emulator.url }));
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/HEYGEN_API_KEY is not set/);
    const wrong = await runCli(['voices'], cwd, cliEnv(undefined, { HEYGEN_API_URL: emulator.url, HEYGEN_API_KEY: 'wrong' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/cannot list public voices: HeyGen answered 401/);
    const ok = await runCli(['voices', '--json'], cwd, cliEnv(emulator));
    expect(ok.stdout + ok.stderr).not.toContain(KEY);
  });
});
