import { approvalHash, isApproval, messageHash, nextMessage } from '../lock/messages.js';
import { storyboardLines } from '../agent/transcript.js';
import { ApiError } from '../errors.js';
import type { HeyGenClient, Outcome } from '../heygen/client.js';
import type { Session } from '../heygen/types.js';
import type { LockEntry, LockStore } from '../lock/index.js';
import type { ResolvedEntry } from '../manifest/types.js';
import { type Change, fieldDigests, stoppable, textFields } from '../plan/index.js';
import type { Emit, JobResult } from './events.js';
import { pause, type PollSchedule } from './poller.js';
import { iso, jobResult, recordFailure, unknownResult } from './records.js';
import { sameApi } from '../util/api.js';
import { sha256 } from '../util/hash.js';

/**
 * The agent chat protocol of a build: wait on a session, send the entry's revisions and its
 * approval (each at most once), stop a session an entry has left behind.
 */

/** Polls after a message that find the session paused as before it: the message did not arrive. */
const MESSAGE_STALL_POLLS = 10;

/** What the session protocol needs from the build it runs in. */
export interface SessionContext {
  client: HeyGenClient;
  store: LockStore;
  schedule: PollSchedule;
  signal: AbortSignal;
  emit: Emit;
  /** Which API this build talks to (see util/api). */
  api: string;
  /** Sent to approve a chat session's storyboard when the entry says `approved: true`. */
  approvalMessage: string;
  /** Set when the ids of a lock from an earlier emulator process are meaningless (`--emulator`). */
  ephemeralApi?: boolean;
}

/**
 * Poll an agent session until it renders a (new) video, or stops needing us. A video id alone is
 * not enough — HeyGen answers one at create (API.md §2.7) — so a video is taken only once the
 * session is `generating` or `completed`. A chat session (`review: true`) that pauses gets the
 * entry's unsent revisions, one per pause and each once, then — with `approved: true` — the
 * approval message; otherwise it is left awaiting review. A chat session that renders without the
 * approval is recorded as `unreviewed`. Past `deadlineAt` the entry is left unconfirmed.
 */
