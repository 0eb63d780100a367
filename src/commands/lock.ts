import { readFile } from 'node:fs/promises';
import type { CommandOptions } from '../cli-options.js';
import { LockError, UsageError } from '../errors.js';
import { parseLock, serializeLock } from '../lock/file.js';
import { LOCKFILE_NAME, openLock } from '../lock/index.js';
import { type LockConflict, type LockFragment, formatConflictedLock, mergeForGit, mergeLocks, readFragment } from '../lock/merge.js';
import { type LockEntry, type Lockfile, emptyLock } from '../lock/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { displayPath, resolve } from '../util/path.js';
import type { CommandContext } from './context.js';

type LockOptions = CommandOptions<'lock'>;

/** What `reel init` sets up: the attribute and the git config line naming the driver. */
export const GIT_DRIVER_NAME = 'reel-lock';
export const GIT_ATTRIBUTE = `${LOCKFILE_NAME} merge=${GIT_DRIVER_NAME}`;
export const GIT_DRIVER_COMMAND = 'npx --no reel lock merge --driver %O %A %B %P';
export const GIT_CONFIG_LINE = `git config merge.${GIT_DRIVER_NAME}.driver "${GIT_DRIVER_COMMAND}"`;

/**
 * `reel lock merge FILES…`: combine the fragments of a sharded build (or whole lockfiles) into the
 * reel.lock of the working directory, which is the base every shard started from. Exit 0 when merged, 1 on conflicts (reel.lock
 * untouched) or unreadable files, 2 on usage errors.
 */
