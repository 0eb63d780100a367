/** Emulators for CLI tests, and what tests read back from them over the API. */
import { afterAll, afterEach, beforeAll, beforeEach, type TestContext } from 'vitest';
import { type Emulator, type EmulatorOptions, type ManualClock, startEmulator } from '../../src/emulator/index.js';
import { type CliProcess, KEY } from './cli.js';
import { type Files, project, removeProject, removedAfterAll } from './project.js';

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

export function creates(emulator: Emulator, path = '/v3/videos'): number {
  return emulator.requests().filter((r) => r.method === 'POST' && r.path === path).length;
}

/**
 * `start(options)` for a test file that starts emulators itself: `defaults` under `options`, each
 * closed after the test that started it, or after the file with `closeAfter: 'file'` (concurrent
 * tests, which one afterEach cannot tell apart).
 */
export function emulators(defaults: EmulatorOptions = {}, closeAfter: 'test' | 'file' = 'test'): (options?: EmulatorOptions) => Promise<Emulator> {
  const open: Emulator[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(open.splice(0).map((e) => e.close()));
  };
  if (closeAfter === 'test') afterEach(close);
  else afterAll(close);
  return async (options = {}) => {
    const emu = await startEmulator({ ...defaults, ...options });
    open.push(emu);
    return emu;
  };
}

/**
 * A fresh emulator for each test: `setup(files, options)` starts it and makes a temp project. Safe
 * in concurrent tests (each test's emulator is its own; all close after the file, since vitest
 * cannot tell which concurrent test a global hook belongs to); `current()` is the one started last,
 * for files whose tests run one at a time.
 */
export function emulatorPerTest(): {
  setup: (files: Files, options?: EmulatorOptions) => Promise<{ dir: string; emu: Emulator }>;
  current: () => Emulator | undefined;
} {
  const dirs = removedAfterAll();
  const started: Emulator[] = [];
  let last: Emulator | undefined;
  afterAll(() => Promise.all(started.map((e) => e.close())));
  return {
    setup: async (files, options = {}) => {
      const emulator = await startEmulator({ port: 0, renderSeconds: 0.1, apiKey: KEY, ...options });
      started.push(emulator);
      last = emulator;
      const dir = project(files);
      dirs.push(dir);
      return { dir, emu: emulator };
    },
    current: () => last,
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

/**
 * Lets an emulator's ManualClock run (at `rate`× real time) while `during` runs, then stops it
 * again: time stands still while a test kills a build mid-flight, and moves for the resume.
 */
export async function whileTicking<T>(clock: ManualClock, during: () => Promise<T>, rate = 5): Promise<T> {
  const step = 20;
  const ticking = setInterval(() => clock.advance(step * rate), step);
  try {
    return await during();
  } finally {
    clearInterval(ticking);
  }
}

/** What a concurrent test starts: set each as it starts, and all are stopped and removed when the test finishes. */
export interface TestOwned {
  emulator?: Emulator;
  running?: CliProcess;
  root?: string;
}

/**
 * A test's own emulator, process and project, released when that test finishes. For concurrent
 * tests, which cannot share module-level variables and an afterEach: pass the test context's
 * `onTestFinished` (vitest cannot tell concurrent tests apart in the global one).
 */
export function ownedByTest(onTestFinished: TestContext['onTestFinished']): TestOwned {
  const owned: TestOwned = {};
  onTestFinished(async () => {
    await owned.running?.stop();
    await owned.emulator?.close();
    if (owned.root) removeProject(owned.root);
  });
  return owned;
}