export async function awaitSession(o: SessionContext, change: Change, entry: ResolvedEntry, lock: LockEntry, started: number, deadlineAt = Number.POSITIVE_INFINITY): Promise<LockEntry | JobResult> {
  const { client, schedule, signal, store, emit } = o;
  const sessionId = lock.session_id as string;
  // A session continued for new revisions already made a video: wait for the next one.
  const oldVideo = change.continueSession ? lock.video_id : undefined;
  let current: LockEntry = change.continueSession ? { ...lock, fields: fieldDigests(entry), text: textFields(entry), generation: change.generation } : lock;
  let checks = 0;
  let lastStatus = '';
  let failures = 0;
  /** The newest message when we last sent one (from the lock: it outlives the build): a pause counts only once the agent answered. */
  let sentAfter: string | undefined = current.awaiting_answer;
  /** Polls since the send that found the session paused exactly as before it. */
  let unmoved = 0;
  for (;;) {
    if (Date.now() >= deadlineAt) {
      return unconfirmed(store, change, current, started, `agent session ${sessionId}`, lastStatus);
    }
    const outcome: Outcome<Session> = await client.getSession(sessionId);
    if (outcome.kind === 'ok') {
      failures = 0;
      const session = outcome.value;
      if (session.status !== lastStatus) {
        lastStatus = session.status;
        emit({ type: 'status', id: entry.id, status: session.status });
      }
      const newest = messageDigest(session);
      const answered = sentAfter === undefined || (newest !== sentAfter && session.messages?.[0]?.role !== 'user');
      if (answered && sentAfter !== undefined) {
        sentAfter = undefined;
        const { awaiting_answer: _, ...rest } = current;
        current = { ...rest, updated_at: iso() };
        store.set(entry.id, current);
      }
      const rendering = session.status === 'generating' || session.status === 'completed';
      const videoId = rendering ? await renderedVideo(client, session, current, oldVideo) : undefined;
      if (videoId && videoId !== oldVideo) {
        const next: LockEntry = { ...current, status: 'submitted', video_id: videoId, updated_at: iso() };
        delete next.unreviewed;
        const chat = entry.request.mode === 'chat';
        if (chat && !(current.messages_sent ?? []).some(isApproval)) {
          // Chat mode "auto-proceeds on confirmations" (API.md §2.8): it rendered on its own.
          next.unreviewed = true;
          const unheard = nextMessage(current.messages_sent, entry.agent?.revisions ?? [], false, '') !== undefined;
          emit({
            type: 'warning',
            id: entry.id,
            message: `the agent rendered without waiting for review (HeyGen's chat mode does not always stop at the storyboard); the video is recorded as unreviewed, not approved — watch it, and add revisions: to ask for changes${unheard ? ' (it has not heard the committed revisions yet: the next build sends them, and the agent renders again)' : ''}`,
          });
        }
        store.set(entry.id, next);
        await store.commit();
        return next;
      }
      if (session.status === 'failed') {
        return recordFailure(store, change, current, 'agent_failed', lastModelMessage(session, 'error') ?? 'the agent session failed', started);
      }
      const paused = session.status === 'waiting_for_input' || session.status === 'reviewing' || session.status === 'completed';
      unmoved = paused && sentAfter !== undefined && newest === sentAfter ? unmoved + 1 : 0;
      if (unmoved >= MESSAGE_STALL_POLLS) {
        // The session never saw the message (an ambiguous send that did not arrive). Its hash stays
        // recorded — sending it again could duplicate it — so a person decides, with `reel review`.
        return leftForReview(
          store,
          change,
          current,
          session,
          started,
          `the agent did not take the last message (it may have been lost on the way; it is not sent again); see \`reel review ${entry.id}\``,
        );
      }
      if (paused && answered) {
        if (entry.request.mode !== 'chat') {
          if (session.status === 'completed') {
            return recordFailure(store, change, current, 'agent_failed', 'the agent session completed without a video', started);
          }
          // Generate mode should never stop to ask; report the question instead of waiting forever.
          return recordFailure(store, change, current, 'agent_needs_input', `the agent asked: ${lastModelMessage(session, 'text') ?? '(no message)'}`, started);
        }
        const message = nextMessage(current.messages_sent, entry.agent?.revisions ?? [], entry.agent?.approved === true, o.approvalMessage);
        if (message) {
          current = await sendReviewMessage(o, entry, { ...current, awaiting_answer: newest }, message);
          sentAfter = newest;
          checks = 0;
          continue;
        }
        if (session.status === 'completed' && oldVideo) {
          // Nothing new to say and nothing new rendered: the earlier video stands.
          const next: LockEntry = { ...current, status: 'submitted', video_id: oldVideo, updated_at: iso() };
          store.set(entry.id, next);
          return next;
        }
        return leftForReview(store, change, current, session, started, `the agent is waiting for review; see \`reel review ${entry.id}\``);
      }
    } else if (outcome.kind === 'error' && outcome.status === 404) {
      return recordFailure(store, change, current, 'not_found', `HeyGen no longer knows agent session ${sessionId}`, started);
    } else if (outcome.kind === 'error' && (outcome.status === 401 || outcome.status === 403)) {
      throw new ApiError(`HeyGen refused to read session ${sessionId}: ${outcome.code}: ${outcome.message}`, outcome.status, outcome.code);
    } else if ((failures += 1) > 20) {
      throw new ApiError(`cannot read agent session ${sessionId}: ${outcome.message}`);
    }
    checks += 1;
    // Agent sessions think for many minutes, and each is polled on its own: back off further.
    const ms = checks === 1 ? schedule.firstMs : Math.min(schedule.maxMs * 2, schedule.minMs * schedule.factor ** (checks - 2));
    await pause(ms, signal);
  }
}

/**
 * A chat session paused for a person: the lock says so (the next build does not wait on it), and the
 * result carries the agent's storyboard for the summary.
 */
function leftForReview(store: LockStore, change: Change, lock: LockEntry, session: Session, started: number, message: string): JobResult {
  store.set(change.id, { ...lock, status: 'awaiting_review', updated_at: iso() });
  return jobResult(change, started, 'awaiting_review', { sessionId: lock.session_id, message, storyboard: storyboardLines(session) });
}

