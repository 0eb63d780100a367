import { randomBytes } from 'node:crypto';
import { ApiError, CancelledError, ConfigError, type SourcePosition, UsageError } from '../errors.js';
import { connect } from '../heygen/client.js';
import { RateGate } from '../heygen/gate.js';
import { HeyGenClock } from '../heygen/clock.js';
import { type LockStore, type Lockfile, openLock, readLock } from '../lock/index.js';
import { loadProject } from '../manifest/index.js';
import { DEFAULT_AGENT_DEADLINE_MINUTES, DEFAULT_RENDER_DEADLINE_MINUTES } from '../manifest/config.js';
import type { Diagnostic } from '../manifest/types.js';
import type { Me } from '../heygen/types.js';
import {
  type Change,
  concurrencyShare,
  configPlanOptions,
  DEFAULT_PRICING,
  formatCost,
  overBudget,
  pausedForReview,
  type Plan,
  plan,
  priceOf,
  productOf,
  removalGuard,
  summarize,
} from '../plan/index.js';
import { estimateOf, forApi } from '../plan/api-scope.js';
import { apiIdentity, DEFAULT_API_URL, EMULATOR_API, recordedApi } from '../util/api.js';
import { type ApiSettings, isLocalUrl, readApiEnv, requireApiKey } from '../util/env.js';
import { resolve } from '../util/path.js';
import type { Shard } from '../util/shard.js';
import type { JobResult } from './events.js';
import { DEFAULT_CONCURRENCY, runBuild } from './executor.js';
import { findMissingOutputs } from './outputs.js';
import { spokenDurations } from '../speech/cache.js';
import { HEYGEN_SCHEDULE, LOCAL_SCHEDULE, type PollSchedule } from './poller.js';
import type { BuildReporter, BuildTotals } from './reporter.js';

/** Render time of the in-process emulator behind `--emulator`: quick, yet every status is visible. */
export const EMULATOR_RENDER_SECONDS = 0.5;

export interface ApplyBuildOptions {
  /** Where the project is looked for (its root is the nearest reel.config.yaml above). */
  cwd: string;
  /** HEYGEN_API_URL, HEYGEN_API_KEY and REEL_POLL_MS are read from here (and the project's .env). */
  env: NodeJS.ProcessEnv;
  /** Aborting stops every request; what was submitted stays in the lock for the next build. */
  signal: AbortSignal;
  reporter: BuildReporter;
  /**
   * Asked once, with the plan, after the guards and before anything is sent; `false` ends the build
   * with nothing sent. Absent: the caller has already decided (`--yes`, CI, watch).
   */
  confirm?: (plan: Plan) => Promise<boolean>;
  /** Only plan (after the guards that need no network): nothing is sent, nothing written. */
  dryRun?: boolean;
  targets?: string[];
  shard?: Shard;
  /** Refuse to start when more would render. */
  maxVideos?: number;
  /** Refuse to start when more estimated seconds of video would render. */
  maxSeconds?: number;
  /** Refuse to start when the estimated cost (in reel.config.yaml's price unit) is higher. */
  maxCost?: number;
  /** Apply removals even when the removal guard (`removalGuard`) would refuse them. */
  allowRemovals?: boolean;
  /**
   * Asked when the plan made again under the write lock bills more than the plan confirmed (another
   * build changed reel.lock meanwhile): `what` names the difference. Absent (CI, `--yes`, watch):
   * such a build is refused.
   */
  confirmChanged?: (plan: Plan, what: string) => Promise<boolean>;
  /** Skip the wallet check of `GET /v3/users/me` (the caller knows the balance is not the limit). */
  skipWalletCheck?: boolean;
  /** Jobs in flight at once; else reel.config.yaml's, else DEFAULT_CONCURRENCY. */
  concurrency?: number;
  /** Output directory, relative to the project root; else reel.config.yaml's `out`. */
  out?: string;
  /** `false`: render but download nothing. */
  download?: boolean;
  retryFailed?: boolean;
  /** Delete removed entries' videos on the API too. */
  prune?: boolean;
  /** Minutes each render may take before it is left unconfirmed; else reel.config.yaml's deadlines. */
  deadlineMinutes?: number;
  /** Create agent sessions anew whose earlier create could not be confirmed (the user's decision). */
  recreateUnconfirmed?: boolean;
  /**
   * Render against the emulator instead of HeyGen: `true` starts a throwaway in-process one; a
   * running one (`reel studio --emulator`, whose sessions outlive the build) is used as it is.
   */
  emulator?: boolean | { url: string; apiKey: string };
}

