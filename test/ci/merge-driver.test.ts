import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLock, serializeLock } from '../../src/lock/file.js';
import { formatConflictedLock, mergeForGit } from '../../src/lock/merge.js';
import type { LockEntry, Lockfile } from '../../src/lock/types.js';
import { CLI, runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function entry(letter: string, over: Partial<LockEntry> = {}): LockEntry {
  return { fingerprint: letter.repeat(64), mode: 'direct', status: 'completed', generation: 1, fields: {}, video_id: `v-${letter}`, updated_at: '2026-01-01T00:00:00.000Z', ...over };
}
const lock = (videos: Record<string, LockEntry>): Lockfile => ({ lockfileVersion: 1, videos, assets: {} });

describe('mergeForGit (three-way, video by video)', () => {
  const base = lock({ a: entry('a'), b: entry('b'), c: entry('c') });

  it('takes each side’s own changes, removals included', () => {
    const ours = lock({ a: entry('a', { video_id: 'new-a' }), b: entry('b'), c: entry('c') });
    const theirs = lock({ a: entry('a'), b: entry('b', { generation: 2 }), d: entry('d') });
    const r = mergeForGit({ base, ours, theirs, path: 'reel.lock' });
    expect(r.conflicts).toEqual([]);
    expect(Object.keys(r.lock.videos).sort()).toEqual(['a', 'b', 'd']);
    expect(r.lock.videos.a?.video_id).toBe('new-a');
    expect(r.lock.videos.b?.generation).toBe(2);
    expect(r.removed).toEqual(['c']);
  });

  it('an id named `constructor` is an id like any other', () => {
    const theirs = lock({ ...base.videos, constructor: entry('f') });
    const r = mergeForGit({ base, ours: base, theirs, path: 'reel.lock' });
    expect(r.added).toEqual(['constructor']);
    expect(r.conflicts).toEqual([]);
  });

  it('writes a conflict with both sides between markers, and reel refuses the file until it is resolved', () => {
    const ours = lock({ ...base.videos, b: entry('b', { video_id: 'ours-b' }) });
    const theirs = lock({ ...base.videos, b: entry('b', { video_id: 'theirs-b' }), c: entry('c', { status: 'failed' }) });
    const r = mergeForGit({ base, ours, theirs, path: 'reel.lock' });
    expect(r.conflicts.map((c) => c.id)).toEqual(['b']);
    const text = formatConflictedLock(r);
    const start = text.indexOf('<<<<<<< reel.lock (ours)');
    const middle = text.indexOf('=======');
    const end = text.indexOf('>>>>>>> reel.lock (theirs)');
    expect(start).toBeGreaterThan(0);
    expect(text.slice(start, middle)).toContain('"video_id": "ours-b"');
    expect(text.slice(middle, end)).toContain('"video_id": "theirs-b"');
    expect(text).toContain('"status": "failed"'); // c merged cleanly outside the markers
    expect(() => parseLock(text)).toThrow(/unresolved git merge conflict/);
    // Keeping one block leaves valid JSON.
    const keptTheirs = text.slice(0, start) + text.slice(middle + 8, end) + text.slice(end + '>>>>>>> reel.lock (theirs)\n'.length);
    expect(parseLock(keptTheirs).videos.b?.video_id).toBe('theirs-b');
  });
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('reel lock merge --driver, run by git', () => {
  async function repo(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'reel-driver-'));
    dirs.push(dir);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'test');
    await writeFile(join(dir, '.gitattributes'), 'reel.lock merge=reel-lock\n');
    git(dir, 'config', 'merge.reel-lock.driver', `"${process.execPath}" "${CLI}" lock merge --driver %O %A %B %P`);
    await writeFile(join(dir, 'reel.lock'), serializeLock(lock({ a: entry('a'), b: entry('b'), c: entry('c') })));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'base');
    return dir;
  }
  async function change(dir: string, branch: string, edit: (l: Lockfile) => void): Promise<void> {
    git(dir, 'checkout', '-q', branch);
    const l = parseLock(await readFile(join(dir, 'reel.lock'), 'utf8'));
    edit(l);
    await writeFile(join(dir, 'reel.lock'), serializeLock(l));
    git(dir, 'commit', '-qam', `change on ${branch}`);
  }

  it('merges two branches that changed different videos with no conflict, and rebases too', async () => {
    const dir = await repo();
    git(dir, 'branch', 'other');
    await change(dir, 'other', (l) => {
      l.videos.a = entry('a', { video_id: 'other-a' });
      delete l.videos.c;
    });
    await change(dir, 'main', (l) => {
      l.videos.b = entry('b', { video_id: 'main-b' });
    });
    // Without the driver, git's line merge would conflict here: the hunks touch neighbouring lines.
    git(dir, 'merge', '-q', '--no-edit', 'other');
    const merged = parseLock(await readFile(join(dir, 'reel.lock'), 'utf8'));
    expect(Object.keys(merged.videos).sort()).toEqual(['a', 'b']);
    expect(merged.videos.a?.video_id).toBe('other-a');
    expect(merged.videos.b?.video_id).toBe('main-b');

    // The lock job's `git pull --rebase` replays its lock commit over main's the same way.
    git(dir, 'checkout', '-q', '-b', 'rebased', 'other');
    await change(dir, 'rebased', (l) => {
      l.videos.e = entry('e');
      l.videos.a = entry('a', { video_id: 'other-a', status: 'completed', duration: 12 });
    });
    git(dir, 'rebase', '-q', 'main');
    const rebased = parseLock(await readFile(join(dir, 'reel.lock'), 'utf8'));
    expect(Object.keys(rebased.videos).sort()).toEqual(['a', 'b', 'e']);
    expect(rebased.videos.a?.duration).toBe(12);
    expect(rebased.videos.b?.video_id).toBe('main-b');
  });

  it('stops on one video changed two ways, with both sides in the file and on stderr', async () => {
    const dir = await repo();
    git(dir, 'branch', 'other');
    await change(dir, 'other', (l) => {
      l.videos.b = entry('b', { video_id: 'from-other' });
    });
    await change(dir, 'main', (l) => {
      l.videos.b = entry('b', { video_id: 'from-main' });
      l.videos.a = entry('a', { video_id: 'main-a' });
    });
    let failure: { status?: number; stderr?: string } = {};
    try {
      git(dir, 'merge', '--no-edit', 'other');
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure.status).not.toBe(0);
    expect(failure.stderr).toMatch(/conflict: b\n.*base\): completed video v-b.*\n.*\(ours\): completed video from-main.*\n.*\(theirs\): completed video from-other/);
    const text = await readFile(join(dir, 'reel.lock'), 'utf8');
    expect(text).toMatch(/<<<<<<< reel\.lock \(ours\)\n[^=]*"from-main"[^=]*=======\n[^>]*"from-other"[^>]*>>>>>>> reel\.lock \(theirs\)/);
    expect(text).toContain('"main-a"');
    expect(git(dir, 'diff', '--name-only', '--diff-filter=U').trim()).toBe('reel.lock');
  });
});

