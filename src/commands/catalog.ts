import { accountClient } from '../catalog/account.js';
import { type CatalogKind, CatalogSource, catalogTtl, filterCatalog } from '../catalog/catalog.js';
import { UsageError } from '../errors.js';
import type { AvatarLook, StyleInfo, VoiceInfo } from '../heygen/types.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type CatalogOptions = CommandOptions<'avatars' | 'voices' | 'styles'>;

const KINDS: readonly CatalogKind[] = ['avatars', 'voices', 'styles'];

/**
 * `reel avatars | voices | styles`: what the account offers, every page followed, cached per
 * account for CATALOG_TTL_MS. Exit 0 with results, 1 when nothing matches the filters or HeyGen
 * cannot be read, 2 on usage errors.
 */
export async function run(options: CatalogOptions, ctx: CommandContext): Promise<number> {
  const kind = options.command as CatalogKind;
  if (!KINDS.includes(kind)) throw new UsageError(`unknown catalog \`${options.command}\`; use avatars, voices or styles`);
  const { client, account } = await accountClient(ctx.cwd, ctx.env, ctx.signal, (line) => ctx.stderr.write(`reel: ${line}\n`));
  const source = new CatalogSource({ root: ctx.cwd, client, account, ttlMs: catalogTtl(ctx.env), refresh: options.refresh === true });
  const listing = await source.get(kind);
  const items = filterCatalog(kind, listing.items, options);

  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(items, null, ctx.stdout.isTTY ? 2 : undefined)}\n`);
  } else if (items.length > 0) {
    ctx.stdout.write(table(rows(kind, items)));
    const age = Math.round((Date.now() - listing.fetchedAt) / 1000);
    ctx.stderr.write(`${items.length} of ${listing.items.length} ${kind}${listing.cached ? ` (cached ${age} s ago; --refresh to list again)` : ''}\n`);
  } else {
    ctx.stderr.write(`reel: no ${kind} match${describe(options)} (${listing.items.length} in the account)\n`);
  }
  return items.length > 0 ? 0 : 1;
}

function describe(options: CatalogOptions): string {
  const parts: string[] = [];
  if (options.gender) parts.push(`--gender ${options.gender}`);
  if (options.language) parts.push(`--language ${options.language}`);
  if (options.search) parts.push(`--search ${options.search}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

function rows(kind: CatalogKind, items: ReadonlyArray<AvatarLook | VoiceInfo | StyleInfo>): string[][] {
  const show = (v: unknown): string => (v === null || v === undefined || v === '' ? '-' : Array.isArray(v) ? v.join(',') || '-' : String(v));
  if (kind === 'avatars') {
    return [
      ['ID', 'NAME', 'GENDER', 'TYPE', 'ORIENTATION', 'DEFAULT VOICE'],
      ...(items as AvatarLook[]).map((a) => [a.id, a.name, show(a.gender), a.avatar_type, show(a.preferred_orientation), show(a.default_voice_id)]),
    ];
  }
  if (kind === 'voices') {
    return [['ID', 'NAME', 'LANGUAGE', 'GENDER', 'TYPE'], ...(items as VoiceInfo[]).map((v) => [v.voice_id, v.name, v.language, v.gender, v.type])];
  }
  return [['ID', 'NAME', 'ASPECT', 'TAGS'], ...(items as StyleInfo[]).map((s) => [s.style_id, s.name, show(s.aspect_ratio), show(s.tags)])];
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(lines: string[][]): string {
  const widths: number[] = [];
  for (const line of lines) line.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    lines
      .map((line) =>
        line
          .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
