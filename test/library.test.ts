import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('reel as a library', () => {
  it('imports by package name with no side effects and can start the emulator in-process', () => {
    const script = `
      const before = process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
      const reel = await import('reel');
      const after = process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
      const emulator = await reel.startEmulator({ port: 0 });
      const res = await fetch(emulator.url + '/v3/users/me', { headers: { 'x-api-key': 'k' } });
      await emulator.close();
      process.stderr.write(JSON.stringify({ before, after, status: res.status, exports: Object.keys(reel).sort() }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stderr) as { before: number; after: number; status: number; exports: string[] };
    expect(seen.after).toBe(seen.before);
    expect(seen.status).toBe(200);
    expect(seen.exports).toEqual(expect.arrayContaining(['loadProject', 'plan', 'fingerprint', 'openLock', 'HeyGenClient', 'startEmulator']));
  });
});
