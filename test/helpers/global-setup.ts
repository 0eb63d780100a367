/**
 * One temporary folder per test run, under which every test's temp projects, clones and emulator
 * files go, removed when the run ends: a test that forgets to clean up, or is killed, leaves
 * nothing in the machine's /tmp. This (in vitest's main process) makes the folder and hands it to
 * the workers; ./tmpdir.ts (a setup file, in each worker) points TMPDIR there, for the worker's
 * own `tmpdir()` calls and every process it starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    tmpRoot: string;
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'reel-tests-'));
  project.provide('tmpRoot', root);
  return () => rmSync(root, { recursive: true, force: true });
}
