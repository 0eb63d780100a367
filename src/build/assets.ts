import { sameApi } from '../util/api.js';
import { readFile } from 'node:fs/promises';
import { basename, extname } from '../util/path.js';
import { ApiError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { LockStore } from '../lock/index.js';
import type { LocalAsset } from '../manifest/types.js';
import { sha256 } from '../util/hash.js';

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.srt': 'application/x-subrip',
};

export interface UploadEvent {
  asset: LocalAsset;
  assetId: string;
  reused: boolean;
}

/**
 * Uploads each distinct local file once per run, and not at all when the lock already holds an
 * asset id for its content hash (built against the same API). Concurrent jobs that share a file
 * share the upload.
 */
export class AssetUploader {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly client: HeyGenClient,
    private readonly store: LockStore,
    private readonly api: string,
    private readonly onUpload?: (event: UploadEvent) => void,
  ) {}

  /** Asset ids for every local file of an entry, keyed by placeholder. */
  async resolve(assets: readonly LocalAsset[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const asset of assets) out.set(asset.placeholder, await this.ensure(asset));
    return out;
  }

  private ensure(asset: LocalAsset): Promise<string> {
    const known = this.store.data.assets[asset.sha256];
    if (known && sameApi(known.api, this.api)) {
      this.onUpload?.({ asset, assetId: known.asset_id, reused: true });
      return Promise.resolve(known.asset_id);
    }
    let pending = this.inFlight.get(asset.sha256);
    if (!pending) {
      pending = this.upload(asset);
      this.inFlight.set(asset.sha256, pending);
      // A failed upload may be tried again by the next job that needs the file.
      pending.catch(() => this.inFlight.delete(asset.sha256));
    }
    return pending;
  }

  private async upload(asset: LocalAsset): Promise<string> {
    const bytes = await readFile(asset.path);
    // The manifest was hashed when loaded; a file edited since would upload other bytes than the
    // fingerprint describes.
    if (sha256(bytes) !== asset.sha256) {
      throw new ApiError(`${asset.relPath} changed while reel was running; run the build again.`);
    }
    const mime = MIME[extname(asset.path).toLowerCase()] ?? 'application/octet-stream';
    // Files over POST /v3/assets' limit go through HeyGen's direct-upload flow.
    const outcome = await this.client.uploadLargeAsset(bytes, basename(asset.path), mime, asset.sha256);
    if (outcome.kind !== 'ok') {
      const detail = outcome.kind === 'error' ? `${outcome.code}: ${outcome.message}` : outcome.message;
      throw new ApiError(`uploading ${asset.relPath} failed (${detail})`, outcome.kind === 'error' ? outcome.status : undefined);
    }
    const assetId = outcome.value.asset_id;
    this.store.setAsset(asset.sha256, { asset_id: assetId, uploaded_at: new Date().toISOString(), api: this.api });
    this.onUpload?.({ asset, assetId, reused: false });
    return assetId;
  }
}

/** A deep copy of `body` with every string equal to a placeholder replaced by its asset id. */
export function substitutePlaceholders(body: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof body === 'string') return ids.get(body) ?? body;
  if (Array.isArray(body)) return body.map((item) => substitutePlaceholders(item, ids));
  if (body !== null && typeof body === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) out[key] = substitutePlaceholders(value, ids);
    return out;
  }
  return body;
}
