import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('reel plan and the API a lock entry was rendered against', () => {
  it('after `reel build --emulator`, plans re-renders for HeyGen but nothing for the emulator', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-scope-'));
    dirs.push(dir);
    for (const sub of ['videos', 'assets', 'data']) await cp(join(ROOT, sub), join(dir, sub), { recursive: true });
    const env = { HEYGEN_API_KEY: '' };

    const build = await runCli(['build', '--emulator'], dir, env);
    expect(build.code).toBe(0);

    const emulatorPlan = await runCli(['plan', '--emulator', '--json'], dir, env);
    expect(emulatorPlan.code).toBe(0);
    const forEmulator = JSON.parse(emulatorPlan.stdout) as { changes: { id: string; action: string; changed: string[] }[] };
    expect(forEmulator.changes.filter((c) => c.action === 'unchanged').map((c) => c.id)).toContain('welcome');
    expect(forEmulator.changes.some((c) => c.action === 'create')).toBe(false);

    const heygenPlan = await runCli(['plan', '--json', '--detailed-exitcode'], dir, env);
    expect(heygenPlan.code).toBe(2);
    const forHeygen = JSON.parse(heygenPlan.stdout) as typeof forEmulator;
    expect(forHeygen.changes.find((c) => c.id === 'welcome')).toMatchObject({ action: 'create', changed: ['api'] });
  });
});
