/**
 * `reel studio`'s HTTP server: one page (src/studio/page/), a JSON API over the watch engine, and
 * server-sent events on every re-plan. Safe by construction:
 * - it listens on 127.0.0.1 only, and answers only requests whose Host is that address (or
 *   localhost) and port, so another site cannot reach it through DNS rebinding;
 * - every API request needs the random token of the printed URL; a request that changes anything
 *   is a POST with the token in a header (never in the URL), a JSON body and a same-origin Origin;
 * - the only files it writes are manifests the project's globs select, and it only edits what a
 *   review means (`revisions:`, `approved:`); the only files it reads are the page, outputs the
 *   lock records inside the project, and cached previews.
 */
import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inside, isAbsolute, lastSegment, relativePath, resolve } from '../util/path.js';
import { loadReview } from '../agent/review.js';
import { ReelError } from '../errors.js';
import type { HeyGenClient } from '../heygen/client.js';
import type { LockedFile } from '../lock/types.js';
import { forApi } from '../plan/api-scope.js';
import { speechRequest } from '../plan/speech.js';
import { type PriceUnit, resolvePricing } from '../plan/cost.js';
import { type Change, type Plan, summarize } from '../plan/plan.js';
import { cachedSpeech, spokenDurations, synthesize } from '../speech/cache.js';
import { writeFileAtomic } from '../util/atomic.js';
import { sameApi } from '../util/api.js';
import type { WatchEngine } from '../watch/engine.js';
import { confirmationOf } from './confirm.js';
import { applyReviewEdit, EditRefused, type ReviewEdit } from './edit.js';
import { type CatalogNames, entryView, type Overview, overviewEntry, problemsOf, totalsOf } from './view.js';

