/**
 * The one project builder: temporary projects made of files (manifests, reel.config.yaml,
 * reel.lock, data, assets), copies of the example library, and what tests read back from them.
 * Synchronous, so it serves sync and async tests alike (`await project(…)` is harmless).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type Files = Record<string, string | Uint8Array>;

/** A temp project with the given files (paths relative to the project root). */
export function project(files: Files = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'reel-test-'));
  writeFiles(root, files);
  return root;
}

/** A temp project holding a copy of the example library (videos/, assets/, data/), plus `files`. */
export function exampleProject(files: Files = {}): string {
  const root = project();
  for (const sub of ['videos', 'assets', 'data']) cpSync(join(ROOT, sub), join(root, sub), { recursive: true });
  writeFiles(root, files);
  return root;
}

export function writeFiles(root: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** Temp folders made by a test file, removed after it: push each project onto the list. */
export function removedAfterAll(): string[] {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) removeProject(dir);
  });
  return dirs;
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

/** Every file under `dir` with its size and mtime, to prove a command wrote nothing. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      out.push(`${relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

export interface LockJson {
  videos: Record<
    string,
    { status: string; video_id?: string; session_id?: string; generation: number; output?: { path: string; size: number; sha256: string }; failure?: { code: string; message: string } }
  >;
  assets: Record<string, { asset_id: string }>;
}

export function readLockJson(dir: string): LockJson {
  return JSON.parse(readFileSync(join(dir, 'reel.lock'), 'utf8')) as LockJson;
}

/** The start of a manifest: version and a valid default avatar and voice; append `videos:` entries. */
export const MANIFEST_HEADER = 'version: 1\ndefaults:\n  avatar: Daisy-inskirt-20220818\n  voice: 2d5b0e6cf36f460aa7fc47e3eee4ba54\nvideos:\n';

/** Write one file of a project (making its folders). */
export function writeProjectFile(root: string, path: string, content: string | Uint8Array): void {
  writeFiles(root, { [path]: content });
}
