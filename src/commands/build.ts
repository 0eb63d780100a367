import { randomBytes } from 'node:crypto';
import { resolve } from '../util/path.js';
import { createInterface } from 'node:readline/promises';
import { DEFAULT_CONCURRENCY, findMissingOutputs, runBuild } from '../build/executor.js';
import { HEYGEN_SCHEDULE, LOCAL_SCHEDULE, type PollSchedule } from '../build/poller.js';
import { ApiError, CancelledError, ConfigError, UsageError } from '../errors.js';
import { connect } from '../heygen/client.js';
import { RateGate } from '../heygen/gate.js';
import { type LockStore, type Lockfile, openLock, readLock } from '../lock/index.js';
import { loadProject } from '../manifest/index.js';
import { type Change, type Plan, pausedForReview, plan, summarize } from '../plan/index.js';
import { parseShard } from '../util/shard.js';
import { estimateOf, forApi } from '../plan/api-scope.js';
import { JsonBuildReporter } from '../report/build-json.js';
import { PlainBuildReporter } from '../report/build-plain.js';
import type { BuildReporter } from '../report/build-reporter.js';
import { TtyBuildReporter } from '../report/build-tty.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { formatPlanHuman } from '../report/plan-human.js';
import { formatPlanJson } from '../report/plan-json.js';
import { apiIdentity, DEFAULT_API_URL, EMULATOR_API, recordedApi } from '../util/api.js';
import { type ApiSettings, isLocalUrl, readApiEnv, requireApiKey } from '../util/env.js';
import { inGithubActions, isCI, useColor } from '../util/terminal.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type BuildOptions = CommandOptions<'build'>;

/** Render time of the in-process emulator behind `--emulator`: quick, yet every status is visible. */
export const EMULATOR_RENDER_SECONDS = 0.5;
/** The commander default of `--out`; when it is what arrived, reel.config.yaml's `out` applies. */

