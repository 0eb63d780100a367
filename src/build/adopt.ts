import type { HeyGenClient, Outcome } from '../heygen/client.js';
import type { Session, Video } from '../heygen/types.js';

/**
 * Seconds by which a listed `created_at` may precede the submit's time by HeyGen's clock and still
 * be the create's: the `Date` header reel reads HeyGen's time from has whole seconds, the answer
 * took a while to travel, and the host stamping `created_at` may not be the one stamping `Date`.
 * Never this machine's clock against HeyGen's: that difference can be hours (see heygen/clock.ts).
 */
export const CLOCK_SLACK_SECONDS = 300;
/** Pages of a listing reel reads before giving up on finding a lost create. */
const MAX_PAGES = 50;
/** Sessions read one by one when the search has no time bound (see findSession). */
const UNBOUNDED_SESSION_READS = 100;

export type Found<T> = { kind: 'found'; value: T } | { kind: 'none' } | { kind: 'error'; message: string };

/**
 * When to search a listing from: `since` is the submit's time by HeyGen's clock (Unix seconds), or
 * undefined when it is not known — HeyGen's answers carried no `Date` header, or the lock predates
 * `submitted_at_heygen`. Then there is no time bound at all: this machine's clock says nothing
 * about HeyGen's `created_at`, and a bound from it could stop the search before the create's own
 * item (one more bill) or reach back to someone else's (the wrong video).
 */
export type Since = number | undefined;

/**
 * Look for a video whose title carries `tag`, created no earlier than `since` (HeyGen's Unix
 * seconds, minus the slack; no bound when undefined). Reads `GET /v3/videos?title=` page by page
 * (newest first) until the listing is older than that. Among several matches the oldest wins: it is
 * the one HeyGen billed first. The tag names one render (fingerprint and generation), so without a
 * bound the search only reads further back.
 */
export async function findVideoByTag(client: HeyGenClient, tag: string, since: Since): Promise<Found<Video>> {
  const matches: Video[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const outcome = await client.listVideos({ title: tag, limit: 100, token });
    if (outcome.kind !== 'ok') return { kind: 'error', message: describe(outcome) };
    let older = false;
    for (const video of outcome.value.items) {
      const created = video.created_at ?? Number.POSITIVE_INFINITY;
      if (since !== undefined && created < since - CLOCK_SLACK_SECONDS) {
        older = true;
        continue;
      }
      if (video.title?.includes(tag)) matches.push(video);
    }
    if (older || !outcome.value.hasMore || !outcome.value.nextToken) break;
    token = outcome.value.nextToken;
  }
  if (matches.length === 0) return { kind: 'none' };
  matches.sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0));
  return { kind: 'found', value: matches[0] as Video };
}

/**
 * Look for an agent session that `request` made since `since` (HeyGen's Unix seconds, minus the
 * slack), and which no other lock entry owns, and claim it: the session is added to `claimed`
 * before this returns, with no await in between, so two jobs reconciling at once never adopt the
 * same one. Agent creates have no documented idempotency, so this is what stands between a lost
 * answer and a second bill. Among several matches since the submit the oldest wins (HeyGen billed
 * it first). Without a bound (`since` undefined) see findNewestSession.
 */
export async function findSession(client: HeyGenClient, request: Readonly<Record<string, unknown>>, since: Since, claimed: Set<string>): Promise<Found<Session>> {
  if (since === undefined) return findNewestSession(client, request, claimed);
  let token: string | undefined;
  const candidates: string[] = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const outcome = await client.listSessions({ limit: 100, token });
    if (outcome.kind !== 'ok') return { kind: 'error', message: describe(outcome) };
    let older = false;
    for (const s of outcome.value.items) {
      if (s.created_at < since - CLOCK_SLACK_SECONDS) older = true;
      else if (!claimed.has(s.session_id)) candidates.push(s.session_id);
    }
    if (older || !outcome.value.hasMore || !outcome.value.nextToken) break;
    token = outcome.value.nextToken;
  }
  const matches: Session[] = [];
  for (const id of candidates) {
    const outcome = await client.getSession(id);
    if (outcome.kind !== 'ok') {
      if (outcome.kind === 'error' && outcome.status === 404) continue;
      return { kind: 'error', message: describe(outcome) };
    }
    if (sessionMatches(outcome.value, request)) matches.push(outcome.value);
  }
  matches.sort((a, b) => a.created_at - b.created_at);
  // Claimed now, not when the lock is written: another job may have taken one while we listed.
  const mine = matches.find((s) => !claimed.has(s.session_id));
  if (!mine) return { kind: 'none' };
  claimed.add(mine.session_id);
  return { kind: 'found', value: mine };
}

