import { resolve } from '../util/path.js';
import { UsageError } from '../errors.js';
import { LOCKFILE_NAME, openLock } from '../lock/index.js';
import { type LockConflict, type LockFragment, mergeLocks, readFragment } from '../lock/merge.js';
import type { LockEntry } from '../lock/types.js';
import { displayPath } from '../util/path.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type LockOptions = CommandOptions<'lock'>;

/**
 * `reel lock merge FILES…`: combine the fragments of a sharded build (or whole lockfiles) into the
 * reel.lock of the working directory, which is the base every shard started from. Exit 0 when merged, 1 on conflicts (reel.lock
 * untouched) or unreadable files, 2 on usage errors.
 */
export async function run(options: LockOptions, ctx: CommandContext): Promise<number> {
  if (options.action !== 'merge') throw new UsageError(`unknown \`reel lock\` action \`${options.action}\`; the only one is \`reel lock merge FILES…\``);
  const files = options.files ?? [];
  if (files.length === 0) throw new UsageError('`reel lock merge` needs the lockfiles of the shards, e.g. `reel lock merge shard-*/reel.lock`');

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
      ctx.stdout.write(`${JSON.stringify({ merged: true, fragments: fragments.length, added: result.added, updated: result.updated, removed: result.removed, missing_shards: result.missingShards, duplicate_assets: result.duplicateAssets }, null, 2)}\n`);
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

function describe(entry: LockEntry | undefined): string {
  if (!entry) return 'removed';
  const id = entry.video_id ? ` video ${entry.video_id}` : entry.session_id ? ` session ${entry.session_id}` : '';
  return `${entry.status}${id}, fingerprint ${entry.fingerprint.slice(0, 12)}`;
}

function formatConflicts(conflicts: readonly LockConflict[]): string {
  const lines: string[] = [];
  for (const c of conflicts) {
    lines.push(`conflict: ${c.id}`);
    lines.push(`  ${LOCKFILE_NAME} (base): ${c.base ? describe(c.base) : 'absent'}`);
    for (const side of c.sides) lines.push(`  ${side.file}: ${describe(side.entry)}`);
  }
  lines.push(
    'Each video is built by exactly one shard: merge the fragments of one run (.reel/shards/reel.lock.K-of-N), all with the same N. ' +
      'To settle a conflict, keep one file\'s version of the video (or remove the entry) and run `reel build` again.',
  );
  return `${lines.join('\n')}\n`;
}

function conflictJson(c: LockConflict): Record<string, unknown> {
  return { id: c.id, base: c.base ?? null, sides: c.sides.map((s) => ({ file: s.file, entry: s.entry ?? null })) };
}
