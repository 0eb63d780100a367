import { EMULATOR_API, recordedApi } from '../util/api.js';
import type { Session, SessionMessage, SessionResource } from '../heygen/types.js';

/**
 * Reading an agent session for a person: the conversation in order, the agent's latest turn (its
 * storyboard when it waits for review) and what to do next. Pure: no I/O, no clock.
 */

/** The session's messages oldest first (HeyGen sends at most 40, newest first). */
export function chronological(session: Pick<Session, 'messages'>): SessionMessage[] {
  return [...(session.messages ?? [])].reverse();
}

/**
 * The agent's latest turn: its messages after the last user message, oldest first. While the session
 * is `reviewing` this is the storyboard; while `waiting_for_input`, the question.
 */
export function latestAgentTurn(session: Pick<Session, 'messages'>): SessionMessage[] {
  const turn: SessionMessage[] = [];
  for (const message of session.messages ?? []) {
    if (message.role === 'user') break;
    turn.push(message);
  }
  return turn.reverse();
}

/** The latest turn as lines of text, for build summaries (resource messages keep their caption). */
export function storyboardLines(session: Pick<Session, 'messages'>): string[] {
  return latestAgentTurn(session).map((m) => (m.type === 'error' ? `error: ${m.content}` : m.content));
}

/** Resource ids the latest turn refers to (storyboard drafts), in order, without repeats. */
export function latestResourceIds(session: Pick<Session, 'messages'>): string[] {
  return [...new Set(latestAgentTurn(session).flatMap((m) => m.resource_ids ?? []))];
}

/** HeyGen returns at most this many messages: with fewer, the conversation is complete. */
export const MAX_SESSION_MESSAGES = 40;

/** Whether the session's (complete) conversation has a user message with this text; undefined when it may be cut. */
export function userSaid(session: Pick<Session, 'messages'>, text: string): boolean | undefined {
  const messages = session.messages ?? [];
  if (messages.some((m) => m.role === 'user' && m.content === text)) return true;
  return messages.length < MAX_SESSION_MESSAGES ? false : undefined;
}

/** What a person should do next with the entry `id`, given the session's status. */
export function nextStep(id: string, status: string): string {
  switch (status) {
    case 'reviewing':
    case 'waiting_for_input':
      return `To ask for changes, add a line under \`revisions:\` of ${id} and run \`reel build\` (each revision is sent once). To render this storyboard, set \`approved: true\` and run \`reel build\`.`;
    case 'thinking':
    case 'generating':
      return `The agent is working; \`reel build\` follows it (nothing is sent again).`;
    case 'completed':
      return `The video is done. To pin it as a direct entry, run \`reel eject ${id}\`. A new revision renders a new video in the same session.`;
    case 'failed':
      return `The session failed. Change the prompt to start a new session, or run \`reel build --retry-failed\`.`;
    default:
      return `Run \`reel build\` to follow the session.`;
  }
}

/** Everything `reel review` shows, as data (`--json`). */
export interface ReviewView {
  id: string;
  session_id: string;
  /** The session's status on HeyGen. */
  status: string;
  /** The entry's status in reel.lock. */
  lock_status: string;
  title?: string | null;
  video_id?: string | null;
  /** Oldest first. */
  conversation: Array<{ role: string; type: string; content: string; created_at?: string; resource_ids?: string[] }>;
  /** The agent's latest turn (the storyboard while reviewing), oldest first. */
  storyboard: string[];
  /** Resources of the latest turn, as HeyGen describes them (a resource that could not be read is left out). */
  resources: SessionResource[];
  /**
   * Revisions in the manifest: whether each was sent (by content hash in reel.lock) and, when the
   * whole conversation is known, whether the session shows it (`false`: lost on the way).
   */
  revisions: Array<{ text: string; sent: boolean; in_conversation?: boolean }>;
  approved: boolean;
  next: string;
}

/** Human text of a review: the conversation, then the storyboard block, then what to do. */
export function formatReview(view: ReviewView): string {
  const lines: string[] = [];
  lines.push(`${view.id}: agent session ${view.session_id} is ${view.status.replace(/_/g, ' ')} (reel.lock: ${view.lock_status.replace(/_/g, ' ')})`);
  if (view.title) lines.push(`Title: ${view.title}`);
  if (view.video_id) lines.push(`Video: ${view.video_id}`);
  lines.push('', 'Conversation:');
  for (const m of view.conversation) {
    const who = m.role === 'user' ? 'you' : 'agent';
    const kind = m.type === 'text' ? '' : ` [${m.type}]`;
    const [first = '', ...rest] = m.content.split('\n');
    lines.push(`  ${who}${kind}: ${first}`);
    for (const line of rest) lines.push(`    ${line}`);
  }
  if (view.storyboard.length > 0) {
    lines.push('', view.status === 'reviewing' ? 'Storyboard:' : 'Latest from the agent:');
    for (const line of view.storyboard) lines.push(`  ${line}`);
  }
  for (const r of view.resources) {
    const meta = r.metadata
      ? Object.entries(r.metadata)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(', ')
      : '';
    lines.push(`  ${r.resource_type} ${r.resource_id}${meta ? ` (${meta})` : ''}${r.preview_url ? ` preview: ${r.preview_url}` : ''}`);
  }
  if (view.revisions.length > 0) {
    lines.push('', 'Revisions in the manifest:');
    for (const r of view.revisions) {
      const lost = r.sent && r.in_conversation === false ? '  (recorded as sent, but not in the conversation: it may have been lost; reel does not send it again — reword it to send it anew)' : '';
      lines.push(`  ${r.sent ? 'sent   ' : 'not yet'}  ${r.text}${lost}`);
    }
  }
  lines.push('', `Next: ${view.next}`);
  return `${lines.join('\n')}\n`;
}

/** Why the session of `id`, made against `made`, cannot be read through `api`. */
export function foreignSession(id: string, made: string | undefined, api: string): string {
  if (recordedApi(made) === EMULATOR_API) {
    return `${id} was built with \`reel build --emulator\`, whose emulator ended with that process. To review sessions offline, run \`reel emulator\` and build against it (HEYGEN_API_URL=http://127.0.0.1:4010 HEYGEN_API_KEY=any).`;
  }
  return `the session of ${id} was made against ${recordedApi(made)}, but HEYGEN_API_URL points at ${api}; it cannot be read there.`;
}