/** How a build ended; the caller words it and picks the exit code (see `buildOutcome`). */
export type ApplyBuildResult =
  /** The manifests have errors: nothing was planned or sent. */
  | { kind: 'invalid'; diagnostics: Diagnostic[]; errors: number }
  /** `dryRun`: the plan, nothing sent. */
  | { kind: 'planned'; root: string; plan: Plan }
  /** Nothing to render, download or record: no request was sent and the lock is untouched. */
  | { kind: 'up-to-date'; root: string; plan: Plan; unchanged: number; failedEarlier: string[]; awaitingReview: string[] }
  /**
   * A guard refused the plan: a budget (`maxVideos`, `maxSeconds`, `maxCost`), the removal guard,
   * the wallet's balance, or a plan that changed under the write lock. Nothing was sent.
   */
  | { kind: 'over-budget'; root: string; plan: Plan; reason: string }
  /** The confirm callback said no: nothing was sent. */
  | { kind: 'declined'; root: string; plan: Plan }
  /** The plan was applied (perhaps only partly, when `interrupted`). */
  | {
      kind: 'applied';
      root: string;
      /** The plan applied: the one made again under the write lock. */
      plan: Plan;
      /** One result per job, in the order they finished. */
      results: JobResult[];
      /** What the reporter's `done` got. */
      totals: BuildTotals;
      /** Result kind → how many jobs ended so (`completed: 3, failed: 1`). */
      counts: Record<string, number>;
      /** Entries skipped because they failed in an earlier build (without `retryFailed`). */
      failedEarlier: string[];
      /** Aborted (the signal) while jobs ran: the lock keeps every submission. */
      interrupted: boolean;
      /** Where each entry is declared, for annotations. */
      sources: ReadonlyMap<string, SourcePosition>;
    }
  /** Aborted before the executor could report totals: the lock keeps every submission. */
  | { kind: 'interrupted'; root: string };

/** Whether a build did what it was asked: every job done, or `interrupted` (the CLI's 130). */
export function buildOutcome(result: ApplyBuildResult): 'ok' | 'failed' | 'interrupted' {
  switch (result.kind) {
    case 'planned':
      return 'ok';
    case 'up-to-date':
      return result.failedEarlier.length > 0 ? 'failed' : 'ok';
    case 'invalid':
    case 'over-budget':
    case 'declined':
      return 'failed';
    case 'interrupted':
      return 'interrupted';
    case 'applied':
      if (result.interrupted) return 'interrupted';
      return result.results.some((r) => r.result === 'failed' || r.result === 'unknown') || result.failedEarlier.length > 0 ? 'failed' : 'ok';
  }
}

/**
 * `reel build` as a library call: load the project, plan against reel.lock, guard (budgets,
 * `--emulator` never replacing paid renders), confirm, settle the API, take the write lock, plan
 * again from what the lock now holds, apply with the executor and report through `reporter`.
 * It prints nothing and exits nothing: problems that stop it before any job are thrown as
 * ReelErrors (`UsageError`, `ConfigError`, `ApiError`), everything else is in the result.
 */