describe('a removal against a change, through `reel lock merge --driver`', () => {
  /** Every way a person resolves a hunk: keep ours, keep theirs (either may be the removal). */
  function resolve(text: string, keep: 'ours' | 'theirs'): string {
    return text.replace(/^<{7} .*\n([\s\S]*?)^={7}\n([\s\S]*?)^>{7} .*\n/gm, (_all, ours: string, theirs: string) => (keep === 'ours' ? ours : theirs));
  }
  // The conflicting id sorts first, in the middle, last; and two ids that are Object.prototype's.
  const cases: Array<[string, string[]]> = [
    ['first', ['aa', 'mm', 'zz']],
    ['middle', ['mm', 'aa', 'zz']],
    ['last', ['zz', 'aa', 'mm']],
    ['constructor', ['constructor', 'aa', 'zz']],
    ['__proto__', ['__proto__', 'aa', 'zz']],
    ['the only video', ['zz']],
  ];
  for (const [where, [id, ...others]] of cases) {
    for (const removedBy of ['ours', 'theirs'] as const) {
      it(`${where} (${id}), removed by ${removedBy}: markers reel names by line, and either side kept is a valid lock`, async () => {
        const dir = await mkdtemp(join(tmpdir(), 'reel-driver-'));
        dirs.push(dir);
        const with_ = (changed: LockEntry | undefined): string => {
          const videos = Object.create(null) as Record<string, LockEntry>;
          others.forEach((o, i) => {
            videos[o] = entry('ab'[i] as string, { video_id: `v-${o}` });
          });
          if (changed) Object.defineProperty(videos, id as string, { value: changed, enumerable: true, writable: true, configurable: true });
          return serializeLock(lock(videos));
        };
        const removed = with_(undefined);
        const changed = with_(entry('c', { generation: 2, video_id: 'changed' }));
        await writeFile(join(dir, 'O'), with_(entry('c')));
        await writeFile(join(dir, 'A'), removedBy === 'ours' ? removed : changed);
        await writeFile(join(dir, 'B'), removedBy === 'ours' ? changed : removed);
        const r = await runCli(['lock', 'merge', '--driver', 'O', 'A', 'B', 'reel.lock'], dir);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`conflict: ${id}`);
        const text = await readFile(join(dir, 'A'), 'utf8');
        const line = text.split('\n').findIndex((l) => l.startsWith('<<<<<<<')) + 1;
        expect(line).toBeGreaterThan(0);

        // reel reads the conflicted file as a conflict, naming where, not as broken JSON.
        await writeFile(join(dir, 'reel.lock'), text);
        await writeFile(join(dir, 'reel.yaml'), 'version: 1\nvideos: {}\n');
        const plan = await runCli(['plan'], dir);
        expect(plan.code).not.toBe(0);
        expect(plan.stderr).toContain(`reel.lock:${line}:1: unresolved git merge conflict`);
        expect(plan.stderr).not.toContain('not valid JSON');

        for (const keep of ['ours', 'theirs'] as const) {
          const kept = parseLock(resolve(text, keep));
          const keptRemoval = keep === removedBy;
          expect(Object.hasOwn(kept.videos, id as string)).toBe(!keptRemoval);
          if (!keptRemoval) expect(kept.videos[id as string]?.video_id).toBe('changed');
          for (const o of others) expect(kept.videos[o]?.video_id).toBe(`v-${o}`);
        }
      });
    }
  }
});
