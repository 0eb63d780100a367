/**
 * `reel emulator`: runs the HeyGen v3 emulator until Ctrl-C (or SIGTERM). The first line on stdout
 * is the URL to point clients at; one line per request goes to stderr.
 */
import { resolve } from '../util/path.js';
import { ConfigError, UsageError } from '../errors.js';
import { AGENT_RESOURCES, DEFAULT_BEHAVIOURS, loadCatalog, startEmulator, type AgentResources, type Catalog, type Emulator, type EmulatorOptions } from '../emulator/index.js';
import { type CommandOptions, withDefaults } from '../cli-options.js';
import type { CommandContext } from './context.js';

type EmulatorCommandOptions = CommandOptions<'emulator'>;

function check(condition: boolean, message: string): void {
  if (!condition) throw new UsageError(message);
}

export async function run(given: EmulatorCommandOptions, ctx: CommandContext): Promise<number> {
  const options = withDefaults('emulator', given);
  const port = options.port;
  check(Number.isInteger(port) && port >= 0 && port <= 65535, `--port must be between 0 and 65535, got ${port}`);
  check(options.renderSeconds >= 0, '--render-seconds must not be negative');
  check(options.concurrencyLimit >= 1, '--concurrency-limit must be at least 1');
  check(options.urlTtl > 0, '--url-ttl must be greater than 0');
  check(options.faultRate >= 0 && options.faultRate <= 1, '--fault-rate must be between 0 and 1');
  check(options.statusLag >= 0, '--status-lag must not be negative');
  check(options.sessionListLag >= 0, '--session-list-lag must not be negative');
  check(Number.isFinite(options.clockSkew), '--clock-skew must be a number of seconds');
  check(options.apiKey === undefined || options.apiKey.trim() !== '', '--api-key must not be empty');
  const agentResources = options.agentResources as AgentResources;
  check(AGENT_RESOURCES.includes(agentResources), `--agent-resources must be one of ${AGENT_RESOURCES.join(', ')}, got ${options.agentResources}`);

  let catalog: Catalog | undefined;
  if (options.catalog) {
    try {
      catalog = await loadCatalog(resolve(ctx.cwd, options.catalog));
    } catch (error) {
      throw new ConfigError((error as Error).message, { cause: error });
    }
  }

  const emulatorOptions: EmulatorOptions = {
    port,
    host: '127.0.0.1',
    renderSeconds: options.renderSeconds,
    concurrencyLimit: options.concurrencyLimit,
    urlTtl: options.urlTtl,
    faultRate: options.faultRate,
    seed: options.seed,
    remoteWebhooks: options.remoteWebhooks === true,
    agentResources,
    behaviours: {
      agentVideoAtCreate: options.agentVideoAtCreate !== false,
      statusLagSeconds: options.statusLag,
      statusesFailing: options.statusesFailing === true,
      sessionListLagSeconds: options.sessionListLag,
      replayErrors: options.replayErrors !== false,
      chatAutoProceed: options.chatAutoProceed === true,
      clockSkewSeconds: options.clockSkew,
      dateHeader: options.dateHeader !== false,
    },
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(catalog ? { catalog } : {}),
    onRequest: (r) => {
      const query = r.query ? `?${r.query}` : '';
      ctx.stderr.write(`${new Date(r.time).toISOString()} ${r.method} ${r.path}${query} ${r.status}${r.fault ? ` fault=${r.fault}` : ''}\n`);
    },
  };

  let emulator: Emulator;
  try {
    emulator = await startEmulator(emulatorOptions);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is already in use: pick another with --port (0 picks a free one)`, { cause: error });
    throw error;
  }
  ctx.stdout.write(`HeyGen emulator listening on ${emulator.url}\n`);
  const flipped = Object.entries(emulatorOptions.behaviours ?? {}).filter(([k, v]) => DEFAULT_BEHAVIOURS[k as keyof typeof DEFAULT_BEHAVIOURS] !== v);
  if (flipped.length > 0) ctx.stderr.write(`Behaviours changed from the defaults: ${flipped.map(([k, v]) => `${k}=${String(v)}`).join(', ')}\n`);
  ctx.stderr.write(`Use any API key${options.apiKey ? ' (only the one given with --api-key)' : ''}; e.g. HEYGEN_API_URL=${emulator.url}. Ctrl-C stops it.\n`);

  await new Promise<void>((done) => {
    if (ctx.signal.aborted) return done();
    ctx.signal.addEventListener('abort', () => done(), { once: true });
  });
  await emulator.close();
  return 0;
}
