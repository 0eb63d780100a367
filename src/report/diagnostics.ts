import type { Diagnostic } from '../manifest/types.js';
import { displayPath } from '../util/path.js';
import { workflowCommand } from './workflow-command.js';

/**
 * Human text: one `path:line:col  id  message` line per problem, grouped by file (a blank line
 * between files), in the order given (the loader sorts by file, line, col).
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], cwd: string): string {
  const lines: string[] = [];
  let current: string | undefined;
  for (const d of diagnostics) {
    const path = displayPath(d.file, cwd);
    if (current !== undefined && path !== current) lines.push('');
    current = path;
    const level = d.severity === 'warning' ? 'warning: ' : '';
    lines.push(`${path}:${d.line}:${d.col}  ${d.id !== undefined ? `${d.id}  ` : ''}${level}${d.message}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** GitHub Actions workflow commands, so problems show up inline on the pull request. */
export function formatGithubAnnotations(diagnostics: readonly Diagnostic[], cwd: string): string {
  return diagnostics
    .map((d) =>
      workflowCommand(d.severity === 'warning' ? 'warning' : 'error', `${d.id !== undefined ? `${d.id}: ` : ''}${d.message}`, {
        file: displayPath(d.file, cwd),
        line: d.line,
        col: d.col,
      }),
    )
    .join('');
}

/** Diagnostics as plain JSON values, paths relative to `cwd`. */
export function diagnosticsJson(diagnostics: readonly Diagnostic[], cwd: string): Array<Record<string, unknown>> {
  return diagnostics.map((d) => ({
    file: displayPath(d.file, cwd),
    line: d.line,
    col: d.col,
    ...(d.id !== undefined ? { id: d.id } : {}),
    severity: d.severity,
    message: d.message,
  }));
}

export function plural(n: number, word: string, many = `${word}s`): string {
  // Same as toLocaleString('en-US') for whole numbers, without loading ICU data (~15 ms, once).
  const count = Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');
  return `${count} ${n === 1 ? word : many}`;
}