export async function applyBuild(options: ApplyBuildOptions): Promise<ApplyBuildResult> {
  const { env, signal, reporter } = options;
  const started = Date.now();
  const project = await loadProject(options.cwd, { signal });
  const root = project.root;
  const errors = project.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { kind: 'invalid', diagnostics: project.diagnostics, errors: errors.length };

  // The option wins. reel.config.yaml's `concurrency` (else the default) is the whole account's
  // limit (HeyGen counts jobs per key), so a shard takes its share of it.
  const accountLimit = project.config.concurrency ?? DEFAULT_CONCURRENCY;
  const concurrency = options.concurrency ?? concurrencyShare(accountLimit, options.shard);
  const outDir = resolve(root, options.out ?? project.config.out);
  const apiEnv = options.emulator ? undefined : await readApiEnv(root, env);
  const api = options.emulator ? EMULATOR_API : apiIdentity(apiEnv?.baseUrl ?? DEFAULT_API_URL);
  // Text-to-speech previews give exact seconds: the guards use them as the plan shows them.
  const planOptions = {
    targets: options.targets,
    shard: options.shard,
    retryFailed: options.retryFailed,
    spoken: await spokenDurations(root),
    drafts: project.drafts,
    ...configPlanOptions(project.config),
  };
  const makePlan = (lock: Lockfile): Plan => forApi(plan(project.entries, lock, planOptions), api);

  for (const d of project.drafts) {
    reporter.note(`${d.id} is a draft and is not rendered (${d.needs.length > 0 ? `needs ${d.needs.join(', ')}` : 'remove `draft: true` to render it'})`);
  }
  let current = makePlan(await readLock(root));
  if (options.emulator) refuseForeign(current);
  const awaitingReview = current.changes.filter(pausedForReview);

  if (options.dryRun) return { kind: 'planned', root, plan: current };

  const download = options.download !== false;
  let missing = download ? await findMissingOutputs(current.changes, root, outDir) : [];
  if (options.emulator && missing.length > 0) {
    // An earlier emulator process and its files are gone; rendering again is free.
    current = rerender(current, missing);
    missing = [];
  }
  const work = current.changes.filter(needsNetwork);
  const failedEarlier = current.changes.filter((c) => c.action === 'failed' && !c.render).map((c) => c.id);
  if (work.length === 0 && missing.length === 0) {
    // Nothing to do costs nothing: no key needed, no request sent, the lock untouched.
    const unchanged = current.changes.filter((c) => c.action === 'unchanged').length;
    return { kind: 'up-to-date', root, plan: current, unchanged, failedEarlier, awaitingReview: awaitingReview.map((c) => c.id) };
  }

  const refusal = overBudget(current, options) ?? removalRefusal(current, options);
  if (refusal) return { kind: 'over-budget', root, plan: current, reason: refusal };

  if (options.confirm && !(await options.confirm(current))) return { kind: 'declined', root, plan: current };
  const confirmed = current;

  // From here on reel talks to an API: settle which one before taking the write lock.
  // One reading of HeyGen's clock for the run: the preflight's answer tells it before any intent.
  const heygenClock = new HeyGenClock();
  let emulator: { url: string; close(): Promise<void> } | undefined;
  let baseUrl: string;
  let apiKey: string;
  if (typeof options.emulator === 'object') {
    ({ url: baseUrl, apiKey } = options.emulator);
  } else if (options.emulator) {
    apiKey = `reel-emulator-${randomBytes(12).toString('hex')}`;
    const { startEmulator } = await import('../emulator/index.js');
    emulator = await startEmulator({ port: 0, renderSeconds: EMULATOR_RENDER_SECONDS, apiKey });
    baseUrl = emulator.url;
  } else if (missing.length > 0 || current.changes.some((c) => needsApi(c, options.prune === true))) {
    const settings = requireApiKey(apiEnv ?? (await readApiEnv(root, env)));
    // Named before the first request: a key never goes to an API nobody was told about.
    if (settings.notice) reporter.note(settings.notice);
    baseUrl = settings.baseUrl;
    apiKey = settings.apiKey;
    const me = await preflight(settings, signal, heygenClock);
    const short = options.skipWalletCheck ? undefined : walletShortfall(me, current);
    if (short) return { kind: 'over-budget', root, plan: current, reason: short };
  } else {
    // Only lock bookkeeping (metadata, removals without --prune): no request, so no key needed.
    baseUrl = apiEnv?.baseUrl ?? DEFAULT_API_URL;
    apiKey = '';
  }

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
    // Terraform's stale-plan rule: the budget holds for the plan applied, not the one confirmed.
    const grown = billedMore(confirmed, current);
    const again = overBudget(current, options) ?? removalRefusal(current, options);
    if (again) return { kind: 'over-budget', root, plan: current, reason: `reel.lock changed while waiting for it: ${again}` };
    if (grown && !(options.confirmChanged && (await options.confirmChanged(current, grown)))) {
      return {
        kind: 'over-budget',
        root,
        plan: current,
        reason: `reel.lock changed while waiting for it, and the plan now ${grown}${options.confirmChanged ? '' : '; run `reel plan` and build again'}`,
      };
    }
    if (options.shard && options.concurrency === undefined && options.shard.count > 1) {
      reporter.note(
        `shard ${options.shard.index}/${options.shard.count}: ${concurrency} job${concurrency === 1 ? '' : 's'} in flight, its share of concurrency ${accountLimit} ` +
          "(the whole account's limit, shared by the shards); --concurrency sets this shard's own",
      );
    }
    const client = connect({ baseUrl, apiKey }, signal, {
      gate: new RateGate(),
      clock: heygenClock,
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
      pricing: planOptions.pricing,
      shareRenders: planOptions.shareRenders,
      schedule: pollSchedule(isLocalUrl(baseUrl), env),
      deadlines: {
        directMs: (options.deadlineMinutes ?? project.config.render_deadline_minutes ?? DEFAULT_RENDER_DEADLINE_MINUTES) * 60_000,
        agentMs: (options.deadlineMinutes ?? project.config.agent_deadline_minutes ?? DEFAULT_AGENT_DEADLINE_MINUTES) * 60_000,
      },
      recreateUnconfirmed: options.recreateUnconfirmed === true,
      signal,
      emit: (event) => reporter.event(event),
      missing,
      ephemeralApi: Boolean(options.emulator),
    });
    await store.close();
    store = undefined;
    const unchanged = current.changes.filter((c) => c.action === 'unchanged').length - missing.length;
    const results = stillBilled(result.results, lockData);
    const totals: BuildTotals = {
      results,
      unchanged,
      ms: Date.now() - started,
      requests,
      cancelled: result.cancelled,
      // The emulator's renders are priced at HeyGen's rates, so the summary can say what they would cost.
      cost: { ...buildCost(current, results, lockData), ...(api === EMULATOR_API ? { free: true } : {}) },
    };
    if (result.cancelled || signal.aborted) reporter.note(interruptedNote(results));
    reporter.done(totals);
    const counts: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const r of result.results) counts[r.result] = (counts[r.result] ?? 0) + 1;
    return {
      kind: 'applied',
      root,
      plan: current,
      results,
      totals,
      counts,
      failedEarlier,
      interrupted: result.cancelled || signal.aborted,
      sources: new Map(project.entries.map((e) => [e.id, e.source])),
    };
  } catch (error) {
    if (error instanceof CancelledError || signal.aborted) {
      reporter.note('interrupted: reel.lock keeps every submission (HeyGen renders and bills them anyway); run `reel build` again to collect them.');
      return { kind: 'interrupted', root };
    }
    throw error;
  } finally {
    await store?.close();
    // The shard's fragment, written even after a failure or an abort: its submissions must reach the merge.
    if (options.shard && lockData) {
      const data = lockData;
      const shard = options.shard;
      await (await import('../lock/merge.js')).writeShardFragment(root, data, shard).catch((error: unknown) => {
        reporter.problem?.(`could not write the shard's lock fragment: ${(error as Error).message}; reel.lock itself is up to date.`);
      });
    }
    await emulator?.close();
  }
}

