import { nextStep } from '../agent/transcript.js';
import { awaitingReview, type JobResult } from '../build/events.js';
import type { SourcePosition } from '../errors.js';
import { displayPath } from '../util/path.js';
import { workflowCommand } from './workflow-command.js';
import { noCommands } from './safe-text.js';
import { append } from '../util/array.js';

/**
 * `::error` annotations for failed and unconfirmed renders, pointing at the manifest entry, so a
 * GitHub Actions run shows them on the pull request's files.
 */
export function formatBuildAnnotations(results: readonly JobResult[], sources: ReadonlyMap<string, SourcePosition>, cwd: string): string {
  let out = '';
  for (const r of results) {
    if (r.result !== 'failed' && r.result !== 'unknown') continue;
    const source = sources.get(r.id);
    const at = source ? { file: displayPath(source.file, cwd), line: source.line, col: source.col } : {};
    out += workflowCommand('error', `${r.code ? `${r.code}: ` : ''}${r.message ?? r.result}`, { ...at, title: `reel build: ${r.id}` });
  }
  return out;
}

/** Markdown lines for entries awaiting review: each with the agent's storyboard and what to do next. */
export function awaitingReviewMarkdown(results: readonly JobResult[]): string[] {
  const lines: string[] = [];
  const waiting = awaitingReview(results);
  if (waiting.length === 0) return lines;
  lines.push('', '**Awaiting review**', '');
  for (const r of waiting) {
    lines.push(`- \`${r.id}\`${r.sessionId ? ` (session \`${r.sessionId}\`)` : ''}`);
    for (const text of r.storyboard ?? [])
      append(
        lines,
        noCommands(text)
          .split('\n')
          .map((l) => `  > ${l}`),
      );
    lines.push(`  ${nextStep(r.id, 'reviewing')}`);
  }
  return lines;
}
