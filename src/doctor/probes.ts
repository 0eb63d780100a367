/**
 * `reel doctor`'s probes: each checks one assumption reel makes about the live HeyGen API with a
 * call that cannot be billed — reads, and creates that HeyGen must refuse (an unknown avatar, a
 * zero-byte upload). docs/doctor.md lists them and why each is free.
 */
import { randomBytes } from 'node:crypto';
import type { HeyGenClient, ProbeAnswer } from '../heygen/client.js';

export interface DoctorRow {
  /** Stable name of the check, e.g. `bulk-status`. */
  id: string;
  assumption: string;
  /** What HeyGen answered, in words. */
  answered: string;
  /** What reel does about it (when it holds, and when it does not). */
  reel: string;
  holds: boolean;
}

export interface DoctorReport {
  holds: boolean;
  rows: DoctorRow[];
  /** Every request made, in order (never the key). */
  requests: Array<{ method: string; path: string; status: number; ms: number }>;
}

/** Every status word HeyGen's vocabularies use on `/v3/videos/statuses` (API.md §2.6). */
const STATUS_WORDS: ReadonlySet<string> = new Set(['queued', 'waiting', 'pending', 'processing', 'completed', 'failed', 'not_found']);
/** A read slower than this risks reel's 30 s read timeout under load. */
const SLOW_READ_MS = 10_000;
/** Items read to judge a listing's order. */
const ORDER_SAMPLE = 20;

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map((x) => obj(x) ?? {}) : []);

function said(answer: ProbeAnswer): string {
  if (answer.status === 0) return `no answer (${answer.code}: ${answer.message})`;
  return answer.code ? `${answer.status} ${answer.code}${answer.message ? `: ${answer.message}` : ''}` : String(answer.status);
}

const refused = (a: ProbeAnswer): boolean => a.status >= 400 && a.status < 500;

