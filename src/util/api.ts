/**
 * Which API a video, session or asset id belongs to. reel records it on every lock entry (`api`)
 * and compares it before trusting an id: ids of the emulator mean nothing to HeyGen, and the other
 * way round. The identity is `heygen` for HeyGen's production API, `emulator` for the one
 * `reel build --emulator` starts and stops, or else the API's normalised base URL, so that one API
 * spelled two ways (`HTTPS://API.heygen.com:443/`) is never taken for two.
 */

/** HeyGen's production API; `HEYGEN_API_URL` overrides it (e.g. to point at `reel emulator`). */
export const DEFAULT_API_URL = 'https://api.heygen.com';

/** The identity of HeyGen's production API, and of a lock entry that records none. */
export const HEYGEN_API = 'heygen';
/** The identity of the throwaway emulator of `reel build --emulator`. */
export const EMULATOR_API = 'emulator';

/**
 * `url` as one spelling per API: scheme and host in lower case (WHATWG URL does both, and writes
 * IPv4 hosts in dotted form), no default port, `.` and `..` segments resolved, no trailing slash,
 * no credentials, query or fragment. Throws a TypeError when `url` is not a URL.
 */
export function normalizeApiUrl(url: string): string {
  const parsed = new URL(url.trim());
  const path = parsed.pathname.replace(/\/+$/, '');
  return `${parsed.protocol}//${parsed.host}${path}`;
}

/** The identity of the API at `baseUrl` (`heygen` for the production API). */
export function apiIdentity(baseUrl: string): string {
  const normal = normalizeApiUrl(baseUrl);
  return normal === DEFAULT_API_URL ? HEYGEN_API : normal;
}

// A lock names the same one or two APIs on thousands of entries; URL parsing is not free.
const recorded = new Map<string, string>();

/**
 * The identity a lock entry recorded, normalised: none means `heygen` (locks older than the field),
 * and a URL written in another spelling (by hand, or by an older reel) is the API it names.
 */
export function recordedApi(api: string | undefined): string {
  if (api === undefined || api === HEYGEN_API || api === EMULATOR_API) return api ?? HEYGEN_API;
  let identity = recorded.get(api);
  if (identity === undefined) {
    try {
      identity = apiIdentity(api);
    } catch {
      identity = redactUrl(api);
    }
    recorded.set(api, identity);
  }
  return identity;
}

/** True when ids recorded against `api` (from the lock) belong to the API `current` names. */
export function sameApi(api: string | undefined, current: string): boolean {
  return recordedApi(api) === recordedApi(current);
}

/** `url` fit for a message: any `user:password@` replaced, even when the rest is not a URL. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/*)[^/?#]*@/i, '$1***@');
}
