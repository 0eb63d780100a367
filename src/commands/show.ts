import { didYouMean } from '../manifest/suggest.js';
import { explain } from '../plan/explain.js';
import { type TextChange, readableRequest } from '../plan/text.js';
import { SYMBOLS, changeSeconds } from '../report/plan-common.js';
import { displayPath } from '../util/path.js';
import type { CommandOptions } from '../cli-options.js';
import { textDiffLines } from '../report/plan-explain.js';
import type { CommandContext } from './context.js';
import { loadForPlan } from './plan.js';

type ShowCommandOptions = CommandOptions<'show'>;

/**
 * `reel show ID`: the exact request reel will send for an entry (defaults, templates and `api:`
 * applied; local files by path), its seconds, and what changed in words since the last render.
 */
export async function run(options: ShowCommandOptions, ctx: CommandContext): Promise<number> {
  const loaded = await loadForPlan(ctx, options.json ? 'json' : 'human');
  if ('exitCode' in loaded) return loaded.exitCode;
  const { entries, lock, spoken } = loaded;
  const x = explain(options.id, entries, lock, { spoken });
  if (!x) {
    const known = [...new Set([...entries.map((e) => e.id), ...Object.keys(lock.videos)])];
    const near = didYouMean(options.id, known);
    ctx.stderr.write(`reel: no video "${options.id}" in the manifests or reel.lock.${near ? ` Did you mean "${near}"?` : ''} \`reel plan --verbose\` lists every id.\n`);
    return 1;
  }
  const c = x.change;
  const entry = c.entry;
  const endpoint = entry ? (entry.mode === 'agent' ? 'POST /v3/video-agents' : 'POST /v3/videos') : null;
  const request = entry ? readableRequest(entry) : null;
  if (options.json) {
    const text: TextChange[] | null = x.text ?? null;
    const doc = {
      version: 1,
      id: x.id,
      action: c.action,
      reason: x.reason,
      file: entry ? displayPath(entry.source.file, ctx.cwd) : null,
      line: entry?.source.line ?? null,
      col: entry?.source.col ?? null,
      endpoint,
      request,
      estimate_seconds: c.estimateSeconds,
      measured: c.measured === true,
      text_changes: text,
      lock: c.locked ?? null,
    };
    ctx.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [`${SYMBOLS[c.action]} ${x.id}: ${c.action}${c.render ? `, ${changeSeconds(c)} of video` : ''}`, `  ${x.reason}`];
  if (entry) out.push(`  defined at ${displayPath(entry.source.file, ctx.cwd)}:${entry.source.line}:${entry.source.col}`);
  if (endpoint && request)
    out.push(
      '',
      `  ${endpoint}`,
      ...JSON.stringify(request, null, 2)
        .split('\n')
        .map((l) => `  ${l}`),
    );
  else out.push('', '  (no manifest entry: a build removes it)');
  if (c.locked && !x.text) out.push('', '  since the last render: reel.lock kept no text of it (rendered by an older reel); `reel explain` shows the changed fields.');
  out.push(...textDiffLines(x.text));
  ctx.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
