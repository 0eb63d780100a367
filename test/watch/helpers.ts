import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeLock, type LockEntry } from '../../src/lock/index.js';
import { loadProject } from '../../src/manifest/index.js';
import { locked, lockOf } from '../plan/builders.js';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

/** A temporary project made of `files` (path → text). */
export function makeProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'reel-watch-'));
  for (const [path, text] of Object.entries(files)) writeProjectFile(root, path, text);
  return root;
}

export function writeProjectFile(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

export function removeProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * A `reel.lock` in which every entry of the project is `completed` with its current fingerprint,
 * as a build elsewhere would leave it. Built with the real loader and fingerprint.
 */
export async function completedLock(root: string): Promise<string> {
  const { entries } = await loadProject(root);
  const lock = lockOf(...entries.map((entry): [string, LockEntry] => [entry.id, locked(entry)]));
  return serializeLock(lock);
}

export interface WatchProcess {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** A position in stdout; `waitFor` looks only at what came after it. */
  mark(): number;
  /** Resolves with the text after `from` once it matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<string>;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

export function startWatch(root: string, args: string[] = [], env: Record<string, string> = {}): WatchProcess {
  const child = spawn(process.execPath, [CLI, 'watch', ...args], {
    cwd: root,
    // A developer's HEYGEN_API_URL never leaks in (set but empty would be an error).
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEYGEN_'))), NO_COLOR: '1', HEYGEN_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    mark: () => out.length,
    waitFor(pattern, from = 0, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const text = out.slice(from);
          if (!pattern.test(text)) return false;
          listeners.delete(onData);
          clearTimeout(timer);
          resolve(text);
          return true;
        };
        const onData = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          listeners.delete(onData);
          reject(new Error(`timed out waiting for ${pattern}\n--- stdout after mark:\n${out.slice(from)}\n--- stderr:\n${err}`));
        }, timeoutMs);
        if (!check()) listeners.add(onData);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
