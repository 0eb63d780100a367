import { relative, sep } from 'node:path';
import type { JobResult } from '../build/events.js';
import type { SourcePosition } from '../errors.js';
import { workflowCommand } from './workflow-command.js';

/**
 * `::error` annotations for failed and unconfirmed renders, pointing at the manifest entry, so a
 * GitHub Actions run shows them on the pull request's files.
 */
export function formatBuildAnnotations(results: readonly JobResult[], sources: ReadonlyMap<string, SourcePosition>, cwd: string): string {
  let out = '';
  for (const r of results) {
    if (r.result !== 'failed' && r.result !== 'unknown') continue;
    const source = sources.get(r.id);
    const at = source ? { file: relative(cwd, source.file).split(sep).join('/'), line: source.line, col: source.col } : {};
    out += workflowCommand('error', `${r.code ? `${r.code}: ` : ''}${r.message ?? r.result}`, { ...at, title: `reel build: ${r.id}` });
  }
  return out;
}
