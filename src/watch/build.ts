import { type ApplyBuildOptions, type ApplyBuildResult, applyBuild, buildOutcome } from '../build/apply.js';
import { describeEvent } from '../build/describe.js';
import type { BuildEvent } from '../build/events.js';
import type { BuildReporter } from '../build/reporter.js';
import { ReelError } from '../errors.js';
import { formatCost } from '../plan/cost.js';
import type { Plan } from '../plan/plan.js';
import type { RunReport, WatchSnapshot } from './engine.js';
import type { WatchReporter } from './reporter.js';
import type { RunListener } from './session.js';

/**
 * Quiet period after the last save before `--build` renders: a few saves in a row make one build,
 * and a save made by mistake can still be undone before anything is paid for.
 */
export const BUILD_QUIET_MS = 3000;

/**
 * What `watch --build` may spend in one session (every run together), unless flags say otherwise:
 * a template saved over a data file of hundreds of rows must not render them all unasked.
 */
export const WATCH_DEFAULT_MAX_VIDEOS = 10;

/** Above these a run asks first on a terminal (`--yes` does not apply to watch). */
export const WATCH_CONFIRM_VIDEOS = 3;
export const WATCH_CONFIRM_COST_USD = 5;

/** Limits of a whole `watch --build` session; each run gets what is left. */
export interface WatchBudget {
  maxVideos?: number;
  maxSeconds?: number;
  maxCost?: number;
}

/** Where watch builds: the project and environment `reel watch` runs in, and its Ctrl-C signal. */
export interface BuildSite {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/**
 * Builds some ids: `applyBuild` itself, in this process, so that watch renders through exactly the
 * same guards, exactly-once rules and lock as `reel build --yes --target <id>…`.
 */
export type BuildRunner = (options: ApplyBuildOptions) => Promise<ApplyBuildResult>;

interface InFlight {
  /** Fingerprint each id is being rendered with. */
  ids: Map<string, string | undefined>;
  controller: AbortController;
  done: Promise<void>;
  stale: boolean;
}

/**
 * `reel watch --build`: collects the ids each run changed into renders, and after a quiet period
 * builds them. One build at a time (they share the lock); a save that changes an id being rendered
 * aborts that build at once (its submissions stay in the lock, the next build resumes or replaces
 * them) instead of waiting for a render nobody wants any more. Entries that needed rendering before
 * watch started are left to `reel build`: watch only spends on what is saved while it runs.
 */
export class BuildController implements RunListener {
  private readonly pending = new Map<string, string | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private inflight: InFlight | undefined;
  private closed = false;
  private errors = 0;

  /** What the session's runs have billed so far (their plans' estimates). */
  private readonly spent = { videos: 0, seconds: 0, cost: 0 };

  constructor(
    private readonly site: BuildSite,
    private readonly reporter: WatchReporter,
    private readonly runner: BuildRunner = applyBuild,
    private readonly quietMs: number = BUILD_QUIET_MS,
    private readonly budget: WatchBudget = { maxVideos: WATCH_DEFAULT_MAX_VIDEOS },
    /** Asks a person (a TTY) before a run above the thresholds; absent: no one to ask, the budget alone decides. */
    private readonly ask?: (plan: Plan, question: string) => Promise<boolean>,
  ) {}

  /** The session's budget minus what it spent: the limits of the next run. */
  private remaining(): Pick<ApplyBuildOptions, 'maxVideos' | 'maxSeconds' | 'maxCost'> {
    const left = (max: number | undefined, used: number): number | undefined => (max === undefined ? undefined : Math.max(0, max - used));
    const out: Pick<ApplyBuildOptions, 'maxVideos' | 'maxSeconds' | 'maxCost'> = {};
    const videos = left(this.budget.maxVideos, this.spent.videos);
    const seconds = left(this.budget.maxSeconds, this.spent.seconds);
    const cost = left(this.budget.maxCost, this.spent.cost);
    if (videos !== undefined) out.maxVideos = videos;
    if (seconds !== undefined) out.maxSeconds = seconds;
    if (cost !== undefined) out.maxCost = cost;
    return out;
  }

  /** Ask on a TTY when a run bills more than a few videos or dollars. */
  private confirmFor(): ((plan: Plan) => Promise<boolean>) | undefined {
    const ask = this.ask;
    if (!ask) return undefined;
    return async (plan) => {
      const s = plan.summary;
      const costly = s.costUnit === 'usd' ? s.estimateCost > WATCH_CONFIRM_COST_USD : false;
      if (s.renders <= WATCH_CONFIRM_VIDEOS && !costly) return true;
      return ask(plan, `watch --build would render ${s.renders} videos (~${s.estimateSeconds} s, ~${formatCost(s.estimateCost, s.costUnit)}). Render them? [y/N] `);
    };
  }

