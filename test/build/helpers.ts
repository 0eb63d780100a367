import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli.js');
/** A key distinctive enough to grep for in every output. */
export const KEY = 'sk-reel-test-DO-NOT-LEAK-7f3a9c';

/** A temp project holding a copy of the example library (videos/, assets/, data/). */
export async function exampleProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reel-build-'));
  for (const sub of ['videos', 'assets', 'data']) await cp(join(ROOT, sub), join(dir, sub), { recursive: true });
  return dir;
}

/** A temp project with the given files (paths relative to the project root). */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reel-build-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** A manifest of `n` direct videos (ids v001…), scripts distinct so fingerprints are. */
export function directManifest(n: number, extra: (i: number) => string = () => ''): string {
  const lines = ['version: 1', 'defaults:', '  avatar: Daisy-inskirt-20220818', '  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54', 'videos:'];
  for (let i = 1; i <= n; i += 1) {
    const id = `v${String(i).padStart(3, '0')}`;
    lines.push(`  ${id}:`, `    title: Video ${i}`, `    script: This is test video number ${i}.${extra(i)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cliEnv(emulator: Emulator | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...extra };
  if (emulator) {
    env.HEYGEN_API_URL = emulator.url;
    env.HEYGEN_API_KEY = KEY;
  }
  return env;
}

/** Spawn `node dist/cli.js …`; `output` grows as the child writes. */
export function spawnCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Run>; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolveRun) => {
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => stdout };
}

export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return spawnCli(args, cwd, env).done;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ListedVideo {
  id: string;
  title?: string | null;
  status: string;
}

/** Every video the emulator holds, read over its API (all pages). */
export async function allVideos(emulator: Emulator): Promise<ListedVideo[]> {
  const out: ListedVideo[] = [];
  let token: string | undefined;
  for (;;) {
    const url = new URL(`${emulator.url}/v3/videos`);
    url.searchParams.set('limit', '100');
    if (token) url.searchParams.set('token', token);
    const body = await apiGet<{ data: ListedVideo[]; has_more?: boolean; next_token?: string | null }>(url);
    out.push(...body.data);
    if (!body.has_more || !body.next_token) return out;
    token = body.next_token;
  }
}

/** GET with the test key, retried through the emulator's injected faults. */
export async function apiGet<T>(url: URL | string): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const res = await fetch(url, { headers: { 'x-api-key': KEY } });
      if (res.status === 200) return (await res.json()) as T;
      await res.body?.cancel();
    } catch (error) {
      if (attempt >= 20) throw error;
    }
    if (attempt >= 20) throw new Error(`GET ${String(url)} kept failing`);
  }
}

/** Count of videos per title tag (`[reel:…]`); exactly-once means every count is 1. */
export function countByTag(videos: ListedVideo[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of videos) {
    const tag = /\[reel:[0-9a-f]+-g\d+\]/.exec(v.title ?? '')?.[0];
    if (tag) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

export interface LockJson {
  videos: Record<string, { status: string; video_id?: string; session_id?: string; generation: number; output?: { path: string; size: number; sha256: string }; failure?: { code: string; message: string } }>;
  assets: Record<string, { asset_id: string }>;
}

export async function readLockJson(dir: string): Promise<LockJson> {
  return JSON.parse(await readFile(join(dir, 'reel.lock'), 'utf8')) as LockJson;
}

export function creates(emulator: Emulator, path = '/v3/videos'): number {
  return emulator.requests().filter((r) => r.method === 'POST' && r.path === path).length;
}

/** Temp folders made by a test file, removed after it. */
export function removedAfterAll(): string[] {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return dirs;
}

/**
 * A fresh emulator for each test (closed after it): `setup(files, options)` starts it and makes a
 * temp project; `current()` is the running one.
 */
export function emulatorPerTest(): {
  setup: (files: Record<string, string>, options?: EmulatorOptions) => Promise<{ dir: string; emu: Emulator }>;
  current: () => Emulator | undefined;
} {
  const dirs = removedAfterAll();
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });
  return {
    setup: async (files, options = {}) => {
      emulator = await startEmulator({ port: 0, renderSeconds: 0.3, apiKey: KEY, ...options });
      const dir = await project(files);
      dirs.push(dir);
      return { dir, emu: emulator };
    },
    current: () => emulator,
  };
}

/** One emulator for the whole test file, reset before each test; `dirs` are removed after the file. */
export function emulatorPerFile(renderSeconds: number): { emulator: () => Emulator; dirs: string[] } {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, renderSeconds, apiKey: KEY });
  });
  const dirs = removedAfterAll();
  afterAll(async () => {
    await emulator?.close();
  });
  beforeEach(() => emulator?.reset());
  return {
    emulator: () => {
      if (!emulator) throw new Error('the emulator starts in beforeAll');
      return emulator;
    },
    dirs,
  };
}
