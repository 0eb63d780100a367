import { loadReview } from '../agent/review.js';
import { formatReview } from '../agent/transcript.js';
import { foreignSession } from '../agent/transcript.js';
import { UsageError } from '../errors.js';
import { connect } from '../heygen/client.js';
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
    const agents = Object.entries(lock.videos)
      .filter(([, v]) => v.session_id)
      .map(([id]) => id);
    throw new UsageError(`reel.lock has no entry "${options.id}"; run \`reel build\` first.${agents.length > 0 ? ` Agent entries in the lock: ${agents.join(', ')}.` : ''}`);
  }
  if (!locked.session_id) {
    throw new UsageError(`${options.id} has no agent session in reel.lock (${locked.mode === 'agent' ? 'it was not created yet; run `reel build`' : 'it is a direct entry'}).`);
  }
  const settings = requireApiKey(await readApiEnv(root, ctx.env));
  if (settings.notice) ctx.stderr.write(`reel: ${settings.notice}\n`);
  const api = apiIdentity(settings.baseUrl);
  if (!sameApi(locked.api, api)) {
    throw new UsageError(foreignSession(options.id, locked.api, api));
  }
  const client = connect(settings, ctx.signal);
  // The manifest tells which revisions exist; the lock which were sent. A broken manifest only
  // loses that list, not the review.
  const project = await loadProject(root, { signal: ctx.signal }).catch(() => undefined);
  const entry = project?.entries.find((e) => e.id === options.id);
  const view = await loadReview(client, options.id, locked, entry);
  ctx.stdout.write(options.json ? `${JSON.stringify(view, null, 2)}\n` : formatReview(view));
  return 0;
}
