import { messageHash } from '../lock/messages.js';
import { ApiError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { SessionResource } from '../heygen/types.js';
import type { LockEntry } from '../lock/types.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { chronological, latestResourceIds, nextStep, type ReviewView, storyboardLines, userSaid } from './transcript.js';

/**
 * Read an agent entry's session for a person (`reel review`, the studio's storyboard panel): the
 * conversation, the latest turn with its resources, and which of the manifest's revisions were sent.
 * Only reads: nothing is sent into the session. `entry` may be missing (a broken manifest).
 */
export async function loadReview(client: HeyGenClient, id: string, locked: LockEntry, entry: ResolvedEntry | undefined): Promise<ReviewView> {
  if (!locked.session_id) throw new ApiError(`${id} has no agent session in reel.lock yet`);
  const got = await client.getSession(locked.session_id);
  if (got.kind !== 'ok') {
    const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
    throw new ApiError(`cannot read agent session ${locked.session_id} of ${id}: ${detail}`, got.kind === 'error' ? got.status : undefined);
  }
  const session = got.value;
  const resources: SessionResource[] = [];
  for (const rid of latestResourceIds(session)) {
    const r = await client.getSessionResource(session.session_id, rid);
    // A resource is a detail of the storyboard; the conversation is still worth showing without it.
    if (r.kind === 'ok') resources.push(r.value);
  }
  const sent = new Set(locked.messages_sent ?? []);
  return {
    id,
    session_id: session.session_id,
    status: session.status,
    lock_status: locked.status,
    title: session.title ?? null,
    video_id: session.video_id ?? null,
    conversation: chronological(session).map((m) => ({
      role: m.role,
      type: m.type,
      content: m.content,
      ...(typeof m.created_at === 'number' ? { created_at: new Date(m.created_at * 1000).toISOString() } : {}),
      ...(m.resource_ids && m.resource_ids.length > 0 ? { resource_ids: m.resource_ids } : {}),
    })),
    storyboard: storyboardLines(session),
    resources,
    revisions: (entry?.agent?.revisions ?? []).map((text) => {
      const wasSent = sent.has(messageHash(text));
      const seen = wasSent ? userSaid(session, text) : undefined;
      return { text, sent: wasSent, ...(seen !== undefined ? { in_conversation: seen } : {}) };
    }),
    approved: entry?.agent?.approved ?? false,
    next: nextStep(id, session.status),
  };
}
