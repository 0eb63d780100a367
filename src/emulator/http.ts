/** Small HTTP vocabulary shared by the emulator's routes: replies, HeyGen errors, pagination. */

/** What a route answers; the server turns it into bytes (and may replay it for an Idempotency-Key). */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An answer in HeyGen's error envelope. Routes throw it; the server renders it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toReply(): Reply {
    const error: Record<string, string> = { code: this.code, message: this.message };
    if (this.param !== undefined) error.param = this.param;
    error.doc_url = `https://developers.heygen.com/docs/error-codes#${this.code.replace(/_/g, '-')}`;
    return { status: this.status, body: { error }, ...(this.headers ? { headers: this.headers } : {}) };
  }
}

export const invalid = (param: string, message: string): HttpError => new HttpError(400, 'invalid_parameter', message, param);
export const notFound = (code: string, message: string, param?: string): HttpError => new HttpError(404, code, message, param);

export const ok = (data: unknown, status = 200): Reply => ({ status, body: { data } });

/** An item of a list that pages by cursor: lists are sorted by `seq`, highest (newest) first. */
export interface Sequenced {
  seq: number;
}

interface Cursor {
  s: string;
  a: number;
}

/** The ids of a comma-separated query value (`video_ids=a,b`), blanks dropped. */
export function idList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Reads `limit` from a query string value, within the endpoint's bounds (API.md §7). */
export function limitOf(raw: string | null, fallback: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw invalid('limit', 'limit must be an integer');
  const n = Number(raw);
  if (n < 1 || n > max) throw invalid('limit', `limit must be between 1 and ${max}`);
  return n;
}

/**
 * One page of `items` (already sorted newest first) after the cursor in `token`. Tokens are opaque
 * to clients and bound to the list they came from (`scope`), so one cannot page another list.
 */
export function paginate<T extends Sequenced>(items: T[], scope: string, limit: number, token: string | null): { page: T[]; has_more: boolean; next_token: string | null } {
  let start = 0;
  if (token) {
    let cursor: Cursor | null = null;
    try {
      cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    } catch {
      cursor = null;
    }
    if (!cursor || cursor.s !== scope || typeof cursor.a !== 'number') throw invalid('token', 'token is not a valid pagination token for this list');
    const after = cursor.a;
    start = items.findIndex((item) => item.seq < after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + limit);
  const has_more = start + limit < items.length;
  const last = page[page.length - 1];
  const next_token = has_more && last ? Buffer.from(JSON.stringify({ s: scope, a: last.seq } satisfies Cursor)).toString('base64url') : null;
  return { page, has_more, next_token };
}

/**
 * A list endpoint's answer (API.md §7): the page of `items` that `token` points at, each item shown
 * by `show`, with the cursor to the next page. Every listing answers in this one envelope.
 */
export function listReply<T extends Sequenced>(items: T[], scope: string, limit: number, token: string | null, show: (item: T) => unknown): Reply {
  const { page, has_more, next_token } = paginate(items, scope, limit, token);
  return { status: 200, body: { data: page.map(show), has_more, next_token } };
}
