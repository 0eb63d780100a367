import { DEFAULT_APPROVAL_MESSAGE } from '../manifest/config.js';
import { sha256 } from '../util/hash.js';

/**
 * How reel records the messages it sent into an agent session (`messages_sent` in reel.lock): a
 * short content hash per message, in the order sent. Approvals carry a prefix so that a plan, which
 * does not know the configured approval text, can still tell them from revisions.
 */

/** Prefix of an approval's entry in `messages_sent`. */
export const APPROVAL_PREFIX = 'approval:';

/** The short content hash recorded in `messages_sent` for a revision. */
export function messageHash(message: string): string {
  return sha256(message).slice(0, 16);
}

/** The entry recorded in `messages_sent` for an approval. */
export function approvalHash(message: string): string {
  return `${APPROVAL_PREFIX}${messageHash(message)}`;
}

/** Whether a `messages_sent` entry is an approval (also the plain hash of the default text, as locks before the prefix recorded it). */
export function isApproval(sent: string): boolean {
  return sent.startsWith(APPROVAL_PREFIX) || sent === messageHash(DEFAULT_APPROVAL_MESSAGE);
}

/**
 * Whether the revisions already sent are still the first revisions of the manifest, in order. When
 * one was edited, removed or reordered, the conversation the session had no longer matches the
 * manifest, and only a new session can honour it.
 */
export function sentRevisionsStillHold(messagesSent: readonly string[] | undefined, revisions: readonly string[]): boolean {
  const sent = (messagesSent ?? []).filter((h) => !isApproval(h));
  if (sent.length > revisions.length) return false;
  return sent.every((hash, i) => hash === messageHash(revisions[i] as string));
}

/**
 * The next message a paused chat session should get: the first revision not yet sent, then — with
 * `approved` — the approval, unless one was already sent after the last revision.
 */
export function nextMessage(
  messagesSent: readonly string[] | undefined,
  revisions: readonly string[],
  approved: boolean,
  approvalMessage: string,
): { kind: 'revision' | 'approval'; text: string } | undefined {
  const sent = messagesSent ?? [];
  const revisionsSent = new Set(sent.filter((h) => !isApproval(h)));
  for (const revision of revisions) if (!revisionsSent.has(messageHash(revision))) return { kind: 'revision', text: revision };
  if (!approved) return undefined;
  const last = sent[sent.length - 1];
  if (last !== undefined && isApproval(last)) return undefined;
  return { kind: 'approval', text: approvalMessage };
}
