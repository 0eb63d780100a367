import { schemaText } from '../manifest/index.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

/** `reel schema`: prints the JSON Schema of manifests (for editors and other tools). */
export async function run(_options: CommandOptions<'schema'>, ctx: CommandContext): Promise<number> {
  ctx.stdout.write(schemaText('manifest'));
  return 0;
}
