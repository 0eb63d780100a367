import { chronological, formatReview, latestResourceIds, nextStep, type ReviewView, storyboardLines, userSaid } from '../agent/transcript.js';
import { messageHash } from '../lock/messages.js';
import { foreignSession } from '../agent/transcript.js';
import { ApiError, UsageError } from '../errors.js';
import { connect } from '../heygen/client.js';
import type { SessionResource } from '../heygen/types.js';
import { readLock } from '../lock/index.js';
import { loadProject } from '../manifest/index.js';
import { apiIdentity, sameApi } from '../util/api.js';
import { readApiEnv, requireApiKey } from '../util/env.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type ReviewOptions = CommandOptions<'review'>;

/**
 * `reel review ID`: print an agent entry's session for a person — the conversation, the agent's
 * latest turn (the storyboard) with its resources, which revisions were sent, and what to do next.
 * Only reads: nothing is sent into the session.
 */
export async function run(options: ReviewOptions, ctx: CommandContext): Promise<number> {
  const root = ctx.cwd;
  const lock = await readLock(root);
  const locked = lock.videos[options.id];
  if (!locked) {
    const agents = Object.entries(lock.videos).filter(([, v]) => v.session_id).map(([id]) => id);
    throw new UsageError(
      `reel.lock has no entry "${options.id}"; run \`reel build\` first.${agents.length > 0 ? ` Agent entries in the lock: ${agents.join(', ')}.` : ''}`,
    );
  }
  if (!locked.session_id) {
    throw new UsageError(`${options.id} has no agent session in reel.lock (${locked.mode === 'agent' ? 'it was not created yet; run `reel build`' : 'it is a direct entry'}).`);
  }
  const settings = requireApiKey(await readApiEnv(root, ctx.env));
  const api = apiIdentity(settings.baseUrl);
  if (!sameApi(locked.api, api)) {
    throw new UsageError(foreignSession(options.id, locked.api, api));
  }
  const client = connect(settings, ctx.signal);
  const got = await client.getSession(locked.session_id);
  if (got.kind !== 'ok') {
    const detail = got.kind === 'error' ? `${got.code}: ${got.message}` : got.message;
    throw new ApiError(`cannot read agent session ${locked.session_id} of ${options.id}: ${detail}`, got.kind === 'error' ? got.status : undefined);
  }
  const session = got.value;
  const resources: SessionResource[] = [];
  for (const rid of latestResourceIds(session)) {
    const r = await client.getSessionResource(session.session_id, rid);
    // A resource is a detail of the storyboard; the conversation is still worth showing without it.
    if (r.kind === 'ok') resources.push(r.value);
  }

  // The manifest tells which revisions exist; the lock which were sent. A broken manifest only
  // loses that list, not the review.
  const project = await loadProject(root, { signal: ctx.signal }).catch(() => undefined);
  const entry = project?.entries.find((e) => e.id === options.id);
  const sent = new Set(locked.messages_sent ?? []);
  const view: ReviewView = {
    id: options.id,
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
    next: nextStep(options.id, session.status),
  };
  ctx.stdout.write(options.json ? `${JSON.stringify(view, null, 2)}\n` : formatReview(view));
  return 0;
}
