import { createHash } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from '../util/path.js';
import { CancelledError } from '../errors.js';

/** The file host refused the URL (expired or never valid): fetch a fresh one from the API. */
export class UrlExpiredError extends Error {}
/** The body ended before Content-Length, or the connection broke: try again. */
export class TransferError extends Error {}

export interface DownloadedFile {
  size: number;
  sha256: string;
}

/**
 * Stream `url` into `dest`: a temporary sibling first, hashed on the way, its length checked
 * against Content-Length, then renamed into place. A reader of `dest` never sees a partial
 * file. The file host gets no API key (presigned URLs carry their own authorisation).
 */
export async function downloadTo(url: string, dest: string, signal: AbortSignal, timeoutMs = 600_000): Promise<DownloadedFile> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.tmp`);
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any([signal, timeout]) });
  } catch (error) {
    if (signal.aborted) throw new CancelledError('cancelled', { cause: error });
    throw new TransferError(`download failed: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 403 || response.status === 404 || response.status === 410) {
    await response.body?.cancel().catch(() => {});
    throw new UrlExpiredError(`the file host answered ${response.status}`);
  }
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new TransferError(`the file host answered ${response.status}`);
  }
  const expected = Number(response.headers.get('content-length') ?? Number.NaN);
  const hash = createHash('sha256');
  const handle = await open(tmp, 'w', 0o644);
  let size = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.byteLength;
      await handle.write(chunk);
    }
    if (Number.isFinite(expected) && size !== expected) {
      throw new TransferError(`download truncated: ${size} of ${expected} bytes`);
    }
    if (size === 0) throw new TransferError('download was empty');
    // No fsync: the rename alone keeps a killed process from leaving a partial file under the final
    // name, and the lock's size and sha256 let a later build notice anything else. Syncing every
    // video would stall the lock's own (synced) writes on a busy disk.
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => {});
    if (signal.aborted) throw new CancelledError('cancelled', { cause: error });
    if (error instanceof TransferError) throw error;
    throw new TransferError(`download failed: ${(error as Error).message}`, { cause: error });
  }
  await handle.close();
  try {
    await rename(tmp, dest);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  return { size, sha256: hash.digest('hex') };
}