  onRun(report: RunReport, snapshot: WatchSnapshot): void {
    if (this.closed) return;
    this.errors = snapshot.diagnostics.filter((d) => d.severity === 'error').length;
    if (report.kind === 'initial') {
      const waiting = snapshot.changes.filter((c) => c.render).length;
      if (waiting > 0) {
        this.reporter.onBuild(
          { kind: 'unavailable', message: `${waiting} entries already needed rendering when watch started; run \`reel build\` for them. Saves from now on are rendered.` },
          new Date(),
        );
      }
      return;
    }
    const stale: string[] = [];
    for (const item of report.delta) {
      const change = item.after;
      if (change?.render) this.pending.set(item.id, change.fingerprint);
      else this.pending.delete(item.id);
      const flying = this.inflight?.ids;
      if (flying?.has(item.id) && flying.get(item.id) !== change?.fingerprint) stale.push(item.id);
    }
    if (stale.length > 0 && this.inflight && !this.inflight.stale) {
      this.inflight.stale = true;
      this.reporter.onBuild({ kind: 'stale', ids: stale }, new Date());
      this.inflight.controller.abort();
    }
    if (this.pending.size > 0) this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.inflight?.controller.abort();
    await this.inflight?.done;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.start();
    }, this.quietMs);
  }

  private async start(): Promise<void> {
    if (this.closed || this.pending.size === 0) return;
    if (this.errors > 0) {
      // The build would refuse anyway; wait for the fix (the next run reschedules).
      this.reporter.onBuild({ kind: 'unavailable', message: 'waiting: fix the errors above before anything is rendered' }, new Date());
      return;
    }
    if (this.inflight) {
      await this.inflight.done;
      if (this.closed || this.pending.size === 0 || this.inflight) return;
    }
    const ids = new Map(this.pending);
    this.pending.clear();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    this.site.signal.addEventListener('abort', onAbort, { once: true });
    const flight: InFlight = { ids, controller, stale: false, done: Promise.resolve() };
    this.inflight = flight;
    flight.done = this.execute(flight).finally(() => {
      this.site.signal.removeEventListener('abort', onAbort);
      if (this.inflight === flight) this.inflight = undefined;
      // Aborted because a save made part of it stale: everything it had not finished goes again
      // (the lock says which were submitted; the next plan resumes or replaces them).
      if (flight.stale && !this.closed) {
        for (const [id, fp] of ids) if (!this.pending.has(id)) this.pending.set(id, fp);
        this.schedule();
      }
    });
  }

  private async execute(flight: InFlight): Promise<void> {
    const ids = [...flight.ids.keys()].sort();
    const at = (): Date => new Date();
    this.reporter.onBuild({ kind: 'start', ids }, at());
    const progress = new BuildProgress(this.reporter);
    try {
      const confirm = this.confirmFor();
      const result = await this.runner({
        cwd: this.site.cwd,
        env: this.site.env,
        signal: flight.controller.signal,
        reporter: progress,
        targets: ids,
        ...this.remaining(),
        ...(confirm ? { confirm, confirmChanged: (plan: Plan) => confirm(plan) } : {}),
      });
      if (result.kind === 'applied') {
        // Billed even when a later save makes them stale: they count against the session.
        this.spent.videos += result.plan.summary.renders;
        this.spent.seconds += result.plan.summary.estimateSeconds;
        this.spent.cost += result.plan.summary.estimateCost;
      }
      if (flight.stale) return;
      const outcome = buildOutcome(result);
      if (outcome === 'interrupted') this.reporter.onBuild({ kind: 'done', ok: false, summary: 'interrupted; the lock keeps every submission' }, at());
      else this.reporter.onBuild({ kind: 'done', ok: outcome === 'ok', summary: [summaryOf(result), ...progress.problems].filter(Boolean).join('; ') }, at());
    } catch (error) {
      const message = error instanceof ReelError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
      this.reporter.onBuild({ kind: 'done', ok: false, summary: message }, at());
    }
  }
}

/** A build's events as progress lines in the watch view: one per event that concerns a video. */
class BuildProgress implements BuildReporter {
  readonly problems: string[] = [];

  constructor(private readonly reporter: WatchReporter) {}

  event(event: BuildEvent): void {
    const { id, state, detail } = describeEvent(event);
    if (id) this.reporter.onBuild({ kind: 'progress', id, state, ...(detail ? { detail } : {}) }, new Date());
  }

  note(message: string): void {
    this.reporter.onBuild({ kind: 'progress', id: '-', state: message }, new Date());
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  done(): void {}

  close(): void {}
}

/** The build's result in a few words for the watch view's build line. */
function summaryOf(result: ApplyBuildResult): string {
  switch (result.kind) {
    case 'applied':
      return (
        Object.entries(result.counts)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ') || 'nothing to do'
      );
    case 'up-to-date':
      return 'nothing to do';
    case 'invalid':
      return `${result.errors} error${result.errors === 1 ? '' : 's'} in the manifests; nothing was sent`;
    case 'over-budget':
      return `refusing to start: ${result.reason}${result.reason.includes('--max-') ? ' (the budget is for the whole watch session)' : ''}; nothing was sent`;
    case 'planned':
    case 'declined':
    case 'interrupted':
      return 'nothing was sent';
  }
}
