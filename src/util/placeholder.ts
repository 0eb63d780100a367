/** The string that stands for a local file in a request until the build uploads it. */
export const ASSET_PLACEHOLDER_PREFIX = 'reel-asset:sha256:';

export function assetPlaceholder(sha256: string): string {
  return `${ASSET_PLACEHOLDER_PREFIX}${sha256}`;
}
