import { createInterface } from 'node:readline/promises';
import type { Candidate } from '../agent/choices.js';
import { FILL_HINTS } from '../agent/eject.js';
import { ejectAgentEntry, type EjectResult } from '../agent/pin.js';
import { isCI } from '../util/terminal.js';
import type { CommandOptions } from '../cli-options.js';
import type { CommandContext } from './context.js';

type EjectCommandOptions = CommandOptions<'eject'>;

/**
 * `reel eject ID`: pin a completed agent video as a direct entry (`<id>-direct` in
 * `<manifest>.ejected.yaml`). What the agent chose comes from the entry, the session's resources
 * and messages, matched against the catalog; `--avatar`/`--voice` fill or override, and a person at
 * a terminal picks from the likeliest candidates. What stays unknown makes the entry a draft.
 */
export async function run(options: EjectCommandOptions, ctx: CommandContext): Promise<number> {
  const interactive = ctx.stdin.isTTY === true && ctx.stdout.isTTY === true && !isCI(ctx.env);
  const result = await ejectAgentEntry({
    cwd: ctx.cwd,
    env: ctx.env,
    signal: ctx.signal,
    id: options.id,
    ...(options.avatar !== undefined ? { avatar: options.avatar } : {}),
    ...(options.voice !== undefined ? { voice: options.voice } : {}),
    replace: options.replace === true,
    notice: (line: string) => ctx.stderr.write(`reel: ${line}\n`),
    ...(interactive ? { pick: (field: 'avatar' | 'voice', list: readonly Candidate[]) => pickCandidate(field, list, ctx.stdin, ctx.stdout, ctx.signal) } : {}),
  });
  ctx.stdout.write(describe(result));
  return 0;
}

/**
 * A short numbered list on the terminal; the answer is a number, an id from the list, or nothing
 * (leave the field for later).
 */
export async function pickCandidate(
  field: 'avatar' | 'voice',
  list: readonly Candidate[],
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<string | undefined> {
  output.write(`\nThe agent's ${field} is not exposed by HeyGen. Likeliest in your account:\n${candidateLines(list).join('\n')}\n`);
  const rl = createInterface({ input, output, terminal: false });
  try {
    const answer = (await rl.question(`Pick 1-${list.length} (or an id; Enter leaves it to fill in later): `, signal ? { signal } : {})).trim();
    if (answer === '') return undefined;
    const n = Number(answer);
    if (Number.isInteger(n) && n >= 1 && n <= list.length) return list[n - 1]!.id;
    return list.find((c) => c.id === answer)?.id;
  } catch {
    return undefined;
  } finally {
    rl.close();
  }
}

function candidateLines(list: readonly Candidate[], indent = '  '): string[] {
  return list.flatMap((c, i) => [`${indent}${i + 1}. ${c.name}  ${c.id}  (${c.why})`, ...(c.preview ? [`${indent}   preview: ${c.preview}`] : [])]);
}

/** What eject did, for people. */
export function describe(r: EjectResult): string {
  const out: string[] = [];
  const kept = r.replaced
    ? `${r.id} left ${r.original}; its video, files and reel.lock record are kept (no plan removes them)`
    : `${r.id} is kept in ${r.original}${r.annotated ? ' with a comment pointing to it' : ''}`;
  out.push(`Wrote ${r.newId}${r.missing.length > 0 ? ' (draft)' : ''} to ${r.file}; ${kept}.`);
  for (const field of ['avatar', 'voice', 'script', 'style'] as const) {
    const c = r.choices[field];
    if (!c) continue;
    const value = field === 'script' ? `${c.value.length} characters` : `${c.value}${c.name && c.name !== c.value ? ` (${c.name})` : ''}`;
    out.push(`  ${field}: ${value}, from ${c.source}${field === 'style' ? '; direct videos take no style, so it is kept as a comment' : ''}`);
  }
  for (const note of r.notes) out.push(`  note: ${note}`);
  if (r.missing.length > 0) {
    out.push(`Still to fill in: ${r.missing.join(', ')}. It is written with \`draft: true\`: it validates with a warning and never renders.`);
    for (const field of r.missing) {
      out.push(`  ${field}: ${FILL_HINTS[field]}`);
      if (field !== 'script') out.push(...candidateLines(r.candidates[field], '    '));
    }
    out.push('Then remove `draft: true`; `reel plan` shows its first render.');
  } else {
    out.push(`Check it with \`reel plan\`: ${r.newId} renders as a direct video.`);
  }
  return `${out.join('\n')}\n`;
}