/** `reel build`: plan, guard, confirm, then render what changed and update reel.lock. */
export async function run(options: BuildOptions, ctx: CommandContext): Promise<number> {
  const started = Date.now();
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new UsageError('--concurrency must be a whole number of at least 1.');
  }
  if (options.maxVideos !== undefined && options.maxVideos < 0) throw new UsageError('--max-videos must not be negative.');
  if (options.maxSeconds !== undefined && options.maxSeconds < 0) throw new UsageError('--max-seconds must not be negative.');
  const shard = options.shard ? parseShard(options.shard) : undefined;

  const project = await loadProject(ctx.cwd, { signal: ctx.signal });
  const root = project.root;
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    ctx.stderr.write(formatDiagnostics(project.diagnostics, ctx.cwd));
    if (inGithubActions(ctx.env)) (await import('../report/github.js')).annotateDiagnostics({ env: ctx.env, out: options.json ? ctx.stderr : ctx.stdout, cwd: ctx.cwd }, project.diagnostics);
    ctx.stderr.write(`reel: ${errors.length} error${errors.length === 1 ? '' : 's'} in the manifests; nothing was sent.\n`);
    return 1;
  }
  // Commander fills in the defaults, so a flag equal to its default defers to reel.config.yaml.
  // The flag wins over reel.config.yaml, which wins over the built-in default.
  const concurrency = options.concurrency ?? project.config.concurrency ?? DEFAULT_CONCURRENCY;
  const outDir = resolve(root, options.out ?? project.config.out);
  const apiEnv = options.emulator ? undefined : await readApiEnv(root, ctx.env);
  const api = options.emulator ? EMULATOR_API : apiIdentity(apiEnv?.baseUrl ?? DEFAULT_API_URL);
  const planOptions = { targets: options.target, shard, retryFailed: options.retryFailed };
  const makePlan = (lock: Lockfile): Plan => forApi(plan(project.entries, lock, planOptions), api);

  let current = makePlan(await readLock(root));
  if (options.emulator) refuseForeign(current);
  const awaitingReview = current.changes.filter(pausedForReview);

  if (options.dryRun) {
    ctx.stdout.write(options.json ? formatPlanJson(current, root) : formatPlanHuman(current, { cwd: ctx.cwd, color: color(ctx) }));
    return 0;
  }

  const download = options.download !== false;
  let missing = download ? await findMissingOutputs(current.changes, root, outDir) : [];
  if (options.emulator && missing.length > 0) {
    // An earlier emulator process and its files are gone; rendering again is free.
    current = rerender(current, missing);
    missing = [];
  }
  const work = current.changes.filter(needsNetwork);
  const failedEarlier = current.changes.filter((c) => c.action === 'failed' && !c.render);
  if (work.length === 0 && missing.length === 0) {
    // Nothing to do costs nothing: no key needed, no request sent, the lock untouched.
    const upToDate = current.changes.filter((c) => c.action === 'unchanged').length;
    const message = `Nothing to render: ${upToDate} video${upToDate === 1 ? '' : 's'} up to date.`;
    const review = awaitingReview.length > 0 ? ` ${awaitingReview.length} awaiting review (${awaitingReview.map((c) => c.id).join(', ')}): see \`reel review <id>\`.` : '';
    const extra = review + (failedEarlier.length > 0 ? ` ${failedEarlier.length} failed earlier (${failedEarlier.map((c) => c.id).join(', ')}): run with --retry-failed to render again.` : '');
    if (options.json) ctx.stdout.write(`${JSON.stringify({ type: 'done', nothing_to_do: true, unchanged: upToDate, failed: failedEarlier.map((c) => c.id), awaiting_review: awaitingReview.map((c) => c.id), time: new Date().toISOString() })}\n`);
    else ctx.stdout.write(`${message}${extra}\n`);
    return failedEarlier.length > 0 ? 1 : 0;
  }

  const refusal = overBudget(current, options);
  if (refusal) {
    ctx.stderr.write(`reel: refusing to start: ${refusal}; nothing was sent.\n`);
    return 1;
  }

  if (shouldConfirm(options, ctx)) {
    ctx.stdout.write(formatPlanHuman(current, { cwd: ctx.cwd, color: color(ctx) }));
    if (!(await confirm(ctx))) {
      ctx.stdout.write('Build cancelled; nothing was sent.\n');
      return 1;
    }
  }

  // From here on reel talks to an API: settle which one before taking the write lock.
  let emulator: { url: string; close(): Promise<void> } | undefined;
  let baseUrl: string;
  let apiKey: string;
  if (options.emulator) {
    apiKey = `reel-emulator-${randomBytes(12).toString('hex')}`;
    const { startEmulator } = await import('../emulator/index.js');
    emulator = await startEmulator({ port: 0, renderSeconds: EMULATOR_RENDER_SECONDS, apiKey });
    baseUrl = emulator.url;
  } else if (missing.length > 0 || current.changes.some((c) => needsApi(c, options.prune === true))) {
    const settings = requireApiKey(apiEnv ?? (await readApiEnv(root, ctx.env)));
    baseUrl = settings.baseUrl;
    apiKey = settings.apiKey;
    await preflight(settings, ctx);
  } else {
    // Only lock bookkeeping (metadata, removals without --prune): no request, so no key needed.
    baseUrl = apiEnv?.baseUrl ?? DEFAULT_API_URL;
    apiKey = '';
  }

  const reporter = pickReporter(options, ctx);
  let store: LockStore | undefined;
  let lockData: Lockfile | undefined;
  let requests = 0;
  try {
    store = await openLock(root, { wait: true, timeoutMs: 10_000 });
    lockData = store.data;
    if (store.tookOver) reporter.note(`took over a stale write lock of reel.lock held by pid ${store.tookOver.pid}`);
    // Another process may have changed the lock since it was read: plan again from what we hold.
    current = makePlan(store.data);
    if (download) missing = await findMissingOutputs(current.changes, root, outDir);
    if (options.emulator && missing.length > 0) {
      current = rerender(current, missing);
      missing = [];
    }
    const client = connect({ baseUrl, apiKey }, ctx.signal, {
      gate: new RateGate(),
      onRequest: () => {
        requests += 1;
      },
    });
    const result = await runBuild({
      root,
      plan: current,
      store,
      client,
      api,
      outDir,
      download,
      prune: options.prune === true,
      concurrency,
      titleTag: project.config.title_tag !== false,
      approvalMessage: project.config.approval_message,
      schedule: pollSchedule(isLocalUrl(baseUrl), ctx.env),
      signal: ctx.signal,
      emit: (event) => reporter.event(event),
      missing,
      ephemeralApi: options.emulator === true,
    });
    await store.close();
    store = undefined;
    const unchanged = current.changes.filter((c) => c.action === 'unchanged').length - missing.length;
    const totals = { results: result.results, unchanged, ms: Date.now() - started, requests, cancelled: result.cancelled };
    reporter.done(totals);
    // Annotations are workflow commands on stdout, except in --json mode where stdout is NDJSON only.
    if (inGithubActions(ctx.env)) await (await import('../report/github.js')).reportBuildToGithub({ env: ctx.env, out: options.json ? ctx.stderr : ctx.stdout, cwd: ctx.cwd }, { ...totals, sources: new Map(project.entries.map((e) => [e.id, e.source])), shard });
    if (result.cancelled || ctx.signal.aborted) return 130;
    return result.results.some((r) => r.result === 'failed' || r.result === 'unknown') || failedEarlier.length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof CancelledError || ctx.signal.aborted) {
      reporter.note('interrupted: reel.lock keeps every submission; run `reel build` again to resume.');
      return 130;
    }
    throw error;
  } finally {
    reporter.close();
    await store?.close();
    // The shard's fragment, written even after a failure or Ctrl-C: its submissions must reach the merge.
    if (shard && lockData) {
      const data = lockData;
      await (await import('../lock/merge.js')).writeShardFragment(root, data, shard).catch((error: unknown) => {
        ctx.stderr.write(`reel: could not write the shard's lock fragment: ${(error as Error).message}; reel.lock itself is up to date.\n`);
      });
    }
    await emulator?.close();
  }
}

