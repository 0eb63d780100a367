import { connect, type HeyGenClient } from '../heygen/client.js';
import { resolveApiSettings } from '../util/env.js';
import { accountKey } from './catalog.js';

export interface AccountClient {
  client: HeyGenClient;
  /** `accountKey(baseUrl, apiKey)`: names the account's cache folder. */
  account: string;
  baseUrl: string;
  /** Requests sent so far (every attempt). */
  requests(): number;
}

/**
 * A client for read-only commands (catalog, `validate --remote`, `status`): key and URL from the
 * environment or `.env` (a ConfigError when the key is missing), Ctrl-C threaded into every fetch.
 */
export async function accountClient(root: string, env: NodeJS.ProcessEnv, signal: AbortSignal, notice?: (line: string) => void): Promise<AccountClient> {
  const settings = await resolveApiSettings(root, env);
  if (settings.notice) notice?.(settings.notice);
  let requests = 0;
  const client = connect(settings, signal, {
    onRequest: () => {
      requests += 1;
    },
  });
  return { client, account: accountKey(settings.baseUrl, settings.apiKey), baseUrl: settings.baseUrl, requests: () => requests };
}
