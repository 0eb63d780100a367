import { readFile } from 'node:fs/promises';
import { extname } from '../util/path.js';
import type { Row } from './template.js';
import { decodeUtf8, parseYaml } from './yaml.js';

/** A problem in a data file, positioned in that file when we know where. */
export interface DataProblem {
  message: string;
  line?: number;
  col?: number;
}

export type DataResult = { rows: Row[] } | { problem: DataProblem };

/** Rows of an `each` data file: CSV with a header row, a JSON array of objects, or a YAML list of objects. */
export async function readRows(path: string): Promise<DataResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: { message: code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? 'error'})` } };
  }
  const decoded = decodeUtf8(bytes);
  if (!('text' in decoded)) return { problem: { message: 'is not valid UTF-8', line: decoded.line, col: decoded.col } };
  const text = decoded.text.replace(/^\uFEFF/, '');
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return csvRows(text);
  if (ext === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { problem: { message: `is not valid JSON: ${(e as Error).message}` } };
    }
    return objectRows(value, 'a JSON array of objects');
  }
  if (ext === '.yaml' || ext === '.yml') {
    const parsed = parseYaml(text, 'data');
    const first = parsed.errors[0];
    if (first) {
      const pos = parsed.lineCounter.linePos(first.offset);
      return { problem: { message: first.message, line: pos.line, col: pos.col } };
    }
    return objectRows(parsed.value, 'a YAML list of mappings');
  }
  return { problem: { message: 'has an unknown extension; use .csv, .json, .yaml or .yml' } };
}

async function csvRows(text: string): Promise<DataResult> {
  // Imported on first use: most projects have no CSV, and every cold validate/plan paid for loading it.
  const { parse: parseCsv } = await import('csv-parse/sync');
  try {
    const records = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: false }) as Record<string, string>[];
    return { rows: records };
  } catch (e) {
    const err = e as Error & { lines?: number; column?: number | string };
    const message = err.message.replace(/^Invalid Record Length: /, '').replace(/^Invalid/, 'invalid');
    return { problem: { message: `is not valid CSV: ${message}`, ...(typeof err.lines === 'number' ? { line: err.lines } : {}) } };
  }
}

function objectRows(value: unknown, expected: string): DataResult {
  if (!Array.isArray(value)) return { problem: { message: `must be ${expected}` } };
  const rows: Row[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return { problem: { message: `item ${i + 1} must be a mapping of column → value (${expected})` } };
    }
    const row: Record<string, string> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (v !== null && typeof v === 'object') return { problem: { message: `item ${i + 1}, \`${k}\`: values must be text, numbers or booleans` } };
      row[k] = v === null || v === undefined ? '' : String(v);
    }
    rows.push(row);
  }
  return { rows };
}