/** Runs every probe in order; stops after the account check when the key is not accepted. */
export async function runDoctor(client: HeyGenClient): Promise<DoctorReport> {
  const requests: DoctorReport['requests'] = [];
  const ask = async (method: 'GET' | 'POST', path: string, options: Parameters<HeyGenClient['probe']>[2] = {}): Promise<ProbeAnswer> => {
    const answer = await client.probe(method, path, options);
    requests.push({ method, path, status: answer.status, ms: answer.ms });
    return answer;
  };
  const rows: DoctorRow[] = [];
  const bogus = randomBytes(16).toString('hex');

  // ---- the key and the account
  const me = await ask('GET', '/v3/users/me');
  const account = obj(me.data);
  rows.push({
    id: 'account',
    assumption: 'HEYGEN_API_KEY is accepted (GET /v3/users/me)',
    answered: me.status === 200 && account ? `200: ${describeAccount(account)}` : said(me),
    reel: me.status === 200 ? 'sends this key on every call; renders draw on this balance' : 'cannot build with this key: check HEYGEN_API_KEY (and HEYGEN_API_URL)',
    holds: me.status === 200,
  });
  if (me.status !== 200) return { holds: false, rows, requests };

  // ---- one video: 404 is the only proof a video is gone
  const one = await ask('GET', `/v3/videos/${bogus}`);
  rows.push({
    id: 'video-404',
    assumption: 'GET /v3/videos/{id} answers 404 for a video that does not exist',
    answered: said(one),
    reel:
      one.status === 404
        ? "records a video as gone only after this 404 (and, for agent entries, the session's)"
        : 'never sees the proof it needs: a video missing from the bulk status stays unconfirmed until its deadline',
    holds: one.status === 404,
  });

  // ---- bulk statuses
  const bulk = await ask('GET', '/v3/videos/statuses', { query: { video_ids: bogus } });
  const bulkRows = list(bulk.data);
  const words = bulkRows.map((r) => String(r.status));
  const known = words.length > 0 && words.every((w) => STATUS_WORDS.has(w));
  rows.push({
    id: 'bulk-status',
    assumption: 'GET /v3/videos/statuses answers, in a known status vocabulary (an unknown id: not_found)',
    answered: bulk.status === 200 ? `200: ${words.length > 0 ? words.map((w) => `"${w}"`).join(', ') : 'no rows'}` : said(bulk),
    reel:
      bulk.status === 200 && known
        ? 'polls up to 100 videos a request; confirms any not_found with GET /v3/videos/{id} before believing it'
        : 'falls back to GET /v3/videos/{id} per video after 3 failed bulk polls in a row (more requests, same outcome); unknown words count as still rendering',
    holds: bulk.status === 200 && known,
  });

  // ---- the title filter with reel's tag characters, and list order
  const recent = await ask('GET', '/v3/videos', { query: { limit: ORDER_SAMPLE } });
  const tagged = list(recent.data).find((v) => typeof v.title === 'string' && /\[reel:[0-9a-f]{10}-g\d+\]/.test(v.title));
  const tag = tagged ? /\[reel:[0-9a-f]{10}-g\d+\]/.exec(String(tagged.title))?.[0] : undefined;
  const probeTag = tag ?? `[reel:${bogus.slice(0, 10)}-g0]`;
  const filtered = await ask('GET', '/v3/videos', { query: { title: probeTag, limit: 100 } });
  const found = list(filtered.data);
  const matched = tag ? found.some((v) => v.id === tagged?.id) : found.length === 0;
  rows.push({
    id: 'title-filter',
    assumption: "GET /v3/videos?title= takes reel's tag characters ([ ] : -) and matches a substring of the title",
    answered:
      filtered.status !== 200
        ? said(filtered)
        : tag
          ? `200: ${matched ? 'found' : 'did not find'} the video titled "${String(tagged?.title)}" by its tag ${tag}`
          : `200: ${found.length} match(es) for a tag no video has (no reel-tagged video in the account yet to test a real match)`,
    reel:
      filtered.status === 200 && matched
        ? 'before creating again after a lost answer, looks for the tagged video and adopts it'
        : 'cannot find a lost create by its title: only the Idempotency-Key (24 h) protects against a second render',
    holds: filtered.status === 200 && matched,
  });
  rows.push(orderRow('video-order', 'GET /v3/videos lists newest first', recent, list(recent.data)));

  const sessions = await ask('GET', '/v3/video-agents', { query: { limit: ORDER_SAMPLE } });
  rows.push(orderRow('session-order', 'GET /v3/video-agents lists newest first', sessions, list(sessions.data)));

  // ---- error replay under one Idempotency-Key: a create HeyGen must refuse, sent twice
  const key = `reel-doctor-${bogus.slice(0, 16)}`;
  const body = { type: 'avatar', avatar_id: `reel-doctor-no-such-avatar-${bogus.slice(0, 8)}`, script: 'reel doctor check.', voice_settings: { speed: 99 } };
  const first = await ask('POST', '/v3/videos', { json: body, idempotencyKey: key });
  if (!refused(first)) {
    rows.push({
      id: 'error-replay',
      assumption: 'a create for an unknown avatar is refused (so this check is free)',
      answered: `${said(first)} — HeyGen did not refuse it${first.status < 300 ? `; video ${String(obj(first.data)?.video_id ?? '?')} may exist` : ''}`,
      reel: 'stopped this check without sending it again; delete that video in HeyGen if it exists and report this',
      holds: false,
    });
  } else {
    const second = await ask('POST', '/v3/videos', { json: body, idempotencyKey: key });
    const replayed = second.replayed || (first.requestId !== undefined && first.requestId === second.requestId);
    rows.push({
      id: 'error-replay',
      assumption: 'a refused create is safe to send again under a new Idempotency-Key (HeyGen may replay errors for 24 h)',
      answered: refused(second)
        ? `refused twice (${said(first)}); the second answer was ${replayed ? 'replayed under the key' : 'not marked as a replay'}`
        : `refused, then ${said(second)} under the same key`,
      reel: 'after a definite refusal (4xx other than 409/429), sends the next create under a fresh key, recorded in reel.lock before it leaves',
      holds: refused(second),
    });
  }

  // ---- direct uploads exist (for files over 32,000,000 bytes)
  const upload = await ask('POST', '/v3/assets/direct-uploads', { json: { filename: 'reel-doctor.png', content_type: 'image/png', size_bytes: 0 } });
  rows.push({
    id: 'direct-upload',
    assumption: 'POST /v3/assets/direct-uploads exists (a zero-byte upload is refused with 400)',
    answered: said(upload),
    reel:
      upload.status === 400 || upload.status === 422
        ? 'uploads local files over 32,000,000 bytes through direct uploads'
        : 'a local file over 32,000,000 bytes will fail to upload: keep assets smaller or pass a URL',
    holds: upload.status === 400 || upload.status === 422,
  });

  // ---- catalog endpoints
  const catalog: Array<[string, string, string]> = [
    ['/v3/avatars/looks', 'id', 'looks'],
    ['/v3/voices', 'voice_id', 'voices'],
    ['/v3/video-agents/styles', 'style_id', 'styles'],
  ];
  const parts: string[] = [];
  let catalogOk = true;
  for (const [path, field, name] of catalog) {
    const answer = await ask('GET', path, { query: { limit: 1 } });
    const items = list(answer.data);
    const ok = answer.status === 200 && items.every((i) => typeof i[field] === 'string');
    catalogOk &&= ok;
    parts.push(`${name} ${answer.status === 200 ? (ok ? 'ok' : `200 without ${field}`) : said(answer)}`);
  }
  rows.push({
    id: 'catalog',
    assumption: 'the catalog endpoints answer with the ids manifests name (looks, voices, styles)',
    answered: parts.join('; '),
    reel: catalogOk ? '`reel avatars|voices|styles` and `validate --remote` read them' : '`reel avatars|voices|styles` and `validate --remote` cannot check ids; builds are unaffected',
    holds: catalogOk,
  });

  // ---- latency
  const reads = requests
    .filter((r) => r.method === 'GET' && r.status > 0)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const median = reads[Math.floor(reads.length / 2)] ?? 0;
  const slowest = reads.at(-1) ?? 0;
  rows.push({
    id: 'latency',
    assumption: `reads answer well within reel's 30 s read timeout (under ${SLOW_READ_MS / 1000} s)`,
    answered: `${reads.length} reads: median ${median} ms, slowest ${slowest} ms`,
    reel: 'times reads out after 30 s and writes after 120 s, retrying reads twice',
    holds: slowest < SLOW_READ_MS,
  });

  return { holds: rows.every((r) => r.holds), rows, requests };
}

