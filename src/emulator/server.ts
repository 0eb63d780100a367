/**
 * The HTTP front of the emulator, on node:http (no framework: the status-poll hot path must stay
 * cheap). Per request: record it, pick a fault, check the key, honour Idempotency-Key, run the
 * route, answer (or drop the connection, when the fault says so).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAULT_KINDS, type ChosenFault, type FaultRule } from './faults.js';
import { HttpError, type Reply } from './http.js';
import { ROUTES, Router, validateBody, type Route, type RouteRequest } from './routes.js';
import type { World } from './world.js';
import { wav } from './media.js';

/** One request as `GET /__emulator/requests` shows it. */
export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  /** HTTP status answered; 0 when the connection was dropped instead. */
  status: number;
  idempotency_key: string | null;
  /** Milliseconds since the epoch, when the request arrived. */
  time: number;
  fault?: string;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{1,255}$/;
const JSON_BODY_MAX = 64 * 1024 * 1024;
const REQUESTS_KEPT = 200_000;

type Stored = { state: 'in-flight' } | { state: 'done'; reply: Reply; expires: number };

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export interface ServerOptions {
  apiKey?: string;
  onRequest?: (record: RequestRecord) => void;
}

export class EmulatorServer {
  readonly server: Server;
  requests: RequestRecord[] = [];
  private idempotency = new Map<string, Stored>();
  private readonly router = new Router(ROUTES);
  private requestCounter = 0;
  private readonly records = new WeakMap<ServerResponse, RequestRecord>();
  private readonly closing = new AbortController();

