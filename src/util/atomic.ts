import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from './path.js';

/** Move a finished temporary file over `dest`; if the rename fails, the temporary file goes too. */
export async function renameInto(tmp: string, dest: string): Promise<void> {
  try {
    await rename(tmp, dest);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

/**
 * Replace `path` with `data` so that a reader, or a crash at any instant, sees either the old
 * bytes or the new ones: write a temporary sibling, fsync it, rename it over the target, fsync
 * the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await handle.close();
  await renameInto(tmp, path);
  const dirHandle = await open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => {});
    await dirHandle.close();
  }
}
