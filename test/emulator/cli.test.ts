// `reel emulator` as a user runs it: the built CLI, a free port, curl-like requests with the
// bodies from examples/, and a clean exit on SIGTERM.
import { Readable } from 'node:stream';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/commands/emulator.js';
import { api, example, until } from './helpers.js';
import { runCli, spawnCli } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const cli = spawnCli(['emulator', '--port', '0', ...args], root);
  children.push(cli.child);
  const first = (await cli.waitFor(/\n/)).split('\n')[0]!;
  expect(first).toMatch(/^HeyGen emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
  return { child: cli.child, url: first.split(' ').at(-1)!, stderr: cli.stderr };
}

describe('reel emulator (built CLI)', () => {
  it('prints its URL first, serves the examples, logs requests and exits 0 on SIGTERM', async () => {
    const { child, url, stderr } = await startCli(['--render-seconds', '0.2', '--api-key', 'demo-key']);
    const headers = { 'x-api-key': 'demo-key' };
    expect((await api(url, 'GET', '/v3/users/me', undefined, { 'x-api-key': 'wrong' })).status).toBe(401);
    const created = await api(url, 'POST', '/v3/videos', example('video-create-avatar.request.json'), headers);
    expect(created.status).toBe(200);
    const id = created.body.data.video_id;
    const done = await until(async () => {
      const a = await api(url, 'GET', `/v3/videos/${id}`, undefined, headers);
      return a.body.data.status === 'completed' ? a.body.data : undefined;
    });
    const mp4 = Buffer.from(await (await fetch(done.video_url)).arrayBuffer());
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect((await api(url, 'POST', '/v3/video-agents', example('video-agent-create.chat.request.json'), headers)).status).toBe(200);
    expect((await api(url, 'POST', '/v3/videos/batches', example('video-batch-create.request.json'), headers)).status).toBe(202);
    expect((await api(url, 'POST', '/v3/webhooks/endpoints', example('webhook-endpoint-create.request.json'), headers)).status).toBe(200);
    expect(stderr()).toMatch(/POST \/v3\/videos 200/);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  });

  it('refuses a broken --catalog with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reel-emu-'));
    const file = join(dir, 'catalog.json');
    writeFileSync(file, JSON.stringify({ looks: [{ name: 'no id' }] }));
    const { code, stderr } = await runCli(['emulator', '--port', '0', '--catalog', file], root);
    expect(code).toBe(1);
    expect(stderr).toContain('looks[0].id is required');
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('runs in-process through the command module and stops when the signal aborts', async () => {
    const out: string[] = [];
    const sink = (into: string[]) => ({ write: (s: string) => (into.push(s), true) }) as unknown as NodeJS.WritableStream;
    const controller = new AbortController();
    const running = run(
      { port: 0, renderSeconds: 0.1 },
      {
        cwd: root,
        stdin: Readable.from([]),
        stdout: sink(out) as never,
        stderr: sink([]) as never,
        env: {},
        signal: controller.signal,
      },
    );
    await until(async () => (out.length > 0 ? true : undefined));
    const url = out[0]!.trim().split(' ').at(-1)!;
    expect((await api(url, 'GET', '/v3/users/me')).status).toBe(200);
    controller.abort();
    expect(await running).toBe(0);
    await expect(fetch(`${url}/v3/users/me`)).rejects.toThrow();
  });

  it('has no side effects on import: nothing listens, the process exits at once', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', "await import('./dist/emulator/index.js'); process.stdout.write(String(process.listenerCount('SIGINT')))"], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out).toBe('0');
  });
});
