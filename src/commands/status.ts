import { type DriftKind, type DriftReport, type RemoteState, compareDrift } from '../drift/compare.js';
import { localStates, remoteStates, sessionStates } from '../drift/collect.js';
import { translationReads } from '../build/translation.js';
import { readLock } from '../lock/index.js';
import { connect } from '../heygen/client.js';
import { apiIdentity, recordedApi, sameApi } from '../util/api.js';
import { readApiEnv } from '../util/env.js';
import { ConfigError } from '../errors.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';
import { maxOf } from '../util/array.js';

type StatusOptions = CommandOptions<'status'>;

const LABELS: Record<DriftKind, string> = {
  ok: 'ok',
  in_flight: 'in flight',
  finished_remotely: 'finished on HeyGen, not collected',
  deleted_remotely: 'deleted on HeyGen',
  failed_remotely: 'failed on HeyGen',
  missing_local: 'file missing',
  altered_local: 'file altered',
  failed: 'failed',
};

/**
 * `reel status`: compare reel.lock with HeyGen (bulk statuses) and with the files on disk. Never
 * writes. Exit 0 when everything agrees (renders still in flight are fine), 1 when something
 * needs attention or on errors, 2 on usage errors.
 */
export async function run(options: StatusOptions, ctx: CommandContext): Promise<number> {
  const root = ctx.cwd;
  const lock = await readLock(root);
  const apiEnv = await readApiEnv(root, ctx.env);
  const api = apiIdentity(apiEnv.baseUrl);
  const otherApi = (entryApi: string | undefined): string | undefined => (sameApi(entryApi, api) ? undefined : `rendered by ${recordedApi(entryApi)}, not ${api}`);

  const mine = Object.values(lock.videos).filter((e) => !otherApi(e.api));
  const ids = mine.filter((e) => e.video_id && e.mode !== 'translate').map((e) => e.video_id as string);
  // Translations have their own status endpoint (their ids are not video ids).
  const translationIds = mine.filter((e) => e.video_id && e.mode === 'translate').map((e) => e.video_id as string);
  // Agent sessions still without a video: asked one by one (there is no bulk read for sessions).
  const sessionIds = mine.filter((e) => !e.video_id && e.session_id && (e.status === 'submitted' || e.status === 'awaiting_review')).map((e) => e.session_id as string);
  let remote = new Map<string, RemoteState>();
  let sessions = new Map<string, RemoteState>();
  let noKey = false;
  let requests = 0;
  const asks = ids.length + translationIds.length + sessionIds.length;
  if (asks > 0 && apiEnv.withheld) throw new ConfigError(apiEnv.withheld);
  if (asks > 0 && !apiEnv.apiKey) noKey = true;
  else if (asks > 0 && apiEnv.apiKey) {
    if (apiEnv.notice) ctx.stderr.write(`reel: ${apiEnv.notice}\n`);
    const client = connect({ baseUrl: apiEnv.baseUrl, apiKey: apiEnv.apiKey }, ctx.signal, {
      onRequest: () => {
        requests += 1;
      },
    });
    if (ids.length > 0) remote = await remoteStates(client, ids);
    if (translationIds.length > 0) {
      for (const [id, state] of await remoteStates(client, translationIds, translationReads(client).statuses, 'video translation')) remote.set(id, state);
    }
    if (sessionIds.length > 0) sessions = await sessionStates(client, sessionIds);
  }
  const local = await localStates(root, lock);
  const report = compareDrift({
    lock,
    remote,
    sessions,
    local,
    unchecked: (entry) => otherApi(entry.api) ?? (noKey && (entry.video_id || entry.session_id) ? 'HEYGEN_API_KEY is not set' : undefined),
  });

  if (options.json) {
    ctx.stdout.write(`${JSON.stringify({ drift: report.drift, remote_checked: !noKey, counts: report.counts, videos: report.videos }, null, ctx.stdout.isTTY ? 2 : undefined)}\n`);
  } else {
    ctx.stdout.write(formatStatus(report, { noKey, requests }));
  }
  return report.drift ? 1 : 0;
}

function formatStatus(report: DriftReport, info: { noKey: boolean; requests: number }): string {
  const lines: string[] = [];
  if (report.videos.length === 0) return 'reel.lock records no videos yet; run `reel plan` to see what a build would render.\n';
  const rows = report.videos.filter((v) => v.kinds[0] !== 'ok');
  if (rows.length > 0) {
    const width = maxOf(rows.map((v) => v.id.length));
    for (const v of rows) {
      const what = v.kinds.map((k) => (k === 'in_flight' && v.status === 'awaiting_review' ? `awaiting review (see \`reel review ${v.id}\`)` : LABELS[k])).join(', ');
      lines.push(`${v.id.padEnd(width)}  ${what}${v.message ? `: ${v.message}` : ''}`);
      for (const f of v.files) lines.push(`${' '.repeat(width)}    ${f.path} (${f.what}) ${f.state}`);
    }
    lines.push('');
  }
  const order: DriftKind[] = ['ok', 'in_flight', 'finished_remotely', 'failed', 'missing_local', 'altered_local', 'deleted_remotely', 'failed_remotely'];
  const parts = order.filter((k) => report.counts[k] > 0).map((k) => `${report.counts[k]} ${LABELS[k]}`);
  lines.push(`${report.videos.length} video${report.videos.length === 1 ? '' : 's'} in reel.lock: ${parts.join(', ')}.`);
  if (info.noKey) lines.push('HeyGen was not asked (HEYGEN_API_KEY is not set): only local files were checked.');
  const unchecked = report.videos.filter((v) => v.unchecked && v.unchecked !== 'HEYGEN_API_KEY is not set');
  if (unchecked.length > 0) lines.push(`${unchecked.length} not checked on HeyGen: ${unchecked[0]?.unchecked}${unchecked.length > 1 ? ' (and others)' : ''}.`);
  lines.push(report.drift ? 'Drift found.' : 'In sync.');
  return `${lines.join('\n')}\n`;
}