/**
 * Send one message into a session, at most once: its hash is durable in the lock before it
 * leaves (messages have no idempotency), and removed again only if HeyGen refused it outright.
 */
async function sendReviewMessage(o: SessionContext, entry: ResolvedEntry, lock: LockEntry, next: { kind: 'revision' | 'approval'; text: string }): Promise<LockEntry> {
  const { store, client, emit } = o;
  const message = next.text;
  const hash = next.kind === 'approval' ? approvalHash(message) : messageHash(message);
  const marked: LockEntry = { ...lock, messages_sent: [...(lock.messages_sent ?? []), hash], updated_at: iso() };
  store.set(entry.id, marked);
  await store.commit();
  const outcome = await client.sendMessage(lock.session_id as string, { message });
  if (outcome.kind === 'error') {
    const { awaiting_answer: _, ...before } = lock;
    store.set(entry.id, before);
    throw new ApiError(`sending a message to the agent session of ${entry.id} failed: ${outcome.code}: ${outcome.message}`, outcome.status, outcome.code);
  }
  if (outcome.kind === 'ambiguous') {
    emit({ type: 'warning', id: entry.id, message: `a message may not have reached the agent (${outcome.message}); it is not sent again — check with \`reel review ${entry.id}\`` });
  }
  emit({ type: 'status', id: entry.id, status: next.kind === 'approval' ? 'approved' : 'revision sent' });
  return marked;
}

/**
 * An agent entry starting over in a new session: stop the old one if it may still be running, so
 * that it does not go on to render (and bill) a video nobody will collect. Best effort.
 */
export async function stopOldSession(o: SessionContext, change: Change): Promise<void> {
  const old = change.locked;
  if (!old?.session_id || !stoppable(change) || o.ephemeralApi || !sameApi(old.api, o.api)) return;
  const outcome = await o.client.stopSession(old.session_id);
  if (outcome.kind === 'ok' || (outcome.kind === 'error' && outcome.status === 404)) {
    o.emit({ type: 'status', id: change.id, status: `stopped the old session ${old.session_id}` });
    return;
  }
  o.emit({ type: 'warning', id: change.id, message: `could not stop the old agent session ${old.session_id} (${outcome.message}); stop it in HeyGen if it still runs` });
}

/** A short digest of the session's newest message (what the lock's `awaiting_answer` holds). */
function messageDigest(session: Session): string {
  return sha256(JSON.stringify(session.messages?.[0] ?? null)).slice(0, 16);
}

/**
 * The video a rendering session made: after messages (revisions, follow-ups) the newest one of
 * `GET /v3/video-agents/{id}/videos`, since `video_id` may still name an earlier render; else the
 * session's `video_id`.
 */
async function renderedVideo(client: HeyGenClient, session: Session, lock: LockEntry, oldVideo: string | undefined): Promise<string | undefined> {
  if ((lock.messages_sent ?? []).length === 0 && !oldVideo && session.video_id) return session.video_id;
  const listed = await client.listSessionVideos(session.session_id);
  if (listed.kind === 'ok' && listed.value[0]?.id) return listed.value[0].id;
  return session.video_id ?? undefined;
}

/**
 * A render not finished by its deadline: nothing is known to have failed, so the lock keeps it
 * `submitted` (the next build resumes it, never creates it again) and the result says what to do.
 */
export function unconfirmed(store: LockStore, change: Change, lock: LockEntry, started: number, what: string, lastStatus: string | undefined): JobResult {
  store.set(change.id, { ...lock, status: 'submitted', updated_at: iso() });
  const minutes = Math.round(((Date.now() - started) / 60_000) * 10) / 10;
  return unknownResult(
    change,
    started,
    'unconfirmed',
    `HeyGen has not finished ${what} after ${minutes} min${lastStatus ? ` (last status: ${lastStatus})` : ''}; ` +
      `left unconfirmed in reel.lock — run \`reel build\` again later to resume waiting (it is never rendered again), ` +
      `or give it longer with --deadline (render_deadline_minutes / agent_deadline_minutes)`,
    lock,
  );
}

function lastModelMessage(session: Session, type: 'text' | 'error'): string | undefined {
  // Newest first.
  return (session.messages ?? []).find((m) => m.role === 'model' && m.type === type)?.content;
}
