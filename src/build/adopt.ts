import type { HeyGenClient, Outcome } from '../heygen/client.js';
import type { Session, Video } from '../heygen/types.js';

/** Seconds of clock difference between this machine and HeyGen that adoption tolerates. */
export const CLOCK_SLACK_SECONDS = 300;
/** Pages of a listing reel reads before giving up on finding a lost create. */
const MAX_PAGES = 50;

export type Found<T> = { kind: 'found'; value: T } | { kind: 'none' } | { kind: 'error'; message: string };

/**
 * Look for a video whose title carries `tag`, created no earlier than `since` (Unix seconds, minus
 * clock slack). Reads `GET /v3/videos?title=` page by page (newest first) until the listing is
 * older than that. Among several matches the oldest wins: it is the one HeyGen billed first.
 */
export async function findVideoByTag(client: HeyGenClient, tag: string, since: number): Promise<Found<Video>> {
  const matches: Video[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const outcome = await client.listVideos({ title: tag, limit: 100, token });
    if (outcome.kind !== 'ok') return { kind: 'error', message: describe(outcome) };
    let older = false;
    for (const video of outcome.value.items) {
      const created = video.created_at ?? Number.POSITIVE_INFINITY;
      if (created < since - CLOCK_SLACK_SECONDS) {
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
 * Look for an agent session created since `since` (Unix seconds, minus clock slack) that `request`
 * made, and which no other lock entry owns, and claim it: the session is added to `claimed` before
 * this returns, with no await in between, so two jobs reconciling at once never adopt the same
 * one. Agent creates have no documented idempotency, so this is what stands between a lost answer
 * and a second bill.
 */
export async function findSession(client: HeyGenClient, request: Readonly<Record<string, unknown>>, since: number, claimed: Set<string>): Promise<Found<Session>> {
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
