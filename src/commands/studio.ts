import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accountKey, CatalogSource, cachedCatalogNames } from '../catalog/catalog.js';
import { EMULATOR_RENDER_SECONDS } from '../build/apply.js';
import { UsageError } from '../errors.js';
import { connect, type HeyGenClient } from '../heygen/client.js';
import { spokenDurations } from '../speech/cache.js';
import { studioBuild } from '../studio/build.js';
import { StudioServer } from '../studio/server.js';
import type { CatalogNames } from '../studio/view.js';
import { readApiEnv } from '../util/env.js';
import { EMULATOR_API, apiIdentity } from '../util/api.js';
import { type CommandOptions, withDefaults } from '../cli-options.js';
import { realDeps } from '../watch/deps.js';
import type { WatchEngine } from '../watch/engine.js';
import type { WatchReporter } from '../watch/reporter.js';
import { runWatchSession } from '../watch/session.js';
import type { CommandContext } from './context.js';

type StudioCommandOptions = CommandOptions<'studio'>;

function openBrowser(url: string): void {
  const bin = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(bin, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
}

/**
 * `reel studio`: the watch engine behind a local web page (see docs/studio.md). Runs until Ctrl-C
 * (exit 0). Nothing is rendered unless the page's Build button is used, which needs `--allow-build`
 * or `--emulator`.
 */
export async function run(given: StudioCommandOptions, ctx: CommandContext): Promise<number> {
  const options = withDefaults('studio', given);
  const root = ctx.cwd;
  const port = options.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${port}`);

  let client: HeyGenClient | undefined;
  let noClientReason: string | undefined;
  let api: string;
  let baseUrl: string | undefined;
  let apiKey: string | undefined;
  let emulator: { url: string; close(): Promise<void> } | undefined;
  if (options.emulator) {
    apiKey = `reel-emulator-${randomBytes(12).toString('hex')}`;
    const { startEmulator } = await import('../emulator/index.js');
    // The same render time as `reel build --emulator`.
    emulator = await startEmulator({ port: 0, renderSeconds: EMULATOR_RENDER_SECONDS, apiKey });
    baseUrl = emulator.url;
    api = EMULATOR_API;
  } else {
    const env = await readApiEnv(root, ctx.env);
    baseUrl = env.baseUrl;
    apiKey = env.apiKey;
    api = apiIdentity(env.baseUrl);
    if (!apiKey) noClientReason = 'HEYGEN_API_KEY is not set (put it in the environment or .env, or start `reel studio --emulator`)';
  }
  if (apiKey && baseUrl) client = connect({ baseUrl, apiKey }, ctx.signal);

  let catalog: CatalogNames = await cachedCatalogNames(root);
  if (client && baseUrl && apiKey) {
    // Names and preview images for the entry pages: read-only listings, cached like `reel avatars`.
    const source = new CatalogSource({ root, client, account: accountKey(baseUrl, apiKey) });
    void Promise.all([source.get('avatars'), source.get('voices')])
      .then(() => cachedCatalogNames(root))
      .then((names) => {
        catalog = names;
      })
      .catch(() => {});
  }

  let engine: WatchEngine | undefined;
  const build = studioBuild({
    cwd: root,
    env: ctx.env,
    signal: ctx.signal,
    allowed: Boolean(options.allowBuild || options.emulator),
    ...(options.target ? { targets: options.target } : {}),
    ...(emulator && apiKey ? { emulator: { url: emulator.url, apiKey } } : {}),
  });
  const server = new StudioServer({
    root,
    engine: () => engine,
    api,
    ...(client ? { client } : {}),
    ...(noClientReason ? { noClientReason } : {}),
    catalog: () => catalog,
    ...((ctx.env.REEL_EDITOR ?? '').trim() ? { editor: ctx.env.REEL_EDITOR!.trim() } : {}),
    build,
    port,
    signal: ctx.signal,
  });
  try {
    await server.listen();
  } catch (error) {
    await emulator?.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use: pass --port with another port, or --port 0 for a free one`);
    throw error;
  }

  const errors: WatchReporter = {
    onRun: () => {},
    onError: (message) => ctx.stderr.write(`reel studio: ${message}\n`),
    onBuild: () => {},
    close: () => {},
  };
  try {
    ctx.stdout.write(`reel studio: ${server.url}\n${options.emulator ? 'Against the built-in HeyGen emulator (nothing is paid). ' : ''}Ctrl-C stops it.\n`);
    if (options.open) openBrowser(server.url);
    await runWatchSession({
      root,
      deps: await realDeps(),
      reporter: errors,
      ...(options.target ? { targets: options.target } : {}),
      spoken: await spokenDurations(root),
      listener: {
        onRun: (_report, _snapshot, e) => {
          engine = e;
          if (e.projectConfig.editor) server.editor = e.projectConfig.editor;
          server.publish();
        },
        close: async () => {},
      },
      onReady: (_engine, touched) => {
        server.touched = touched;
      },
      signal: ctx.signal,
    });
  } finally {
    await server.close();
    await emulator?.close();
  }
  return 0;
}
