import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from '../util/path.js';
import { renameInto } from '../util/atomic.js';
import { CancelledError } from '../errors.js';
import { linkedSignal } from '../util/signal.js';

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
  const linked = linkedSignal(signal, timeoutMs);
  try {
    return await download(url, dest, signal, linked.signal);
  } finally {
    linked.dispose();
  }
}

/** Video files reel writes; their first bytes must say so (an HTML error page must never be saved as one). */
const VIDEO = /\.(mp4|webm)$/i;
/** Content types a file host may give a video; anything else (text/html, application/json) is refused. */
const VIDEO_TYPES = /^(video\/|application\/octet-stream|binary\/octet-stream|application\/mp4)/i;

/** True when `head` starts like an MP4 (`ftyp` box) or a WebM (EBML header). */
function looksLikeVideo(head: Uint8Array): boolean {
  const ftyp = head.length >= 8 && head[4] === 0x66 && head[5] === 0x74 && head[6] === 0x79 && head[7] === 0x70;
  const ebml = head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
  return ftyp || ebml;
}

async function download(url: string, dest: string, signal: AbortSignal, linked: AbortSignal): Promise<DownloadedFile> {
  await mkdir(dirname(dest), { recursive: true });
  // Unique per download: two jobs of one build never share a temporary file.
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let response: Response;
  try {
    response = await fetch(url, { signal: linked });
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
  const video = VIDEO.test(dest);
  const type = response.headers.get('content-type');
  if (video && type && !VIDEO_TYPES.test(type)) {
    await response.body.cancel().catch(() => {});
    throw new TransferError(`the file host answered 200 with ${type.split(';')[0]}, not a video`);
  }
  const expected = Number(response.headers.get('content-length') ?? Number.NaN);
  const hash = createHash('sha256');
  const handle = await open(tmp, 'w', 0o644);
  let size = 0;
  try {
    let head: Uint8Array | undefined = video ? new Uint8Array(0) : undefined;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= 8) {
          if (!looksLikeVideo(head)) throw new TransferError('the file host answered 200 with a body that is not an MP4 or WebM video');
          head = undefined;
        }
      }
      hash.update(chunk);
      size += chunk.byteLength;
      await handle.write(chunk);
    }
    if (Number.isFinite(expected) && size !== expected) {
      throw new TransferError(`download truncated: ${size} of ${expected} bytes`);
    }
    if (size === 0) throw new TransferError('download was empty');
    if (head) throw new TransferError('the file host answered 200 with a body that is not an MP4 or WebM video');
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
  await renameInto(tmp, dest);
  return { size, sha256: hash.digest('hex') };
}