/**
 * What Ctrl-C left behind, in words that do not call paid renders "cancelled": jobs HeyGen already
 * has go on rendering (and are billed); the next build collects them. Jobs not sent cost nothing.
 */
export function interruptedNote(results: readonly JobResult[]): string {
  const submitted = results.filter((r) => r.result === 'submitted').length;
  const notStarted = results.filter((r) => r.result === 'cancelled').length;
  return `interrupted: ${submitted} submitted (HeyGen renders and bills them): the next \`reel build\` collects them; ${notStarted} not started.`;
}

/** The plan's estimate and what this build's completed renders cost (each HeyGen video once). */
function buildCost(p: Plan, results: readonly JobResult[], lock: Lockfile | undefined): NonNullable<BuildTotals['cost']> {
  const unit = p.summary.costUnit;
  const seen = new Set<string>();
  let rendered = 0;
  for (const r of results) {
    if (r.result !== 'completed' || r.action === 'download') continue;
    const locked = lock?.videos[r.id];
    if (!locked?.cost || locked.cost.unit !== unit) continue;
    const video = locked.video_id ?? r.id;
    if (seen.has(video)) continue;
    seen.add(video);
    rendered += locked.cost.amount;
  }
  return { estimated: p.summary.estimateCost, rendered, unit };
}

/** Cancelled jobs that HeyGen already had (the lock holds their video or session) are `submitted`. */
function stillBilled(results: readonly JobResult[], lock: Lockfile | undefined): JobResult[] {
  return results.map((r) => {
    if (r.result !== 'cancelled') return r;
    const locked = lock?.videos[r.id];
    const sent = locked?.status === 'submitted' && (locked.video_id !== undefined || locked.session_id !== undefined);
    return sent ? { ...r, result: 'submitted', message: 'HeyGen renders and bills it; the next `reel build` collects it' } : r;
  });
}

/**
 * One `GET /v3/users/me` before anything is written: a wrong key or an unreachable API is reported
 * once, clearly, instead of as a failure of every job.
 */
async function preflight(settings: ApiSettings, signal: AbortSignal, clock: HeyGenClock): Promise<Me> {
  const client = connect(settings, signal, { clock });
  const me = await client.me();
  if (me.kind === 'ok') return me.value;
  if (me.kind === 'error' && (me.status === 401 || me.status === 403)) {
    throw new ConfigError(`HeyGen rejected HEYGEN_API_KEY (from ${settings.keySource}): ${me.code}: ${me.message}. Check the key; nothing was sent.`);
  }
  const detail = me.kind === 'error' ? `${me.code}: ${me.message}` : me.message;
  throw new ApiError(`cannot use the HeyGen API at ${settings.baseUrl} (${detail}); nothing was sent.`);
}