export async function run(options: LockOptions, ctx: CommandContext): Promise<number> {
  if (options.action !== 'merge') throw new UsageError(`unknown \`reel lock\` action \`${options.action}\`; the only one is \`reel lock merge FILES…\``);
  const files = options.files ?? [];
  if (files.length === 0) throw new UsageError('`reel lock merge` needs the lockfiles of the shards, e.g. `reel lock merge shard-*/reel.lock`');
  if (options.driver) return runDriver(files, options, ctx);

  const fragments: LockFragment[] = [];
  for (const file of files) {
    const path = resolve(ctx.cwd, file);
    fragments.push(await readFragment(path, displayPath(path, ctx.cwd)));
  }

  const store = await openLock(ctx.cwd, { wait: true, timeoutMs: 30_000 });
  try {
    const result = mergeLocks(store.data, fragments);
    if (result.conflicts.length > 0) {
      if (options.json) ctx.stdout.write(`${JSON.stringify({ merged: false, conflicts: result.conflicts.map(conflictJson) }, null, 2)}\n`);
      else ctx.stderr.write(formatConflicts(result.conflicts));
      ctx.stderr.write(`reel: ${result.conflicts.length} conflicting video${result.conflicts.length === 1 ? '' : 's'}; ${LOCKFILE_NAME} was not changed.\n`);
      return 1;
    }
    for (const id of result.removed) store.delete(id);
    for (const id of [...result.added, ...result.updated]) store.set(id, result.lock.videos[id] as LockEntry);
    for (const [sha, asset] of Object.entries(result.lock.assets)) {
      if (store.data.assets[sha]?.asset_id !== asset.asset_id || store.data.assets[sha]?.uploaded_at !== asset.uploaded_at) store.setAsset(sha, asset);
    }
    await store.commit();
    const counts = `${result.added.length} added, ${result.updated.length} updated, ${result.removed.length} removed`;
    if (options.json) {
      ctx.stdout.write(
        `${JSON.stringify({ merged: true, fragments: fragments.length, added: result.added, updated: result.updated, removed: result.removed, missing_shards: result.missingShards, duplicate_assets: result.duplicateAssets }, null, 2)}\n`,
      );
    } else {
      ctx.stdout.write(`Merged ${fragments.length} lockfile${fragments.length === 1 ? '' : 's'} into ${LOCKFILE_NAME}: ${counts}.\n`);
      if (result.missingShards.length > 0) ctx.stdout.write(`No fragment for shard ${result.missingShards.join(', ')}: its videos keep the entries ${LOCKFILE_NAME} had.\n`);
      if (result.duplicateAssets.length > 0) ctx.stdout.write(`${result.duplicateAssets.length} local file(s) were uploaded by more than one shard; the earliest upload is kept.\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * git's merge driver (`merge.reel-lock.driver`): a three-way merge of reel.lock video by video.
 * Exit 0 with the merged lock written over OURS; on a conflict exit 1, with OURS holding every
 * merged video plus each conflicting one written twice between markers, and both sides printed.
 */
async function runDriver(files: string[], options: LockOptions, ctx: CommandContext): Promise<number> {
  if (files.length < 3 || files.length > 4) {
    throw new UsageError(
      `\`reel lock merge --driver\` takes git's %O %A %B [%P] (base, ours, theirs, path), got ${files.length} file${files.length === 1 ? '' : 's'}. Set it up with: ${GIT_CONFIG_LINE}`,
    );
  }
  const [basePath, oursPath, theirsPath] = files.map((f) => resolve(ctx.cwd, f)) as [string, string, string];
  const label = files[3] ?? LOCKFILE_NAME;
  // git hands an empty %O when the file did not exist in the merge base.
  const read = async (path: string, side: string): Promise<Lockfile> => {
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new LockError(`cannot read ${label} (${side}): ${(error as Error).message}`, { cause: error });
    });
    return text.trim() === '' ? emptyLock() : parseLock(text, `${label} (${side})`);
  };
  const result = mergeForGit({ base: await read(basePath, 'base'), ours: await read(oursPath, 'ours'), theirs: await read(theirsPath, 'theirs'), path: label });
  if (result.conflicts.length === 0) {
    await writeFileAtomic(oursPath, serializeLock(result.lock));
    const counts = `${result.added.length} added, ${result.updated.length} updated, ${result.removed.length} removed`;
    if (options.json) ctx.stdout.write(`${JSON.stringify({ merged: true, added: result.added, updated: result.updated, removed: result.removed })}\n`);
    else ctx.stderr.write(`reel: merged ${label} video by video (${counts} from the other side).\n`);
    return 0;
  }
  await writeFileAtomic(oursPath, formatConflictedLock(result));
  if (options.json) ctx.stdout.write(`${JSON.stringify({ merged: false, conflicts: result.conflicts.map(conflictJson) }, null, 2)}\n`);
  ctx.stderr.write(formatConflicts(result.conflicts, 'git'));
  ctx.stderr.write(`reel: ${result.conflicts.length} video${result.conflicts.length === 1 ? '' : 's'} changed differently on both sides; ${label} holds both versions between conflict markers.\n`);
  return 1;
}

function describe(entry: LockEntry | undefined): string {
  if (!entry) return 'removed';
  const id = entry.video_id ? ` video ${entry.video_id}` : entry.session_id ? ` session ${entry.session_id}` : '';
  return `${entry.status}${id}, fingerprint ${entry.fingerprint.slice(0, 12)}`;
}

function formatConflicts(conflicts: readonly LockConflict[], how: 'shards' | 'git' = 'shards'): string {
  const lines: string[] = [];
  for (const c of conflicts) {
    lines.push(`conflict: ${c.id}`);
    lines.push(`  ${LOCKFILE_NAME} (base): ${c.base ? describe(c.base) : 'absent'}`);
    for (const side of c.sides) lines.push(`  ${side.file}: ${describe(side.entry)}`);
  }
  if (how === 'git') {
    lines.push(
      'Both branches recorded a different render of these videos. Keep the block of the side whose manifest you keep ' +
        '(or delete the entry to render it again), remove the markers, then `reel plan` shows what a build would do.',
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    'Each video is built by exactly one shard: merge the fragments of one run (.reel/shards/reel.lock.K-of-N), all with the same N. ' +
      "To settle a conflict, keep one file's version of the video (or remove the entry) and run `reel build` again.",
  );
  return `${lines.join('\n')}\n`;
}

function conflictJson(c: LockConflict): Record<string, unknown> {
  return { id: c.id, base: c.base ?? null, sides: c.sides.map((s) => ({ file: s.file, entry: s.entry ?? null })) };
}