/**
 * One `GET /v3/users/me` before anything is written: a wrong key or an unreachable API is reported
 * once, clearly, instead of as a failure of every job.
 */
async function preflight(settings: ApiSettings, ctx: CommandContext): Promise<void> {
  const client = connect(settings, ctx.signal);
  const me = await client.me();
  if (me.kind === 'ok') return;
  if (me.kind === 'error' && (me.status === 401 || me.status === 403)) {
    throw new ConfigError(`HeyGen rejected HEYGEN_API_KEY (from ${settings.keySource}): ${me.code}: ${me.message}. Check the key; nothing was sent.`);
  }
  const detail = me.kind === 'error' ? `${me.code}: ${me.message}` : me.message;
  throw new ApiError(`cannot use the HeyGen API at ${settings.baseUrl} (${detail}); nothing was sent.`);
}

/** Retries against a local API: same rules, shorter waits. */

/**
 * The poll schedule: slow against HeyGen, fast against a local emulator. `REEL_POLL_MS=first,min,max`
 * overrides it (for tests and unusual setups).
 */
export function pollSchedule(local: boolean, env: NodeJS.ProcessEnv): PollSchedule {
  const base = local ? LOCAL_SCHEDULE : HEYGEN_SCHEDULE;
  const raw = env.REEL_POLL_MS?.split(',').map(Number);
  if (!raw || raw.length !== 3 || raw.some((n) => !Number.isFinite(n) || n <= 0)) return base;
  const [firstMs, minMs, maxMs] = raw as [number, number, number];
  return { ...base, firstMs, minMs, maxMs };
}

/** Changes that send a request when applied. */
function needsNetwork(change: Change): boolean {
  if (pausedForReview(change)) return false;
  return change.render || change.action === 'resume' || change.action === 'remove' || change.action === 'metadata';
}

/** Changes whose application sends a request to the API. */
function needsApi(change: Change, prune: boolean): boolean {
  if (pausedForReview(change)) return false;
  if (change.action === 'remove') return prune && change.locked?.video_id !== undefined;
  return change.render || change.action === 'resume';
}

/** The same plan with `ids` rendered again (their earlier renders are unusable). */
function rerender(p: Plan, again: readonly Change[]): Plan {
  const ids = new Set(again.map((c) => c.id));
  const changes = p.changes.map((c): Change =>
    ids.has(c.id) ? { ...c, action: 'create', render: true, estimateSeconds: estimateOf(c) } : c,
  );
  return { changes, summary: summarize(changes) };
}

/** `--emulator` never replaces renders that HeyGen made (and billed). */
function refuseForeign(p: Plan): void {
  // Renders of another local emulator cost nothing either; those of HeyGen (or a remote API) did.
  const paid = (api: string): boolean => api !== EMULATOR_API && !isLocalUrl(api);
  const foreign = p.changes.filter((c) => c.render && c.locked && paid(recordedApi(c.locked.api)));
  if (foreign.length > 0) {
    throw new UsageError(
      `reel.lock holds ${foreign.length} video${foreign.length === 1 ? '' : 's'} rendered by ${recordedApi(foreign[0]?.locked?.api)} ` +
        `(${foreign.slice(0, 3).map((c) => c.id).join(', ')}${foreign.length > 3 ? ', …' : ''}); --emulator would replace them with emulator renders. ` +
        'Try the emulator in a copy of the project, or narrow the build with --target.',
    );
  }
}

function overBudget(p: Plan, options: BuildOptions): string | undefined {
  const renders = p.changes.filter((c) => c.render);
  if (options.maxVideos !== undefined && renders.length > options.maxVideos) {
    return `${renders.length} video${renders.length === 1 ? '' : 's'} would render, more than --max-videos ${options.maxVideos}`;
  }
  const seconds = renders.reduce((sum, c) => sum + c.estimateSeconds, 0);
  if (options.maxSeconds !== undefined && seconds > options.maxSeconds) {
    return `about ${Math.round(seconds)} s of video would render, more than --max-seconds ${options.maxSeconds}`;
  }
  return undefined;
}

/** Ask only a person at a terminal: never in CI, never with --yes or --json, never without a TTY. */
function shouldConfirm(options: BuildOptions, ctx: CommandContext): boolean {
  if (options.yes || options.json || options.emulator) return false;
  if (isCI(ctx.env)) return false;
  return process.stdin.isTTY === true && ctx.stdout.isTTY === true;
}

async function confirm(ctx: CommandContext): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: ctx.stdout });
  try {
    const answer = await rl.question('Proceed? [y/N] ', { signal: ctx.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

function color(ctx: CommandContext): boolean {
  return useColor(ctx.stdout, ctx.env);
}

function pickReporter(options: BuildOptions, ctx: CommandContext): BuildReporter {
  if (options.json) return new JsonBuildReporter(ctx.stdout);
  if (ctx.stdout.isTTY && !isCI(ctx.env)) return new TtyBuildReporter(ctx.stdout, color(ctx));
  return new PlainBuildReporter(ctx.stdout);
}