/**
 * The poll schedule: slow against HeyGen, fast against a local emulator. `REEL_POLL_MS=first,min,max`
 * overrides it (for tests and unusual setups).
 */
export function pollSchedule(local: boolean, env: NodeJS.ProcessEnv): PollSchedule {
  const base = local ? LOCAL_SCHEDULE : HEYGEN_SCHEDULE;
  const raw = env.REEL_POLL_MS?.split(',').map(Number);
  if (raw?.length !== 3 || raw.some((n) => !Number.isFinite(n) || n <= 0)) return base;
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
  const pricing = p.pricing ?? DEFAULT_PRICING;
  const changes = p.changes.map((c): Change => {
    if (!ids.has(c.id)) return c;
    const seconds = estimateOf(c);
    const estimateCost = c.entry ? priceOf(productOf(c.entry), seconds, pricing) : 0;
    return { ...c, action: 'create', render: true, billed: true, estimateSeconds: seconds, estimateCost };
  });
  return { ...p, changes, summary: summarize(changes, pricing.unit) };
}

/**
 * What the plan made under the write lock bills beyond the confirmed one (ids and cost), or
 * undefined when it bills nothing new.
 */
export function billedMore(confirmed: Plan, applied: Plan): string | undefined {
  const before = new Set(confirmed.changes.filter((c) => c.billed).map((c) => c.id));
  const added = applied.changes.filter((c) => c.billed && !before.has(c.id)).map((c) => c.id);
  const more = applied.summary.estimateCost - confirmed.summary.estimateCost;
  if (added.length === 0 && more <= 1e-9) return undefined;
  const unit = applied.summary.costUnit;
  const ids = added.length > 0 ? ` (${added.slice(0, 5).join(', ')}${added.length > 5 ? ', …' : ''})` : '';
  return `renders ${applied.summary.renders} videos, ${formatCost(applied.summary.estimateCost, unit)}, where ${confirmed.summary.renders} (${formatCost(confirmed.summary.estimateCost, unit)}) were confirmed${ids}`;
}

/** The removal guard (see `removalGuard`), unless `allowRemovals`. */
function removalRefusal(p: Plan, options: Pick<ApplyBuildOptions, 'allowRemovals'>): string | undefined {
  if (options.allowRemovals) return undefined;
  const removals = removalGuard(p);
  return removals ? `${removals}; if that is meant, run again with --allow-removals (if manifests moved, fix \`manifests\` in reel.config.yaml)` : undefined;
}

/**
 * The wallet cannot pay for the plan: its estimated cost is above what `GET /v3/users/me` says is
 * left (a prepaid wallet in the price table's unit, or a usage-based spending cap in dollars).
 * Unknown balances (OAuth subscriptions, another unit) are no reason to refuse.
 */
export function walletShortfall(me: Me, p: Plan): string | undefined {
  const cost = p.summary.estimateCost;
  const unit = p.summary.costUnit;
  if (cost <= 0) return undefined;
  let left: number | undefined;
  const wallet = me.wallet;
  if (wallet && typeof wallet.remaining_balance === 'number' && (wallet.currency ?? 'usd') === unit) left = wallet.remaining_balance;
  const usage = me.usage_based;
  if (left === undefined && usage && unit === 'usd' && typeof usage.spending_cap_usd === 'number') {
    left = usage.spending_cap_usd - (usage.spending_current_usd ?? 0);
  }
  if (left === undefined || cost <= left) return undefined;
  return `the plan's estimated cost, ${formatCost(cost, unit)}, is more than the ${formatCost(left, unit)} left on the HeyGen account (${me.username}); top up the wallet, or build fewer videos with --target`;
}

/** `--emulator` never replaces renders that HeyGen made (and billed). */
function refuseForeign(p: Plan): void {
  // Renders of another local emulator cost nothing either; those of HeyGen (or a remote API) did.
  const paid = (api: string): boolean => api !== EMULATOR_API && !isLocalUrl(api);
  const foreign = p.changes.filter((c) => c.render && c.locked && paid(recordedApi(c.locked.api)));
  if (foreign.length > 0) {
    throw new UsageError(
      `reel.lock holds ${foreign.length} video${foreign.length === 1 ? '' : 's'} rendered by ${recordedApi(foreign[0]?.locked?.api)} ` +
        `(${foreign
          .slice(0, 3)
          .map((c) => c.id)
          .join(', ')}${foreign.length > 3 ? ', …' : ''}); --emulator would replace them with emulator renders. ` +
        'Try the emulator in a copy of the project, or narrow the build with --target.',
    );
  }
}