function describeAccount(me: Record<string, unknown>): string {
  const who = typeof me.username === 'string' ? me.username : 'account';
  const wallet = obj(me.wallet);
  const subscription = obj(me.subscription);
  const usage = obj(me.usage_based);
  if (me.billing_type === 'wallet' && wallet) return `${who}, wallet, balance ${String(wallet.remaining_balance ?? '?')} ${String(wallet.currency ?? '')}`.trim();
  if (me.billing_type === 'subscription' && subscription) return `${who}, subscription plan ${String(subscription.plan ?? '?')}`;
  if (me.billing_type === 'usage_based' && usage) return `${who}, usage based, ${String(usage.remaining_credits ?? '?')} credits left`;
  return `${who}, billing ${String(me.billing_type ?? 'unknown')}`;
}

function orderRow(id: string, assumption: string, answer: ProbeAnswer, items: Record<string, unknown>[]): DoctorRow {
  const reel = 'stops reading a listing at the first item older than the create it reconciles';
  if (answer.status !== 200) {
    return { id, assumption, answered: said(answer), reel: `${reel}; this listing failed, so a lost create stays unconfirmed until it answers`, holds: false };
  }
  const times = items.map((i) => i.created_at).filter((t): t is number => typeof t === 'number');
  if (times.length < 2) return { id, assumption, answered: `200: ${times.length} item(s), too few to tell`, reel, holds: true };
  const newestFirst = times.every((t, i) => i === 0 || t <= (times[i - 1] as number));
  return {
    id,
    assumption,
    answered: `200: ${times.length} items ${newestFirst ? 'newest first' : 'NOT newest first'}`,
    reel: newestFirst ? reel : `${reel} — with another order it may stop too early and leave a lost create unconfirmed`,
    holds: newestFirst,
  };
}
