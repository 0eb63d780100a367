import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from '../util/path.js';
import { LockError } from '../errors.js';
import { stableJson } from '../util/canonical.js';
import { LOCK_STATUSES, LOCKFILE_VERSION, type LockEntry, type Lockfile, emptyLock, idMap } from './types.js';

/** The lockfile's name, at the project root. */
export const LOCKFILE_NAME = 'reel.lock';

export function lockPath(root: string): string {
  return join(root, LOCKFILE_NAME);
}

/** The lockfile as written to disk: sorted keys, two-space indent, trailing newline. */
export function serializeLock(lock: Lockfile): string {
  return stableJson(lock);
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parse and check the text of a lockfile. `file` is only used in messages. Anything reel cannot
 * trust is a LockError that says what to do; nothing is repaired silently.
 */
export function parseLock(text: string, file = LOCKFILE_NAME): Lockfile {
  // The regex is slow on a big lock; markers are rare, so look for them with indexOf first.
  const maybeConflict = text.includes('<<<<<<<') || text.includes('=======') || text.includes('>>>>>>>');
  const conflict = maybeConflict ? /^(<{7}|={7}|>{7})( |$)/m.exec(text) : null;
  if (conflict) {
    throw new LockError(
      `${file}:${lineCol(text, conflict.index)}: unresolved git merge conflict. Resolve it by keeping both sides' ` +
        'video entries (each video is its own key), or check out one side and run `reel build` again.',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(error instanceof Error ? error.message : '');
    const where = at ? `:${lineCol(text, Number(at[1]))}` : '';
    throw new LockError(
      `${file}${where}: not valid JSON (${error instanceof Error ? error.message : String(error)}). ` + 'Restore it from git (`git checkout -- reel.lock`); reel will not overwrite it.',
      { cause: error },
    );
  }
  if (!isObject(data)) throw new LockError(`${file}: expected a JSON object with "lockfileVersion" and "videos".`);
  const version = data.lockfileVersion;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new LockError(`${file}: "lockfileVersion" is missing or not a whole number; this is not a reel lockfile.`);
  }
  if (version > LOCKFILE_VERSION) {
    throw new LockError(`${file} has lockfileVersion ${version}, written by a newer reel (this one reads version ${LOCKFILE_VERSION}). ` + 'Upgrade reel; the lockfile was left untouched.');
  }
  if (version < 1) throw new LockError(`${file}: unknown lockfileVersion ${version}.`);
  const videos = data.videos ?? {};
  const assets = data.assets ?? {};
  if (!isObject(videos)) throw new LockError(`${file}: "videos" must be an object keyed by video id.`);
  if (!isObject(assets)) throw new LockError(`${file}: "assets" must be an object keyed by sha256.`);
  for (const id in videos) checkEntry(file, id, videos[id]);
  const lock = emptyLock();
  // JSON.parse gives objects with a prototype: `videos.constructor` would be a function.
  lock.videos = idMap(videos as Record<string, LockEntry>);
  lock.assets = idMap(assets as Lockfile['assets']);
  return lock;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

function checkEntry(file: string, id: string, entry: unknown): void {
  function problem(what: string): never {
    throw new LockError(`${file}: video "${id}": ${what}. Restore the file from git or remove this entry by hand.`);
  }
  if (!isObject(entry)) problem('expected an object');
  if (typeof entry.fingerprint !== 'string' || !FINGERPRINT.test(entry.fingerprint)) {
    problem('"fingerprint" must be a 64-character hex sha256');
  }
  if (entry.mode !== 'direct' && entry.mode !== 'agent' && entry.mode !== 'translate') problem('"mode" must be "direct", "agent" or "translate"');
  if (!(LOCK_STATUSES as readonly unknown[]).includes(entry.status)) {
    problem(`"status" must be one of ${LOCK_STATUSES.join(', ')}`);
  }
  if (entry.fields !== undefined && !isObject(entry.fields)) problem('"fields" must be an object');
  if (entry.text !== undefined && (!isObject(entry.text) || Object.values(entry.text).some((v) => typeof v !== 'string'))) problem('"text" must be an object of strings');
  if (entry.generation !== undefined && !(Number.isInteger(entry.generation) && (entry.generation as number) >= 1)) {
    problem('"generation" must be a whole number ≥ 1');
  }
  // Normalise optional members that older writers may have left out, so readers can rely on them.
  if (entry.fields === undefined) entry.fields = {};
  if (entry.generation === undefined) entry.generation = 1;
}

/**
 * The lock's text. A lock is almost always pure ASCII (ids, digests, dates), which decodes as latin1
 * by a copy; UTF-8 decoding is several times slower (for 10,000 entries: 1 ms against 7 ms, and
 * readFile with 'utf8' took 20 ms). Both give the same string for ASCII bytes.
 */
function decodeLock(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Read `reel.lock` under `root`. A missing file is an empty lock; an unreadable, conflicted or
 * newer-version file is a LockError. Reads never take the write lock and never write.
 */
export async function readLock(root: string): Promise<Lockfile> {
  let text: string;
  try {
    text = decodeLock(readFileSync(lockPath(root)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLock();
    throw new LockError(`cannot read ${LOCKFILE_NAME}: ${(error as Error).message}`, { cause: error });
  }
  return parseLock(text, LOCKFILE_NAME);
}
