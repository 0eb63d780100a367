/**
 * `reel doctor`: checks, with the user's own key and only calls that cannot be billed, the
 * assumptions reel makes about the live HeyGen API. Exit 0 when they all hold, 1 with the rows that
 * differ (or when HeyGen cannot be reached), 2 on usage errors.
 */
import { connect } from '../heygen/client.js';
import { runDoctor } from '../doctor/probes.js';
import { formatDoctor } from '../report/doctor.js';
import { resolveApiSettings } from '../util/env.js';
import type { CommandContext } from './context.js';

export interface DoctorOptions {
  json?: boolean;
}

export async function run(options: DoctorOptions, ctx: CommandContext): Promise<number> {
  const settings = await resolveApiSettings(ctx.cwd, ctx.env);
  // Probes are never retried: each row shows exactly what one request got.
  const client = connect(settings, ctx.signal);
  const report = await runDoctor(client);
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify({ api: settings.baseUrl, ...report }, null, ctx.stdout.isTTY ? 2 : undefined)}\n`);
  } else {
    ctx.stdout.write(formatDoctor(report, settings.baseUrl));
  }
  return report.holds ? 0 : 1;
}
