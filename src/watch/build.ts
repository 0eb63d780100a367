import { Writable } from 'node:stream';
import type { CommandContext } from '../commands/context.js';
import { ReelError } from '../errors.js';
import type { RunReport, WatchSnapshot } from './engine.js';
import type { WatchReporter } from './reporter.js';
import type { RunListener } from './session.js';

/** Quiet period after the last save before `--build` renders: a few saves in a row make one build. */
export const BUILD_QUIET_MS = 1000;

/**
 * Runs `reel build` for some ids: the build command itself, in this process, so that watch renders
 * through exactly the same guards, exactly-once rules and lock. Returns its exit code.
 */
export type BuildRunner = (ids: string[], ctx: CommandContext) => Promise<number>;

/** The default runner: `reel build --yes --json --target <id>…`, its NDJSON read back as events. */
export const runBuildCommand: BuildRunner = async (ids, ctx) => {
  const { run } = await import('../commands/build.js');
  return run({ yes: true, json: true, target: ids }, ctx);
};

interface InFlight {
  /** Fingerprint each id is being rendered with. */
  ids: Map<string, string | undefined>;
  controller: AbortController;
  done: Promise<void>;
  stale: boolean;
}

/** Splits a stream into lines for `onLine`. */
function lineSink(onLine: (line: string) => void): Writable {
  let buffer = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      buffer += String(chunk);
      let at = buffer.indexOf('\n');
      while (at >= 0) {
        onLine(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
        at = buffer.indexOf('\n');
      }
      callback();
    },
  });
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

  constructor(
    private readonly ctx: CommandContext,
    private readonly reporter: WatchReporter,
    private readonly runner: BuildRunner = runBuildCommand,
    private readonly quietMs: number = BUILD_QUIET_MS,
  ) {}

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
    this.ctx.signal.addEventListener('abort', onAbort, { once: true });
    const flight: InFlight = { ids, controller, stale: false, done: Promise.resolve() };
    this.inflight = flight;
    flight.done = this.execute(flight).finally(() => {
      this.ctx.signal.removeEventListener('abort', onAbort);
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
    let stderr = '';
    let summary = '';
    const stdout = lineSink((line) => {
      const event = parseEvent(line);
      if (!event) return;
      if (event.type === 'done') {
        const counts = (event.counts ?? {}) as Record<string, number>;
        summary = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing to do';
        return;
      }
      const progress = describeEvent(event);
      if (progress) this.reporter.onBuild({ kind: 'progress', ...progress }, at());
    });
    const errors = lineSink((line) => {
      if (line.trim()) stderr += `${stderr ? ' ' : ''}${line.trim()}`;
    });
    try {
      const code = await this.runner(ids, { ...this.ctx, stdout, stderr: errors, signal: flight.controller.signal });
      if (flight.stale) return;
      if (code === 130) this.reporter.onBuild({ kind: 'done', ok: false, summary: 'interrupted; the lock keeps every submission' }, at());
      else this.reporter.onBuild({ kind: 'done', ok: code === 0, summary: [summary, stderr].filter(Boolean).join('; ') || `exit ${code}` }, at());
    } catch (error) {
      const message = error instanceof ReelError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
      this.reporter.onBuild({ kind: 'done', ok: false, summary: message }, at());
    }
  }
}

type BuildJsonEvent = Record<string, unknown> & { type: string };

function parseEvent(line: string): BuildJsonEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') return value as BuildJsonEvent;
  } catch {
    // Not an event line; the build writes only NDJSON in --json mode, so this is never expected.
  }
  return undefined;
}

/** One line of progress per build event that concerns a video. */
function describeEvent(event: BuildJsonEvent): { id: string; state: string; detail?: string } | undefined {
  const id = typeof event.id === 'string' ? event.id : undefined;
  if (event.type === 'note') return { id: '-', state: String(event.message ?? '') };
  if (!id) return undefined;
  switch (event.type) {
    case 'upload':
      return { id, state: 'uploaded', detail: String(event.file ?? '') };
    case 'submit':
      return { id, state: 'submitting' };
    case 'submitted':
      return { id, state: 'submitted', detail: String(event.video_id ?? event.session_id ?? '') };
    case 'resume':
      return { id, state: 'resuming' };
    case 'status':
      return { id, state: String(event.status ?? '') };
    case 'rendered':
      return { id, state: 'rendered' };
    case 'downloaded':
      return { id, state: 'downloaded', detail: String(event.file ?? '') };
    case 'result':
      return { id, state: String(event.result ?? ''), ...(event.message ? { detail: String(event.message) } : {}) };
    case 'warning':
      return { id, state: 'warning', detail: String(event.message ?? '') };
    default:
      return undefined;
  }
}