  constructor(
    private readonly world: World,
    private readonly options: ServerOptions,
  ) {
    this.server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // A bug in a handler must not take the server down; answer 500 like HeyGen would.
        if (!res.headersSent && !res.destroyed) {
          this.send(res, new HttpError(500, 'internal_error', `emulator bug: ${error instanceof Error ? error.message : String(error)}`).toReply());
        }
      });
    });
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests = [];
    this.idempotency.clear();
  }

  /** Notes the status in the request log before the answer leaves, so a client never sees it stale. */
  private noteStatus(res: ServerResponse, status: number): void {
    const record = this.records.get(res);
    if (record) record.status = status;
  }

  private send(res: ServerResponse, reply: Reply): void {
    this.noteStatus(res, reply.status);
    // Stamped when the answer leaves (a slow answer was held after the request arrived).
    if (this.world.behaviours.dateHeader) res.setHeader('date', new Date(this.world.now()).toUTCString());
    const body = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': res.getHeader('x-request-id') as string,
      ...reply.headers,
    });
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = this.world.now();
    this.requestCounter += 1;
    res.setHeader('x-request-id', `req_${arrived.toString(36)}_${this.requestCounter.toString(36)}`);
    // node:http would stamp the machine's time; HeyGen's Date is HeyGen's clock (or absent).
    res.sendDate = false;
    if (this.world.behaviours.dateHeader) res.setHeader('date', new Date(arrived).toUTCString());
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    const method = (req.method ?? 'GET').toUpperCase();

    if (path.startsWith('/__emulator/')) return this.control(req, res, method, path);

    const idempotencyKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    const record: RequestRecord = { method, path, query, status: 0, idempotency_key: idempotencyKey, time: arrived };
    this.requests.push(record);
    this.records.set(res, record);
    // Bounded, so a long-running `reel emulator` does not grow without end; tests never get near it.
    if (this.requests.length > REQUESTS_KEPT) this.requests.splice(0, this.requests.length - REQUESTS_KEPT * 0.75);
    res.once('close', () => this.options.onRequest?.(record));

    const download = path.startsWith('/files/') || path.startsWith('/assets/') || path.startsWith('/uploads/');
    const match = download ? null : this.router.match(method, path);
    const route = match?.route ? match.route : null;
    const fault = this.world.faults.forRequest(method, path, download ? 'download' : route?.create ? 'create' : 'api');
    if (fault) record.fault = fault.kind;

    if (fault?.kind === 'reset') return this.drop(req, res, record);
    if (fault?.kind.startsWith('http-')) return this.serverError(res, Number(fault.kind.slice(5)));

    if (download) return this.download(req, res, method, path, query, fault);
    if (method === 'OPTIONS') {
      this.noteStatus(res, 200);
      res.writeHead(200, { allow: 'GET, POST, PUT, PATCH, DELETE, OPTIONS', 'content-length': 0 });
      res.end();
      return;
    }

    let reply: Reply;
    let idemScope: string | null = null;
    try {
      const owner = this.authenticate(req);
      if (!match?.route) {
        if (match && match.allowed.length > 0) throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path} (allowed: ${match.allowed.join(', ')})`);
        throw new HttpError(404, 'not_found', `No endpoint ${method} ${path}.`);
      }
      const found = match.route;
      if (idempotencyKey !== null && method === 'POST') {
        if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw new HttpError(400, 'invalid_parameter', 'Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ - : .', 'Idempotency-Key');
        // Scoped per key, endpoint and path parameters (the concrete path carries them).
        idemScope = `${owner}\u0000${method} ${path}\u0000${idempotencyKey}`;
        const stored = this.idempotency.get(idemScope);
        if (stored?.state === 'in-flight') {
          idemScope = null;
          throw new HttpError(409, 'request_in_progress', 'A request with this Idempotency-Key is still being processed.');
        }
        if (stored?.state === 'done' && stored.expires > this.world.now()) {
          idemScope = null;
          const headers = { ...stored.reply.headers, 'idempotent-replayed': 'true' };
          reply = { ...stored.reply, headers };
          return this.finish(res, reply, fault, record);
        }
        this.idempotency.set(idemScope, { state: 'in-flight' });
      }
      if (fault?.kind === 'slow') await sleep(fault.delayMs, this.closing.signal);
      reply = await this.run(found, req, owner, match.params, path, query);
    } catch (error) {
      if (!(error instanceof HttpError)) {
        if (idemScope) this.idempotency.delete(idemScope);
        throw error;
      }
      reply = error.toReply();
    }
    if (idemScope) {
      // A 429 or 5xx did nothing, so the same key may be tried again; anything else is replayed
      // (errors only while the replayErrors behaviour is on).
      const forgotten = reply.status === 429 || reply.status >= 500 || (reply.status >= 400 && !this.world.behaviours.replayErrors);
      if (forgotten) this.idempotency.delete(idemScope);
      else this.idempotency.set(idemScope, { state: 'done', reply, expires: this.world.now() + IDEMPOTENCY_TTL_MS });
    }
    return this.finish(res, reply, fault, record);
  }

  private async finish(res: ServerResponse, reply: Reply, fault: ChosenFault | null, record: RequestRecord): Promise<void> {
    if (fault?.kind === 'reset-after') {
      // The work is done (the video exists and counts) but the client never hears of it.
      record.status = 0;
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'slow-after') {
      // The work is done; the answer is on its way (the client may be gone when it arrives).
      await sleep(fault.delayMs, this.closing.signal);
      if (res.destroyed) {
        record.status = 0;
        return;
      }
    }
    this.send(res, reply);
  }

  private drop(req: IncomingMessage, res: ServerResponse, record: RequestRecord): void {
    record.status = 0;
    req.socket.destroy();
    res.destroy();
  }

  private serverError(res: ServerResponse, status: number): void {
    if (status === 502) {
      // Gateways answer with HTML, not HeyGen's envelope; clients must classify by status.
      const html = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
      this.noteStatus(res, 502);
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    if (status === 429) {
      const limited = new HttpError(429, 'rate_limit_exceeded', 'Too many requests. Retry after the period indicated by the Retry-After header.', undefined, {
        'Retry-After': String(this.world.options.retryAfterSeconds),
      });
      this.send(res, limited.toReply());
      return;
    }
    const error =
      status === 503
        ? new HttpError(503, 'service_unavailable', 'The service is temporarily unavailable. Please retry.')
        : new HttpError(500, 'internal_error', 'An internal error occurred. Please retry.');
    this.send(res, error.toReply());
  }

  private authenticate(req: IncomingMessage): string {
    const header = req.headers['x-api-key'];
    let key = typeof header === 'string' ? header.trim() : '';
    if (!key) {
      const auth = req.headers.authorization;
      if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) key = auth.replace(/^bearer\s+/i, '').trim();
    }
    const expected = this.options.apiKey;
    if (!key || (expected !== undefined && key !== expected)) {
      throw new HttpError(401, 'unauthorized', key ? 'The API key is not valid.' : 'Missing API key: send it in the X-Api-Key header.');
    }
    return key;
  }

  private async run(route: Route, req: IncomingMessage, owner: string, params: Record<string, string>, path: string, query: string): Promise<Reply> {
    let bodyRead: Promise<Buffer> | null = null;
    const raw = (limit: number): Promise<Buffer> => {
      bodyRead ??= readBody(req, limit);
      return bodyRead;
    };
    const routeRequest: RouteRequest = {
      method: route.method,
      path,
      params,
      query: new URLSearchParams(query),
      owner,
      contentType: String(req.headers['content-type'] ?? ''),
      raw,
      json: async () => {
        const bytes = await raw(JSON_BODY_MAX);
        const text = bytes.toString('utf8');
        let body: unknown = {};
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text);
          } catch {
            throw new HttpError(400, 'invalid_parameter', 'The request body is not valid JSON.', 'body');
          }
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'invalid_parameter', 'The request body must be a JSON object.', 'body');
        validateBody(route, body, this.world.options.strict);
        return body as Record<string, unknown>;
      },
    };
    const reply = await route.handler(this.world, routeRequest);
    // Drain a body the handler did not read, so keep-alive connections stay usable.
    if (!bodyRead && req.readable) req.resume();
    return reply;
  }

  private async download(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: string, fault: ChosenFault | null): Promise<void> {
    const parts = path.split('/');
    if (path.startsWith('/uploads/') && method === 'PUT') return this.receiveUpload(req, res, parts[2] ?? '');
    let file: { body: Buffer; type: string } | null = null;
    if (path.startsWith('/assets/') && (method === 'GET' || method === 'HEAD')) {
      const asset = this.world.assets.get(decodeURIComponent(parts[2] ?? ''));
      if (asset?.bytes && asset.status === 'completed') file = { body: asset.bytes, type: asset.mime };
    } else if (path.startsWith('/files/') && (method === 'GET' || method === 'HEAD') && parts.length === 4) {
      const videoId = parts[2]!;
      const name = parts[3]!;
      const params = new URLSearchParams(query);
      const verdict = this.world.checkSignature(videoId, name, params.get('expires'), params.get('sig'));
      if (verdict !== 'ok') {
        const message = verdict === 'expired' ? 'Request has expired: get the video again for a fresh URL.' : 'The URL signature does not match.';
        this.send(res, new HttpError(403, verdict === 'expired' ? 'url_expired' : 'forbidden', message).toReply());
        return;
      }
      const speech = this.world.speeches.get(videoId);
      if (speech && name === 'speech.wav') file = { body: wav(speech.id, speech.duration), type: 'audio/wav' };
      const video = this.world.videos.get(videoId);
      if (video && !video.deleted && this.world.videoStatus(video) === 'completed') file = this.world.fileOf(video, name);
      else if (!video && !speech) file = this.world.translations.fileOf(videoId, name);
    }
    if (!file) {
      this.send(res, new HttpError(404, 'not_found', 'No such file.').toReply());
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs, this.closing.signal);
    if (fault?.kind === 'html-200') {
      const html = '<html><head><title>Sign in to the network</title></head><body>Please sign in.</body></html>';
      this.noteStatus(res, 200);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      res.end(method === 'HEAD' ? undefined : html);
      return;
    }
    this.noteStatus(res, 200);
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'private, max-age=0' });
    if (method === 'HEAD') {
      res.end();
      return;
    }
    if (fault?.kind === 'truncate' || fault?.kind === 'reset-after') {
      res.write(file.body.subarray(0, Math.floor(file.body.length / 2)), () => res.destroy());
      return;
    }
    res.end(file.body);
  }

  private async receiveUpload(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const asset = this.world.assets.get(id);
    if (asset?.status !== 'pending_upload') {
      req.resume();
      this.send(res, new HttpError(404, 'not_found', 'No pending upload at this URL.').toReply());
      return;
    }
    let bytes: Buffer;
    try {
      bytes = await readBody(req, asset.size);
    } catch (error) {
      if (error instanceof HttpError) return this.send(res, error.toReply());
      throw error;
    }
    if (bytes.length !== asset.size) {
      this.send(res, new HttpError(400, 'invalid_parameter', `Expected ${asset.size} bytes, got ${bytes.length}.`, 'size_bytes').toReply());
      return;
    }
    asset.bytes = bytes;
    this.noteStatus(res, 200);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  private async control(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    if (method === 'GET' && path === '/__emulator/requests') return this.send(res, { status: 200, body: { data: this.requests } });
    if (method === 'GET' && path === '/__emulator/webhooks') return this.send(res, { status: 200, body: { data: this.world.deliveries } });
    if (method === 'POST' && path === '/__emulator/reset') {
      req.resume();
      this.world.reset();
      this.reset();
      return this.send(res, { status: 200, body: { data: { reset: true } } });
    }
    if (method === 'POST' && path === '/__emulator/faults') {
      let rule: FaultRule;
      try {
        rule = JSON.parse((await readBody(req, 1 << 16)).toString('utf8')) as FaultRule;
      } catch {
        return this.send(res, new HttpError(400, 'invalid_parameter', 'The body must be a JSON FaultRule.', 'body').toReply());
      }
      if (typeof rule !== 'object' || rule === null || typeof rule.path !== 'string' || !FAULT_KINDS.includes(rule.kind)) {
        return this.send(res, new HttpError(400, 'invalid_parameter', `A FaultRule needs a path and a kind (${FAULT_KINDS.join(', ')}).`, 'kind').toReply());
      }
      this.world.faults.inject(rule);
      return this.send(res, { status: 200, body: { data: rule } });
    }
    req.resume();
    this.send(res, new HttpError(404, 'not_found', `No control endpoint ${method} ${path}.`).toReply());
  }
}

/** Reads a request body up to `limit` bytes; over it → 413 payload_too_large. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new HttpError(413, 'payload_too_large', `The request body is larger than ${limit} bytes.`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, 'payload_too_large', `The request body is larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
    // A client that disconnects before its body was read (e.g. killed during a 'slow' fault) may
    // leave neither 'end' nor 'error': without this the request, and its Idempotency-Key, would
    // stay in flight forever.
    const gone = (): void => {
      if (!failed && !req.readableEnded) reject(new Error('client closed the connection before the body was read'));
    };
    if (req.destroyed) gone();
    else req.on('close', gone);
  });
}
