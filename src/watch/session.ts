import { join } from '../util/path.js';
import { ReelError } from '../errors.js';
import type { WatchDeps } from './deps.js';
import { LOCKFILE_NAME } from '../lock/file.js';
import { CONFIG_FILES } from '../manifest/names.js';
import { WatchEngine, type RunReport, type WatchSnapshot } from './engine.js';
import type { WatchReporter } from './reporter.js';
import { DEFAULT_DEBOUNCE_MS, RunScheduler } from './scheduler.js';
import { FileWatcher, globBase } from './watcher.js';

/** Something that acts on the plan after each run (the `--build` controller). */
export interface RunListener {
  onRun(report: RunReport, snapshot: WatchSnapshot, engine: WatchEngine): void;
  /** Stop whatever is in flight; resolves when it has stopped. */
  close(): Promise<void>;
}

export interface WatchSessionOptions {
  root: string;
  deps: WatchDeps;
  reporter: WatchReporter;
  targets?: string[];
  /** Text-to-speech lengths by speech key: exact seconds in the plan (see `PlanOptions.spoken`). */
  spoken?: ReadonlyMap<string, number>;
  debounceMs?: number;
  listener?: RunListener;
  /** Aborting it ends the session. */
  signal: AbortSignal;
  /**
   * Called once the first plan is shown and the watcher is ready. `touched(path)` tells the session
   * a file changed, as a file event would: a front end that writes a manifest itself (the studio)
   * re-plans without depending on the file watcher noticing its atomic rename.
   */
  onReady?: (engine: WatchEngine, touched: (path: string) => void) => void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A whole `reel watch` session: first plan, then file events → scheduler → engine runs → reporter,
 * until the signal aborts. Errors of a single run (an unreadable lock mid-write, say) are shown
 * and watching goes on; only a failing first load ends the session (its error is thrown).
 */
export async function runWatchSession(options: WatchSessionOptions): Promise<void> {
  const { root, deps, reporter, signal } = options;
  const engine = new WatchEngine(root, deps, { targets: options.targets, ...(options.spoken ? { spoken: options.spoken } : {}) });
  const config = await engine.prepare();
  let watcher: FileWatcher | undefined;

  const syncWatcher = async (): Promise<void> => {
    // New data files and assets (and new glob bases after a config change) join the watch.
    await watcher?.add(
      engine.projectConfig.manifests.map((glob) => join(root, globBase(glob))),
      engine.dependencyPaths(),
    );
  };

  let startup: Promise<void> | undefined;
  const scheduler = new RunScheduler({
    debounceMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    run: async (batch) => {
      await startup;
      const report = await engine.apply(batch);
      if (!report) return;
      // Watch new dependencies before showing the view, so what is on screen is also watched.
      await syncWatcher();
      const snapshot = engine.snapshot();
      reporter.onRun(report, snapshot, new Date());
      options.listener?.onRun(report, snapshot, engine);
    },
    onError: (error) => {
      if (error instanceof ReelError) reporter.onError(error.message, new Date());
      else reporter.onError(`internal error: ${message(error)}`, new Date());
    },
  });

  try {
    watcher = await FileWatcher.start({
      root,
      globs: config.manifests,
      files: [...CONFIG_FILES.map((name) => join(root, name)), join(root, LOCKFILE_NAME)],
      relevant: (path) => engine.classify(path) !== undefined,
      skipDirs: [config.out],
      onEvent: (kind, path) => scheduler.push(kind, path),
      onError: (error) => reporter.onError(`file watcher: ${message(error)}`, new Date()),
    });
    startup = engine.start().then(async (report) => {
      await syncWatcher();
      const snapshot = engine.snapshot();
      reporter.onRun(report, snapshot, new Date());
      options.listener?.onRun(report, snapshot, engine);
    });
    await startup;
    options.onReady?.(engine, (path) => scheduler.push('changed', path));
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    await scheduler.close();
    await watcher?.close();
    await options.listener?.close();
    reporter.close();
  }
}
