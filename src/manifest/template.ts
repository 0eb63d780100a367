/**
 * Strict `{{ row.<column> }}` templates for `each` entries. Deliberately tiny: no expressions, no
 * filters, no code; a column the row lacks is an error, never an empty string.
 */

const TEMPLATE = /\{\{([^{}]*)\}\}/g;
const VARIABLE = /^\s*row\.([A-Za-z0-9_-]+)\s*$/;

export type Row = Readonly<Record<string, string>>;

export function hasTemplate(s: string): boolean {
  return s.includes('{{');
}

/** Problems with the template text itself (independent of any row). */
export function templateSyntaxError(s: string): string | undefined {
  for (const m of s.matchAll(TEMPLATE)) {
    if (!VARIABLE.test(m[1]!)) {
      return `unsupported template \`${m[0]}\`: only \`{{ row.<column> }}\` is allowed (no expressions)`;
    }
  }
  const stray = s.replace(TEMPLATE, '');
  if (stray.includes('{{') || stray.includes('}}')) return 'unbalanced `{{ }}` in template; write `{{ row.<column> }}`';
  return undefined;
}

/**
 * Fills a template from one row; `missing` lists the columns the row lacks, `empty` those it has
 * but leaves blank (a "Hi {{ row.name }}!" over an empty cell would say "Hi !").
 */
export function expand(s: string, row: Row): { value: string; missing: string[]; empty: string[] } {
  const missing: string[] = [];
  const empty: string[] = [];
  const value = s.replace(TEMPLATE, (whole, inner: string) => {
    const m = VARIABLE.exec(inner);
    if (!m) return whole;
    const column = m[1]!;
    if (!Object.hasOwn(row, column)) {
      missing.push(column);
      return whole;
    }
    const cell = row[column]!;
    if (cell.trim() === '' && !empty.includes(column)) empty.push(column);
    return cell;
  });
  return { value, missing, empty };
}
