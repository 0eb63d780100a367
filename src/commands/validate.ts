import { displayPath } from '../util/path.js';
import { loadProject, type LoadResult } from '../manifest/index.js';
import { diagnosticsJson, formatDiagnostics, formatGithubAnnotations, plural } from '../report/diagnostics.js';
import { inGithubActions } from '../util/terminal.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type ValidateOptions = CommandOptions<'validate'>;

/** `reel validate`: 0 when every manifest is valid, 1 when any is not, 2 on usage errors. Writes nothing. */
export async function run(options: ValidateOptions, ctx: CommandContext): Promise<number> {
  const loaded = await loadProject(ctx.cwd, { signal: ctx.signal });
  const result = options.remote ? await withRemoteChecks(loaded, ctx) : loaded;
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const warnings = result.diagnostics.length - errors.length;
  const configBroken = errors.some((d) => d.file === result.configFile);

  if (result.files.length === 0 && !configBroken) {
    const globs = result.config.manifests.join(', ');
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify({ valid: false, files: 0, videos: 0, errors: 0, warnings: 0, diagnostics: [], entries: [], message: `no manifests match ${globs}` }, null, 2)}\n`);
    } else {
      ctx.stderr.write(`reel: no manifests match ${globs} in ${ctx.cwd}; run \`reel init\`, or set \`manifests\` in reel.config.yaml\n`);
    }
    return 2;
  }

  if (options.json) {
    const body = {
      valid: errors.length === 0,
      files: result.files.length,
      videos: result.entries.length,
      errors: errors.length,
      warnings,
      diagnostics: diagnosticsJson(result.diagnostics, ctx.cwd),
      entries: result.entries.map((e) => ({ id: e.id, mode: e.mode, file: displayPath(e.source.file, ctx.cwd), line: e.source.line, col: e.source.col })),
      drafts: result.drafts.map((d) => ({ id: d.id, mode: d.mode, needs: d.needs, file: displayPath(d.source.file, ctx.cwd), line: d.source.line, col: d.source.col })),
    };
    ctx.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return errors.length === 0 ? 0 : 1;
  }

  if (result.diagnostics.length > 0) {
    ctx.stdout.write(formatDiagnostics(result.diagnostics, ctx.cwd));
    if (inGithubActions(ctx.env)) ctx.stdout.write(formatGithubAnnotations(result.diagnostics, ctx.cwd));
  }
  if (errors.length > 0) {
    const files = new Set(errors.map((d) => d.file)).size;
    ctx.stdout.write(`\n${plural(errors.length, 'error')} in ${plural(files, 'file')}${warnings ? `, ${plural(warnings, 'warning')}` : ''}; nothing was sent or written\n`);
    return 1;
  }
  const direct = result.entries.filter((e) => e.mode === 'direct').length;
  const agent = result.entries.length - direct;
  const fromData = result.entries.filter((e) => e.origin).length;
  const assets = new Set(result.entries.flatMap((e) => e.assets.map((a) => a.sha256))).size;
  const parts = [`${direct} direct`, `${agent} agent`];
  if (fromData) parts.push(`${fromData} from data files`);
  if (assets) parts.push(plural(assets, 'local asset'));
  if (result.drafts.length) parts.push(`${plural(result.drafts.length, 'draft')}, not rendered`);
  ctx.stdout.write(`${plural(result.entries.length, 'video')} in ${plural(result.files.length, 'file')}: valid (${parts.join(', ')})\n`);
  return 0;
}

/** `--remote`: add an error for every avatar, voice and style id the account does not have. */
async function withRemoteChecks(result: LoadResult, ctx: CommandContext): Promise<LoadResult> {
  if (result.entries.length === 0) return result;
  const [{ accountClient }, { CatalogSource, catalogTtl }, { remoteDiagnostics }] = await Promise.all([
    import('../catalog/account.js'),
    import('../catalog/catalog.js'),
    import('../catalog/remote.js'),
  ]);
  const { client, account } = await accountClient(result.root, ctx.env, ctx.signal);
  const remote = await remoteDiagnostics(result.entries, new CatalogSource({ root: result.root, client, account, ttlMs: catalogTtl(ctx.env) }));
  const diagnostics = [...result.diagnostics, ...remote].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
  return { ...result, diagnostics };
}