/** Where the page's files are (copied next to the compiled server by `npm run build`). */
const PAGE_DIR = new URL('./page/', import.meta.url);
const PAGE_FILES: Record<string, { file: URL; type: string }> = {
  '/': { file: new URL('index.html', PAGE_DIR), type: 'text/html; charset=utf-8' },
  '/studio.js': { file: new URL('studio.js', PAGE_DIR), type: 'text/javascript; charset=utf-8' },
  '/studio.css': { file: new URL('studio.css', PAGE_DIR), type: 'text/css; charset=utf-8' },
  // The page formats costs with reel's own compiled module (no runtime imports), so the page and
  // `reel plan` cannot disagree on how a cost reads.
  '/cost.js': { file: new URL('../plan/cost.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
};

/** Largest JSON body a POST may carry. */
const MAX_BODY = 64 * 1024;

/** What a Build button does (wired by the command once the build library call exists). */
export interface StudioBuild {
  /** Whether the page may start builds (off unless allowed by a flag, or with --emulator). */
  allowed: boolean;
  running(): boolean;
  /**
   * Start a build of the plan the page confirmed (`digest`, see confirm.ts); progress goes to
   * `emit`. `allowRemovals` is the person's explicit allow (`reel build --allow-removals`).
   */
  start(emit: (event: Record<string, unknown>) => void, confirm: { digest: string; allowRemovals: boolean }): Promise<void>;
}

export interface StudioOptions {
  root: string;
  engine: () => WatchEngine | undefined;
  /** `emulator` or the API's name: which lock entries the plan can trust (as `reel plan`). */
  api: string;
  /** HeyGen (or the emulator) for Listen and storyboards; undefined with no key. */
  client?: HeyGenClient;
  /** Why there is no client, for the page. */
  noClientReason?: string;
  catalog: () => CatalogNames;
  editor?: string;
  build?: StudioBuild;
  port?: number;
  /** Fixed token (tests); default: 24 random bytes. */
  token?: string;
  signal: AbortSignal;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Inside `root` (after resolving symlinks): the only files the studio serves or writes. */
async function insideRoot(root: string, path: string): Promise<string | undefined> {
  const full = isAbsolute(path) ? path : resolve(root, path);
  const real = await realpath(full).catch(() => undefined);
  const realRoot = await realpath(root).catch(() => root);
  if (!real || !inside(realRoot, real)) return undefined;
  return real;
}

/** WebVTT from SRT, for the player's captions track (browsers take only WebVTT). */
export function srtToVtt(srt: string): string {
  const body = srt
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .replace(/(\d\d:\d\d:\d\d),(\d{3})/g, '$1.$2');
  return `WEBVTT\n\n${body}`;
}

export class StudioServer {
  readonly token: string;
  /** The open-in-editor command (`editor:` in reel.config.yaml, else REEL_EDITOR). */
  editor: string | undefined;
  /** Tells the watch session a manifest changed (set once it is ready); the studio's own edits call it. */
  touched: ((path: string) => void) | undefined;
  private server: Server | undefined;
  private port = 0;
  private version = 0;
  private readonly clients = new Set<ServerResponse>();
  private lastBuildEvents: Record<string, unknown>[] = [];
  /** The overview's JSON for the current version: made once per plan, however many pages ask. */
  private cachedState: Buffer | undefined;

  constructor(private readonly options: StudioOptions) {
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.editor = options.editor;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.token}`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    });
    this.server = server;
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolveListen());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const res of this.clients) res.end();
    this.clients.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** The plan changed: tell every open page (it fetches the overview again). */
  publish(): void {
    this.version += 1;
    this.cachedState = undefined;
    this.broadcast('plan', { version: this.version });
  }

  private broadcast(event: string, data: unknown): void {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.clients) res.write(text);
  }

  overview(): Overview | undefined {
    const engine = this.options.engine();
    if (!engine) return undefined;
    const root = this.options.root;
    const snapshot = engine.snapshot();
    const changes = engine.allChanges();
    const planned = this.planFor(engine, changes);
    return {
      version: this.version,
      project: lastSegment(root) || root,
      api: this.options.api,
      build: { allowed: this.options.build?.allowed ?? false, running: this.options.build?.running() ?? false },
      listen: this.options.client ? { available: true } : { available: false, reason: this.options.noClientReason ?? 'no API key' },
      totals: totalsOf(planned),
      confirm: confirmationOf(planned),
      problems: problemsOf(root, snapshot.diagnostics),
      staleFiles: snapshot.staleFiles.map((f) => relativePath(root, f)),
      entries: planned.changes.map((c) => overviewEntry(root, c)),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) throw new HttpFailure(421, 'wrong Host: open the URL reel studio printed');
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';
    const page = PAGE_FILES[url.pathname];
    if (page && (method === 'GET' || method === 'HEAD')) return this.sendPage(res, page);
    if (!url.pathname.startsWith('/api/')) throw new HttpFailure(404, 'not found');

    if (method === 'GET') {
      const given = url.searchParams.get('token') ?? (req.headers['x-reel-token'] as string | undefined);
      if (!sameToken(given, this.token)) throw new HttpFailure(403, 'missing or wrong token: open the URL reel studio printed');
      return this.get(url, req, res);
    }
    if (method !== 'POST') throw new HttpFailure(405, 'method not allowed');
    if (!sameToken(req.headers['x-reel-token'] as string | undefined, this.token)) throw new HttpFailure(403, 'missing or wrong token');
    const origin = req.headers.origin;
    if (origin !== `http://127.0.0.1:${this.port}` && origin !== `http://localhost:${this.port}`) throw new HttpFailure(403, 'cross-origin request refused');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') throw new HttpFailure(403, 'cross-site request refused');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpFailure(415, 'send JSON');
    const body = await readJson(req);
    return this.post(url.pathname, body, res);
  }

  private async sendPage(res: ServerResponse, page: { file: URL; type: string }): Promise<void> {
    const body = await readFile(page.file);
    res.writeHead(200, {
      'content-type': page.type,
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy':
        "default-src 'self'; img-src 'self' data: https: http://127.0.0.1:* http://localhost:*; media-src 'self' https: http://127.0.0.1:* http://localhost:*; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    });
    res.end(body);
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value));
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpFailure) this.json(res, error.status, { error: error.message });
    else if (error instanceof EditRefused || error instanceof ReelError) this.json(res, 409, { error: error.message });
    else this.json(res, 500, { error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
  }

  private change(id: string | null) {
    const engine = this.options.engine();
    if (!engine) throw new HttpFailure(503, 'still loading');
    const change = id ? engine.changeOf(id) : undefined;
    if (!change || !id) throw new HttpFailure(404, `no video "${id ?? ''}" in the manifests or reel.lock`);
    return this.planFor(engine, [change]).changes[0]!;
  }

  /** The plan as `reel plan` has it for this API, priced with the config's `pricing:`. */
  private planFor(engine: WatchEngine, changes: Change[]): Plan {
    const pricing = resolvePricing(engine.projectConfig.pricing);
    return forApi({ changes, summary: summarize(changes, pricing.unit), pricing }, this.options.api);
  }

  private costUnit(): PriceUnit {
    return resolvePricing(this.options.engine()?.projectConfig.pricing).unit;
  }

  private async get(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (url.pathname) {
      case '/api/state': {
        if (!this.cachedState) {
          const view = this.overview();
          if (!view) throw new HttpFailure(503, 'still loading');
          this.cachedState = Buffer.from(JSON.stringify(view));
        }
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': this.cachedState.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
        res.end(this.cachedState);
        return;
      }
      case '/api/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`retry: 500\nevent: hello\ndata: ${JSON.stringify({ version: this.version })}\n\n`);
        for (const e of this.lastBuildEvents) res.write(`event: build\ndata: ${JSON.stringify(e)}\n\n`);
        this.clients.add(res);
        req.on('close', () => this.clients.delete(res));
        return;
      }
      case '/api/entry': {
        const change = this.change(url.searchParams.get('id'));
        const outputs = {
          video: Boolean(await this.lockedFile(change.locked?.output)),
          thumbnail: Boolean(await this.lockedFile(change.locked?.thumbnail)),
          captions: Boolean(await this.lockedFile(change.locked?.subtitles)),
        };
        const view = entryView(this.options.root, change, { catalog: this.options.catalog(), outputs, costUnit: this.costUnit() });
        if (view.speech.key) {
          const hit = await cachedSpeech(this.options.root, view.speech.key);
          if (hit) view.speech.duration = hit.duration;
        }
        return this.json(res, 200, view);
      }
      case '/api/review': {
        const change = this.change(url.searchParams.get('id'));
        if (!change.locked?.session_id) throw new HttpFailure(409, 'no agent session yet: build the entry first');
        if (!this.options.client) throw new HttpFailure(409, `cannot read the session: ${this.options.noClientReason ?? 'no API key'}`);
        if (!sameApi(change.locked.api, this.options.api)) throw new HttpFailure(409, `the session was made by ${change.locked.api ?? 'heygen'}, not ${this.options.api}`);
        return this.json(res, 200, await loadReview(this.options.client, change.id, change.locked, change.entry));
      }
      case '/api/media': {
        const change = this.change(url.searchParams.get('id'));
        const kind = url.searchParams.get('kind');
        const file = kind === 'video' ? change.locked?.output : kind === 'thumbnail' ? change.locked?.thumbnail : kind === 'captions' ? change.locked?.subtitles : undefined;
        const path = await this.lockedFile(file);
        if (!path) throw new HttpFailure(404, 'no such output');
        if (kind === 'captions') {
          const vtt = Buffer.from(srtToVtt(await readFile(path, 'utf8')));
          res.writeHead(200, { 'content-type': 'text/vtt; charset=utf-8', 'content-length': vtt.length, 'cache-control': 'no-store' });
          res.end(vtt);
          return;
        }
        return sendFile(req, res, path, kind === 'thumbnail' ? 'image/jpeg' : path.endsWith('.webm') ? 'video/webm' : 'video/mp4');
      }
      case '/api/speech': {
        const key = url.searchParams.get('key') ?? '';
        if (!/^[0-9a-f]{32}$/.test(key)) throw new HttpFailure(404, 'no such preview');
        const hit = await cachedSpeech(this.options.root, key);
        const path = hit ? await insideRoot(this.options.root, hit.file) : undefined;
        if (!path) throw new HttpFailure(404, 'no such preview');
        const type = path.endsWith('.wav') ? 'audio/wav' : path.endsWith('.ogg') ? 'audio/ogg' : path.endsWith('.m4a') ? 'audio/mp4' : 'audio/mpeg';
        return sendFile(req, res, path, type);
      }
      default:
        throw new HttpFailure(404, 'not found');
    }
  }

  /** The absolute path of a file the lock records, when it is inside the project and exists. */
  private async lockedFile(file: LockedFile | undefined): Promise<string | undefined> {
    if (!file) return undefined;
    return insideRoot(this.options.root, file.path);
  }

  private async post(path: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    switch (path) {
      case '/api/listen': {
        const change = this.change(typeof body.id === 'string' ? body.id : null);
        if (!change.entry) throw new HttpFailure(409, 'removed entries have no script');
        const s = speechRequest(change.entry);
        if (!('request' in s)) throw new HttpFailure(409, `nothing to listen to: ${s.reason}`);
        if (!this.options.client) throw new HttpFailure(409, `Listen needs HeyGen's text to speech: ${this.options.noClientReason ?? 'no API key'}`);
        const out = await synthesize(this.options.root, this.options.client, s.request, this.options.signal);
        if (out.kind === 'error') return this.json(res, 409, { error: out.message, cannot: out.cannot === true });
        if (!out.cached) {
          // The exact length replaces the estimate in the plan: re-plan and tell the page.
          this.options.engine()?.setSpoken(await spokenDurations(this.options.root));
          this.publish();
        }
        return this.json(res, 200, { key: out.key, duration: out.duration, cached: out.cached, url: `/api/speech?key=${out.key}` });
      }
      case '/api/review-edit': {
        const change = this.change(typeof body.id === 'string' ? body.id : null);
        const edit: ReviewEdit | undefined = body.kind === 'approve' ? { kind: 'approve' } : body.kind === 'revise' && typeof body.text === 'string' ? { kind: 'revise', text: body.text } : undefined;
        if (!edit) throw new HttpFailure(400, 'kind must be "approve", or "revise" with a text');
        if (edit.kind === 'revise' && edit.text.length > 10_000) throw new HttpFailure(400, 'a revision is at most 10,000 characters');
        const entry = change.entry;
        if (entry?.mode !== 'agent') throw new HttpFailure(409, 'only agent entries are reviewed');
        if (!entry.agent?.review) throw new HttpFailure(409, 'the entry is not reviewed (set `review: true` first)');
        const file = await this.manifestFile(entry.source.file);
        const source = await readFile(file, 'utf8');
        const next = applyReviewEdit(source, entry.id, edit);
        if (next !== source) {
          await writeFileAtomic(file, next);
          // Re-plan now rather than wait for the watcher to notice the rename (it may coalesce or miss it).
          this.touched?.(file);
        }
        return this.json(res, 200, { ok: true, changed: next !== source });
      }
      case '/api/open': {
        const file = typeof body.file === 'string' ? body.file : '';
        const line = Number.isInteger(body.line) ? (body.line as number) : 1;
        const col = Number.isInteger(body.col) ? (body.col as number) : 1;
        const path = await insideRoot(this.options.root, file);
        if (!path) throw new HttpFailure(404, 'no such file in the project');
        if (!this.editor) throw new HttpFailure(409, 'no editor configured: set `editor:` in reel.config.yaml or REEL_EDITOR');
        openInEditor(this.editor, path, line, col);
        return this.json(res, 200, { ok: true });
      }
      case '/api/build': {
        const build = this.options.build;
        if (!build?.allowed) throw new HttpFailure(403, 'building from the page is off: start reel studio with --allow-build (or --emulator)');
        if (build.running()) throw new HttpFailure(409, 'a build is already running');
        const confirm = body.confirm as { digest?: unknown } | undefined;
        if (typeof confirm?.digest !== 'string') throw new HttpFailure(400, 'confirm the plan: { confirm: { digest } } as /api/state gives it');
        const allowRemovals = body.allowRemovals === true;
        const view = this.overview();
        // The page confirmed a plan (what it bills, at what price, what it removes); if the plan
        // changed since, it must look again. The build checks once more on the plan it applies.
        if (!view || view.confirm.digest !== confirm.digest) throw new HttpFailure(409, 'the plan changed since you looked: check it and confirm again');
        if (view.confirm.removalGuard && !allowRemovals) {
          throw new HttpFailure(409, `${view.confirm.removalGuard}: allow these removals explicitly to apply them (as reel build --allow-removals)`);
        }
        this.lastBuildEvents = [];
        const emit = (event: Record<string, unknown>): void => {
          this.cachedState = undefined;
          this.lastBuildEvents.push(event);
          this.broadcast('build', event);
        };
        void build.start(emit, { digest: confirm.digest, allowRemovals }).catch((error: unknown) => {
          emit({ kind: 'done', ok: false, summary: error instanceof Error ? error.message : String(error) });
        });
        return this.json(res, 202, { started: true });
      }
      default:
        throw new HttpFailure(404, 'not found');
    }
  }

  /** `file` when it is one of the project's manifests (inside the root, selected by its globs). */
  private async manifestFile(file: string): Promise<string> {
    const engine = this.options.engine();
    const path = await insideRoot(this.options.root, file);
    if (!engine || !path || engine.classify(file) !== 'manifest') throw new HttpFailure(403, "the studio only writes the project's manifests");
    return file;
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpFailure(413, 'body too large');
    chunks.push(chunk);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new HttpFailure(400, 'the body must be a JSON object');
  }
}

/** A file with Range support (players seek with ranges). */
async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, type: string): Promise<void> {
  const { size } = await stat(path);
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
  const headers = { 'content-type': type, 'accept-ranges': 'bytes', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (range && (range[1] || range[2])) {
    let start = range[1] ? Number(range[1]) : size - Number(range[2]);
    let end = range[1] && range[2] ? Number(range[2]) : size - 1;
    start = Math.max(0, start);
    end = Math.min(size - 1, end);
    if (start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
    createReadStream(path, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path).pipe(res);
}

/** Run the editor command (no shell): `{file}`, `{line}`, `{col}` replaced; without `{file}`, the path is appended. */
export function editorArgs(command: string, file: string, line: number, col: number): string[] {
  const words = command.trim().split(/\s+/);
  const fill = (w: string): string => w.replaceAll('{file}', file).replaceAll('{line}', String(line)).replaceAll('{col}', String(col));
  const args = words.map(fill);
  if (!command.includes('{file}')) args.push(file);
  return args;
}

function openInEditor(command: string, file: string, line: number, col: number): void {
  const [bin, ...args] = editorArgs(command, file, line, col);
  if (!bin) return;
  const child = spawn(bin, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
}