/**
 * findSession when HeyGen's time of the submit is unknown: the newest unclaimed session whose
 * prompt matches, read newest first and at most UNBOUNDED_SESSION_READS of them. Without a bound,
 * the oldest match could be any earlier session of the same prompt (an entry removed and added
 * again, another branch's build), while the newest is the last one made with it — the lost create,
 * unless someone made another since. Past the reads it gives up ('none': the entry is left
 * unconfirmed, never created again), so an account with thousands of sessions costs a bounded
 * number of requests.
 */
async function findNewestSession(client: HeyGenClient, request: Readonly<Record<string, unknown>>, claimed: Set<string>): Promise<Found<Session>> {
  let token: string | undefined;
  let reads = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const listed = await client.listSessions({ limit: 100, token });
    if (listed.kind !== 'ok') return { kind: 'error', message: describe(listed) };
    for (const s of listed.value.items) {
      if (claimed.has(s.session_id)) continue;
      if (reads >= UNBOUNDED_SESSION_READS) return { kind: 'none' };
      reads += 1;
      const outcome = await client.getSession(s.session_id);
      if (outcome.kind !== 'ok') {
        if (outcome.kind === 'error' && outcome.status === 404) continue;
        return { kind: 'error', message: describe(outcome) };
      }
      // Claimed before any await, as in findSession.
      if (sessionMatches(outcome.value, request) && !claimed.has(s.session_id)) {
        claimed.add(s.session_id);
        return { kind: 'found', value: outcome.value };
      }
    }
    if (!listed.value.hasMore || !listed.value.nextToken) break;
    token = listed.value.nextToken;
  }
  return { kind: 'none' };
}

/** Request fields a session might echo besides its prompt (none are documented to; compared when present). */
const ECHOED = ['mode', 'orientation', 'avatar_id', 'voice_id', 'style_id', 'brand_kit_id', 'incognito_mode'] as const;

/**
 * Whether `session` can be the one `request` created: the same first user message (the prompt),
 * and the same value for every other request field the session shows. The contract's session
 * shows only the prompt, so two requests that differ elsewhere (portrait and landscape of one
 * prompt) look alike: see `promptsShared`.
 */
export function sessionMatches(session: Session, request: Readonly<Record<string, unknown>>): boolean {
  if (firstUserMessage(session) !== request.prompt) return false;
  const shown = session as unknown as Record<string, unknown>;
  for (const field of ECHOED) {
    if (shown[field] === undefined || shown[field] === null || request[field] === undefined) continue;
    if (shown[field] !== request[field]) return false;
  }
  return true;
}

/**
 * Prompts that two or more requests of a build share while differing in something else: a session
 * found for one of them may be another's, so it is never adopted by guess.
 */
export function promptsShared(requests: ReadonlyArray<{ prompt: unknown; fingerprint: string }>): Set<string> {
  const seen = new Map<string, string>();
  const shared = new Set<string>();
  for (const { prompt, fingerprint } of requests) {
    if (typeof prompt !== 'string') continue;
    const first = seen.get(prompt);
    if (first === undefined) seen.set(prompt, fingerprint);
    else if (first !== fingerprint) shared.add(prompt);
  }
  return shared;
}

/** Messages are newest first; the session's first user message is its prompt. */
export function firstUserMessage(session: Session): string | undefined {
  const messages = session.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (m && m.role === 'user' && m.type === 'text') return m.content;
  }
  return undefined;
}

function describe(outcome: Exclude<Outcome<unknown>, { kind: 'ok' }>): string {
  return outcome.kind === 'error' ? `${outcome.code}: ${outcome.message}` : outcome.message;
}
