/**
 * A local emulator of the HeyGen v3 API subset reel uses, built to the contract in
 * shared/heygen-v3 (API.md, schemas.json, examples/). Start it in-process with `startEmulator`, or
 * from the shell with `reel emulator`. Importing this module starts nothing.
 */
import { BUILTIN_CATALOG, type Catalog } from './catalog.js';
import type { Clock } from './clock.js';
import { EMULATOR_DEFAULTS } from './defaults.js';
import type { FaultRule } from './faults.js';
import { EmulatorServer, type RequestRecord } from './server.js';
import { World, type DeliveryRecord } from './world.js';
import { AGENT_RESOURCES, type AgentResources } from './agent-choices.js';
import { behaviours, type Behaviours } from './behaviours.js';

export type { Catalog } from './catalog.js';
export { BUILTIN_CATALOG, loadCatalog } from './catalog.js';
export type { Clock } from './clock.js';
export { ManualClock } from './clock.js';
export type { FaultRule } from './faults.js';
export type { RequestRecord } from './server.js';
export type { Behaviours } from './behaviours.js';
export { DEFAULT_BEHAVIOURS } from './behaviours.js';
export type { DeliveryRecord } from './world.js';
export { FAIL_TRIGGER } from './videos.js';
export type { AgentResources } from './agent-choices.js';
export { AGENT_RESOURCES } from './agent-choices.js';

export interface EmulatorOptions {
  /** 0 = a free port (the default in-process). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Accept only this key; default any non-empty key. */
  apiKey?: string;
  /** Seconds a render takes (EMULATOR_DEFAULTS); may be fractional, e.g. 0.2 for fast tests. */
  renderSeconds?: number;
  /** Unfinished jobs allowed per key (EMULATOR_DEFAULTS). */
  concurrencyLimit?: number;
  /** Lifetime of download URLs in seconds (EMULATOR_DEFAULTS). */
  urlTtl?: number;
  /** Share (0..1) of requests and renders that fail (EMULATOR_DEFAULTS). */
  faultRate?: number;
  /** Seed of the fault generators (EMULATOR_DEFAULTS). */
  seed?: number;
  /** Replaces the built-in avatars, voices and styles. */
  catalog?: Catalog;
  /** Retry-After value on 429, in seconds; default 1. */
  retryAfterSeconds?: number;
  /** First webhook retry delay in ms, doubled on each retry; default 500. */
  webhookRetryMs?: number;
  /** Webhook delivery attempts in all (first try + retries); default 4. */
  webhookAttempts?: number;
  /** Header carrying the webhook HMAC; default X-HeyGen-Signature. */
  signatureHeader?: string;
  /**
   * Deliver webhooks to hosts other than this machine's loopback addresses; default false, so an
   * offline emulator never sends traffic out because a manifest names a real `callback_url`.
   */
  remoteWebhooks?: boolean;
  /**
   * Credits each key starts with, one per second of video (rounded up), charged on create and
   * refunded when a render fails; over budget → 402 insufficient_credit. Default unlimited.
   */
  credits?: number;
  /**
   * Dollars in the key's pay-as-you-go wallet as `GET /v3/users/me` reports it (when `credits` is
   * not set); default 1000. The emulator does not draw it down: it is for balance checks.
   */
  walletUsd?: number;
  /** Reject body fields the contract does not declare (HeyGen's behaviour is unconfirmed); default false. */
  strict?: boolean;
  /** What a finished translation's GET says: `completed` (default, the spec) or `succeeded` (HeyGen's skills); UNCONFIRMED. */
  translationDoneStatus?: string;
  /**
   * How the emulator behaves where HeyGen's live behaviour is unconfirmed or differs from the
   * contract (agent video id at create, lagging or failing bulk statuses, session listing lag,
   * error replay, chat auto-proceed): see behaviours.ts and docs/emulator.md. Each unset switch
   * keeps its default.
   */
  behaviours?: Partial<Behaviours>;
  /**
   * How much agent sessions tell about the avatar, voice and script they chose: `ids` (default:
   * avatar/voice resources with ids in `metadata`, a message naming them, the script in the
   * storyboard draft), `no-ids` (resources with preview URLs only, and the message) or `hidden`
   * (nothing but the video). See docs/emulator.md.
   */
  agentResources?: AgentResources;
  /** Called once per answered API request (e.g. to log it). */
  onRequest?: (record: RequestRecord) => void;
  /**
   * Where the emulator's time comes from; default the system clock. Pass a `ManualClock` to move
   * renders, sessions, retries and URL expiry forward without waiting.
   */
  clock?: Clock;
}

export interface Emulator {
  url: string;
  port: number;
  /** Every request, in order (not /__emulator/*). */
  requests(): RequestRecord[];
  /** Webhook delivery attempts, in order. */
  deliveries(): DeliveryRecord[];
  /** Forgets videos, sessions, batches, uploaded assets, webhooks, requests and faults. */
  reset(): void;
  /** Queues a deterministic one-off fault. */
  inject(fault: FaultRule): void;
  /** Tops up the credits of an API key (only meaningful with the `credits` option). */
  addCredits(apiKey: string, credits: number): void;
  close(): Promise<void>;
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

function agentResources(value: AgentResources | undefined): AgentResources {
  if (value === undefined) return 'ids';
  if (!AGENT_RESOURCES.includes(value)) throw new RangeError(`agentResources must be one of ${AGENT_RESOURCES.join(', ')}, got ${String(value)}`);
  return value;
}

/** Starts an emulator and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const faultRate = options.faultRate ?? EMULATOR_DEFAULTS.faultRate;
  if (!(faultRate >= 0 && faultRate <= 1)) throw new RangeError(`faultRate must be between 0 and 1, got ${faultRate}`);
  const world = new World(
    {
      renderSeconds: positive('renderSeconds', options.renderSeconds ?? EMULATOR_DEFAULTS.renderSeconds, true),
      concurrencyLimit: positive('concurrencyLimit', options.concurrencyLimit ?? EMULATOR_DEFAULTS.concurrencyLimit),
      urlTtl: positive('urlTtl', options.urlTtl ?? EMULATOR_DEFAULTS.urlTtl),
      faultRate,
      seed: options.seed ?? EMULATOR_DEFAULTS.seed,
      catalog: options.catalog ?? BUILTIN_CATALOG,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
      webhookRetryMs: options.webhookRetryMs ?? 500,
      webhookAttempts: options.webhookAttempts ?? 4,
      signatureHeader: options.signatureHeader ?? 'X-HeyGen-Signature',
      remoteWebhooks: options.remoteWebhooks ?? false,
      credits: options.credits ?? null,
      walletUsd: options.walletUsd ?? 1000,
      strict: options.strict ?? false,
      translationDoneStatus: options.translationDoneStatus ?? 'completed',
      agentResources: agentResources(options.agentResources),
      behaviours: behaviours(options.behaviours),
    },
    options.clock,
  );
  const server = new EmulatorServer(world, {
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  world.baseUrl = url;
  return {
    url,
    port,
    requests: () => server.requests,
    deliveries: () => world.deliveries,
    reset: () => {
      world.reset();
      server.reset();
    },
    inject: (fault) => world.faults.inject(fault),
    addCredits: (apiKey, credits) => world.addCredits(apiKey, credits),
    close: async () => {
      world.close();
      await server.close();
    },
  };
}
