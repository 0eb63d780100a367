/** Plan-level fixtures: entries and fingerprints of a project, and locks as a build leaves them. */
import { openLock, serializeLock, type LockEntry } from '../../src/lock/index.js';
import { loadProject } from '../../src/manifest/index.js';
import type { ResolvedEntry } from '../../src/manifest/types.js';
import { fieldDigests, fingerprint } from '../../src/plan/fingerprint.js';
import { locked, lockOf } from './builders.js';

/** Entries of a project that must load without errors. */
export async function entriesOf(root: string): Promise<ResolvedEntry[]> {
  const result = await loadProject(root);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`fixture does not load: ${JSON.stringify(errors, null, 2)}`);
  return result.entries;
}

/** Fingerprints by id. */
export async function fingerprints(root: string): Promise<Record<string, string>> {
  return Object.fromEntries((await entriesOf(root)).map((e) => [e.id, fingerprint(e)]));
}

/** Record every entry as completed in reel.lock, as a build would, through the real lock store. */
export async function lockAll(root: string, over: { status?: 'completed' | 'submitted' | 'failed' } = {}): Promise<void> {
  const entries = await entriesOf(root);
  const store = await openLock(root);
  for (const e of entries) {
    store.set(e.id, {
      fingerprint: fingerprint(e),
      mode: e.mode,
      status: over.status ?? 'completed',
      generation: 1,
      fields: fieldDigests(e),
      video_id: `vid-${e.id}`,
      updated_at: '2026-01-01T00:00:00.000Z',
      ...(over.status === 'failed' ? { failure: { code: 'RENDER_FAILED', message: 'the render failed' } } : {}),
    });
  }
  await store.close();
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
