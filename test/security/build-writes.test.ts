import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../helpers/cli.js';
import { emulatorPerTest } from '../helpers/emulator.js';
import { readLockJson, removedAfterAll } from '../helpers/project.js';

/** What a build writes and deletes: real paths inside the project only, and only real videos. */
const emulators = emulatorPerTest();
const dirs = removedAfterAll();
const HEAD = 'version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n';

async function outside(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'reel-outside-'));
  dirs.push(d);
  return d;
}

// Each test has its own emulator and project, and mostly waits on renders: they run side by side.
describe.concurrent('side by side', () => {
  describe('build writes and deletes inside the project only', () => {
    it('removing an entry whose recorded folder is now a symlink out of the project deletes nothing outside', async () => {
      const { dir, emu } = await emulators.setup({
        'videos/a.yaml': `${HEAD}  a:\n    script: Hello.\n  b:\n    script: Bye.\n    output: { file: renders/b.mp4 }\n`,
      });
      const env = cliEnv(emu);
      expect((await runCli(['build'], dir, env)).code).toBe(0);
      // out/ becomes a symlink to a folder that holds a file of the same name.
      const elsewhere = await outside();
      await writeFile(join(elsewhere, 'a.mp4'), 'precious');
      await rename(join(dir, 'out'), join(dir, 'out-old'));
      await symlink(elsewhere, join(dir, 'out'));
      await writeFile(join(dir, 'videos/a.yaml'), `${HEAD}  b:\n    script: Bye.\n    output: { file: renders/b.mp4 }\n`);
      const r = await runCli(['build'], dir, env);
      expect(r.code).toBe(0);
      expect(await readFile(join(elsewhere, 'a.mp4'), 'utf8')).toBe('precious');
      expect(Object.keys((await readLockJson(dir)).videos)).toEqual(['b']);
    });

    it('a default output folder symlinked out of the project is refused at write time', async () => {
      const { dir, emu } = await emulators.setup({ 'videos/a.yaml': `${HEAD}  a:\n    script: Hello.\n` });
      const elsewhere = await outside();
      await symlink(elsewhere, join(dir, 'out'));
      const r = await runCli(['build'], dir, cliEnv(emu));
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/refusing to write out\/a\.mp4: it resolves \(through a symlink\) to .*, outside the project/);
      expect(await readdir(elsewhere)).toEqual([]);
    });

    it('an output file that is a symlink out of the project is not written through', async () => {
      const { dir, emu } = await emulators.setup({ 'videos/a.yaml': `${HEAD}  a:\n    script: Hello.\n` });
      const elsewhere = await outside();
      await writeFile(join(elsewhere, 'victim.mp4'), 'precious');
      await mkdir(join(dir, 'out'));
      await symlink(join(elsewhere, 'victim.mp4'), join(dir, 'out/a.mp4'));
      const r = await runCli(['build'], dir, cliEnv(emu));
      expect(r.code).toBe(1);
      expect(await readFile(join(elsewhere, 'victim.mp4'), 'utf8')).toBe('precious');
    });
  });

  describe('downloads are videos', () => {
    it('a 200 answer with an HTML page is refused and retried, never saved as the video', async () => {
      const { dir, emu } = await emulators.setup({ 'videos/a.yaml': `${HEAD}  a:\n    script: Hello.\n` });
      emu.inject({ path: '/files/', kind: 'html-200', times: 2 });
      const r = await runCli(['build'], dir, cliEnv(emu));
      expect(r.code).toBe(0);
      const bytes = await readFile(join(dir, 'out/a.mp4'));
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      const gets = emu.requests().filter((q) => q.method === 'GET' && q.path.startsWith('/files/') && q.path.endsWith('/video.mp4'));
      expect(gets.length).toBeGreaterThanOrEqual(3);
    });

    it('a file host that only ever answers HTML fails the job and leaves no file', async () => {
      const { dir, emu } = await emulators.setup({ 'videos/a.yaml': `${HEAD}  a:\n    script: Hello.\n` });
      emu.inject({ path: '/files/', kind: 'html-200', times: 100 });
      const r = await runCli(['build'], dir, cliEnv(emu));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/not a video/);
      expect(existsSync(join(dir, 'out/a.mp4'))).toBe(false);
      expect(await readdir(join(dir, 'out'))).toEqual([]);
    });
  });
});
