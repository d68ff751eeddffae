import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scoreDocuments } from './bm25-scorer.js';
import { DIALECTS, type Dialect, type Ranked, type Reply } from './dialects/index.js';
import { isRecord } from './dialects/dialect.js';
import { mulberry32 } from '../mulberry32.js';
import { PROVIDER_NAMES, DEFAULT_PROVIDER, type ProviderName } from '../rerank/providers/provider-name.js';

/**
 * Fault switches and timing of the local rerank server. All are mutable at run time with
 * `server.setFaults(partial)`. Probabilities are 0..1 and exclusive: one draw per request from the seeded
 * PRNG picks at most one fault, in the order reset, hang, 429, 5xx, malformed, missing (so their sum
 * should stay <= 1; the excess of later ones is cut).
 */
export interface RerankServerFaults {
  /** Delay before every answer, in ms. Default 0. */
  latencyMs: number;
  /** Answer 429 (with `Retry-After: retryAfterSeconds` in the dialects whose provider sends one). Default 0. */
  rate429: number;
  /** Answer 500, 502 or 503. Default 0. */
  rate5xx: number;
  /** Never answer (until the client gives up or close()). Default 0. */
  rateHang: number;
  /** Destroy the socket without an answer. Default 0. */
  rateReset: number;
  /** Answer 200 with a body that is not JSON. Default 0. */
  rateMalformed: number;
  /** Answer 200 with valid JSON that lacks one result index. Default 0. */
  rateMissingResult: number;
  /** Retry-After of every 429 and 503, in seconds, in the dialects whose provider sends one. Default 1. */
  retryAfterSeconds: number;
  /** Answer every rerank request with this status (e.g. 401, 403, 400, 422, 503). Default none. */
  forceStatus: number | undefined;
  /** Answer 429 above this many requests per second (token bucket, burst = the rate). Default none. */
  maxRequestsPerSecond: number | undefined;
  /**
   * Answer `failQueriesStatus` to every rerank request whose `query` (as sent, tags included) matches:
   * a deterministic per-batch fault, e.g. a 422 for some queries only. Default none.
   */
  failQueriesMatching: RegExp | undefined;
  /** Status of the answers to `failQueriesMatching`. Default 422. */
  failQueriesStatus: number;
}

export interface RerankServerOptions extends Partial<RerankServerFaults> {
  /**
   * The provider API the server speaks: its path(s), request fields, answer and error shapes, rate-limit
   * answer and default document cap (see ./dialects). Scores are the same BM25 in every dialect. Default
   * 'regolo'.
   */
  dialect?: ProviderName | undefined;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string | undefined;
  /** Port; 0 picks a free one. Default 0. */
  port?: number | undefined;
  /** When set, every rerank request needs `Authorization: Bearer <apiKey>`, else 401. Default none. */
  apiKey?: string | undefined;
  /** Seed of the fault PRNG, so a faulty run is repeatable. Default 1. */
  seed?: number | undefined;
  /** Largest request body; larger -> 413. Default 10 MB (10 * 1024 * 1024). */
  maxBodyBytes?: number | undefined;
  /** Most documents in one request; more are refused as the dialect's provider does. Default the dialect's documented cap. */
  maxDocuments?: number | undefined;
  /** Keep `stats.requestLog` (every request's query, documents and Authorization header). Default false. */
  recordRequests?: boolean | undefined;
}

/** One request as received, when `recordRequests` is on. */
export interface RecordedRequest {
  /** Arrival time, ms since the epoch (fractional, from performance.now()). */
  at: number;
  /** `query` as sent (tags included); '' when absent or not a string. */
  query: string;
  /** The documents as sent (tags included), from the dialect's field; [] when absent or not an array of strings. */
  documents: string[];
  /** The Authorization header as received, if any. */
  authorization?: string;
  /** Status answered; undefined for a reset or a hang (or while pending). */
  status?: number;
}

export interface RerankServerStats {
  /** POST requests to the dialect's path(s) received. */
  requests: number;
  /** Answers by HTTP status. */
  byStatus: Record<number, number>;
  /** Connections destroyed by the reset fault. */
  resets: number;
  /** Requests left hanging by the hang fault. */
  hangs: number;
  /** Largest documents array seen in a request. */
  maxDocumentsInRequest: number;
  /** Only with `recordRequests: true`. */
  requestLog?: RecordedRequest[];
}

export interface RunningRerankServer {
  /** Full endpoint on the dialect's documented path, e.g. `http://127.0.0.1:41234/rerank`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dialect: ProviderName;
  /** Most documents per request, as set or the dialect's default. */
  readonly maxDocuments: number;
  /** Live counters (the same object is updated in place). */
  readonly stats: RerankServerStats;
  /** Change fault switches; a key given as undefined clears forceStatus / maxRequestsPerSecond. */
  setFaults(faults: Partial<RerankServerFaults>): void;
  /** Current fault switches (a copy). */
  faults(): RerankServerFaults;
  /** Zero the counters and the request log. */
  resetStats(): void;
  /** Stop listening and destroy every open connection, hung requests included. */
  close(): Promise<void>;
}

export const SERVER_DEFAULTS = {
  dialect: DEFAULT_PROVIDER,
  host: '127.0.0.1',
  port: 0,
  seed: 1,
  maxBodyBytes: 10 * 1024 * 1024,
  /** The default dialect's cap; each dialect has its own (Dialect.maxDocuments). */
  maxDocuments: DIALECTS[DEFAULT_PROVIDER].maxDocuments,
  latencyMs: 0,
  retryAfterSeconds: 1,
} as const;

const FAULT_DEFAULTS: RerankServerFaults = {
  latencyMs: 0,
  rate429: 0,
  rate5xx: 0,
  rateHang: 0,
  rateReset: 0,
  rateMalformed: 0,
  rateMissingResult: 0,
  retryAfterSeconds: 1,
  forceStatus: undefined,
  maxRequestsPerSecond: undefined,
  failQueriesMatching: undefined,
  failQueriesStatus: 422,
};

type Fault = 'reset' | 'hang' | '429' | '5xx' | 'malformed' | 'missing' | undefined;

function checkProbability(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`rerank server: ${name} must be a probability in 0..1, got ${String(value)}`);
}

function validateFaults(faults: RerankServerFaults): void {
  checkProbability('rate429', faults.rate429);
  checkProbability('rate5xx', faults.rate5xx);
  checkProbability('rateHang', faults.rateHang);
  checkProbability('rateReset', faults.rateReset);
  checkProbability('rateMalformed', faults.rateMalformed);
  checkProbability('rateMissingResult', faults.rateMissingResult);
  if (!(faults.latencyMs >= 0) || !Number.isFinite(faults.latencyMs)) throw new RangeError(`rerank server: latencyMs must be >= 0, got ${faults.latencyMs}`);
  if (!(faults.retryAfterSeconds >= 0) || !Number.isFinite(faults.retryAfterSeconds)) {
    throw new RangeError(`rerank server: retryAfterSeconds must be >= 0, got ${faults.retryAfterSeconds}`);
  }
  if (faults.forceStatus !== undefined && !(Number.isInteger(faults.forceStatus) && faults.forceStatus >= 100 && faults.forceStatus <= 599)) {
    throw new RangeError(`rerank server: forceStatus must be an HTTP status, got ${faults.forceStatus}`);
  }
  if (!(Number.isInteger(faults.failQueriesStatus) && faults.failQueriesStatus >= 100 && faults.failQueriesStatus <= 599)) {
    throw new RangeError(`rerank server: failQueriesStatus must be an HTTP status, got ${faults.failQueriesStatus}`);
  }
  if (faults.failQueriesMatching !== undefined && !(faults.failQueriesMatching instanceof RegExp)) {
    throw new RangeError('rerank server: failQueriesMatching must be a RegExp');
  }
  if (faults.maxRequestsPerSecond !== undefined && !(faults.maxRequestsPerSecond > 0)) {
    throw new RangeError(`rerank server: maxRequestsPerSecond must be > 0, got ${faults.maxRequestsPerSecond}`);
  }
}

/** `value` if it is an array of strings, else []. */
function stringsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const items: unknown[] = value;
  const strings: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return [];
    strings.push(item);
  }
  return strings;
}

/** Best first; equal scores in document order. */
function rankedOrder(scores: readonly number[], count: number): Ranked[] {
  const order = scores.map((_, index) => index);
  order.sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  return order.slice(0, count).map((index) => ({ index, score: scores[index] ?? 0 }));
}

/**
 * Start the built-in rerank server (node:http): a POST on the dialect's path scores with BM25 (see
 * bm25-scorer.ts) and answers like that provider's API (by default the seed API: `POST /rerank`, answer
 * `{id, results: [{index, relevance_score, document: {text}}], meta: null}`, sorted by score, cut to
 * top_n); `GET /health` answers 200. Fault switches make it a test double of a flaky, rate-limited API
 * over real HTTP, in every dialect.
 */
export async function startRerankServer(options: RerankServerOptions = {}): Promise<RunningRerankServer> {
  const dialectName = options.dialect ?? SERVER_DEFAULTS.dialect;
  if (!PROVIDER_NAMES.includes(dialectName)) throw new RangeError(`rerank server: dialect must be one of ${PROVIDER_NAMES.join(', ')}, got ${String(dialectName)}`);
  const dialect: Dialect = DIALECTS[dialectName];
  const host = options.host ?? SERVER_DEFAULTS.host;
  const apiKey = options.apiKey === undefined || options.apiKey === '' ? undefined : options.apiKey;
  const expectedAuthorization = apiKey === undefined ? undefined : `Bearer ${apiKey}`;
  const maxBodyBytes = options.maxBodyBytes ?? SERVER_DEFAULTS.maxBodyBytes;
  const maxDocuments = options.maxDocuments ?? dialect.maxDocuments;
  const recordRequests = options.recordRequests === true;
  const random = mulberry32(options.seed ?? SERVER_DEFAULTS.seed);
  if (!(maxBodyBytes > 0)) throw new RangeError(`rerank server: maxBodyBytes must be > 0, got ${maxBodyBytes}`);
  if (!(Number.isInteger(maxDocuments) && maxDocuments > 0)) throw new RangeError(`rerank server: maxDocuments must be a positive integer, got ${maxDocuments}`);

  let faults: RerankServerFaults = {
    latencyMs: options.latencyMs ?? SERVER_DEFAULTS.latencyMs,
    rate429: options.rate429 ?? 0,
    rate5xx: options.rate5xx ?? 0,
    rateHang: options.rateHang ?? 0,
    rateReset: options.rateReset ?? 0,
    rateMalformed: options.rateMalformed ?? 0,
    rateMissingResult: options.rateMissingResult ?? 0,
    retryAfterSeconds: options.retryAfterSeconds ?? SERVER_DEFAULTS.retryAfterSeconds,
    forceStatus: options.forceStatus,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
    failQueriesMatching: options.failQueriesMatching,
    failQueriesStatus: options.failQueriesStatus ?? FAULT_DEFAULTS.failQueriesStatus,
  };
  validateFaults(faults);

  const stats: RerankServerStats = { requests: 0, byStatus: {}, resets: 0, hangs: 0, maxDocumentsInRequest: 0 };
  if (recordRequests) stats.requestLog = [];
  const timers = new Set<NodeJS.Timeout>();
  let responseCounter = 0;
  let closed = false;
  // Token bucket of maxRequestsPerSecond.
  let tokens = faults.maxRequestsPerSecond ?? 0;
  let lastRefill = performance.now();

  function pickFault(): Fault {
    const { rateReset, rateHang, rate429, rate5xx, rateMalformed, rateMissingResult } = faults;
    if (rateReset + rateHang + rate429 + rate5xx + rateMalformed + rateMissingResult === 0) return undefined;
    let u = random();
    if ((u -= rateReset) < 0) return 'reset';
    if ((u -= rateHang) < 0) return 'hang';
    if ((u -= rate429) < 0) return '429';
    if ((u -= rate5xx) < 0) return '5xx';
    if ((u -= rateMalformed) < 0) return 'malformed';
    if ((u -= rateMissingResult) < 0) return 'missing';
    return undefined;
  }

  function overRate(): boolean {
    const rate = faults.maxRequestsPerSecond;
    if (rate === undefined) return false;
    const now = performance.now();
    const burst = Math.max(1, rate);
    tokens = Math.min(burst, tokens + ((now - lastRefill) * rate) / 1000);
    lastRefill = now;
    if (tokens < 1) return true;
    tokens -= 1;
    return false;
  }

  function send(res: ServerResponse, entry: RecordedRequest | undefined, reply: Reply, headers: Record<string, string> = {}): void {
    const { status, body } = reply;
    const write = (): void => {
      if (res.destroyed || res.writableEnded) return;
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      if (entry !== undefined) entry.status = status;
      const type: Record<string, string> = body === '' ? {} : { 'Content-Type': reply.contentType ?? 'application/json' };
      res.writeHead(status, { ...type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    const latency = faults.latencyMs;
    if (latency <= 0) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      write();
    }, latency);
    timers.add(timer);
  }

  /** The Retry-After of a 429 or 503, in the dialects whose provider sends one. */
  function retryAfterHeaders(status: number): Record<string, string> {
    if (!dialect.retryAfter || (status !== 429 && status !== 503)) return {};
    return { 'Retry-After': String(Math.ceil(faults.retryAfterSeconds)) };
  }

  function sendError(res: ServerResponse, entry: RecordedRequest | undefined, status: number, message: string): void {
    send(res, entry, dialect.error(status, message), retryAfterHeaders(status));
  }

  function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer | undefined, arrivedAt: number): void {
    // raw undefined: the body was larger than maxBodyBytes.
    let parsed: unknown;
    let parseError: string | undefined;
    if (raw !== undefined) {
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        parseError = error instanceof Error ? error.message : String(error);
      }
    }
    const record = isRecord(parsed) ? parsed : {};
    const documentsField = record[dialect.documentsField];
    if (Array.isArray(documentsField) && documentsField.length > stats.maxDocumentsInRequest) stats.maxDocumentsInRequest = documentsField.length;
    let entry: RecordedRequest | undefined;
    if (stats.requestLog !== undefined) {
      entry = {
        at: arrivedAt,
        query: typeof record.query === 'string' ? record.query : '',
        documents: stringsOf(documentsField),
      };
      const authorization = req.headers.authorization;
      if (authorization !== undefined) entry.authorization = authorization;
      stats.requestLog.push(entry);
    }

    if (raw === undefined) return sendError(res, entry, 413, `request body larger than ${maxBodyBytes} bytes`);
    if (expectedAuthorization !== undefined && req.headers.authorization !== expectedAuthorization) {
      return sendError(res, entry, 401, 'missing or invalid API key');
    }
    if (faults.forceStatus !== undefined) return sendError(res, entry, faults.forceStatus, `forced status ${faults.forceStatus}`);
    const failQueries = faults.failQueriesMatching;
    if (failQueries !== undefined && typeof record.query === 'string') {
      failQueries.lastIndex = 0;
      if (failQueries.test(record.query)) {
        const status = faults.failQueriesStatus;
        return sendError(res, entry, status, `query refused (status ${status}): it matches ${String(failQueries)}`);
      }
    }
    if (overRate()) return sendError(res, entry, 429, 'rate limit exceeded');

    const fault = pickFault();
    switch (fault) {
      case 'reset':
        stats.resets++;
        req.socket.destroy();
        return;
      case 'hang':
        stats.hangs++;
        return;
      case '429':
        return sendError(res, entry, 429, 'rate limit exceeded');
      case '5xx':
        return sendError(res, entry, [500, 502, 503][Math.floor(random() * 3)] ?? 500, 'injected server error');
      default:
        break;
    }

    if (parseError !== undefined) return send(res, entry, dialect.invalidJson(parseError));
    const outcome = dialect.parse(parsed);
    if (!outcome.ok) return send(res, entry, outcome.reply);
    const request = outcome.request;
    if (request.documents.length > maxDocuments) return send(res, entry, dialect.tooManyDocuments(request.documents, maxDocuments));

    responseCounter++;
    let results = rankedOrder(scoreDocuments(request.query, request.documents), request.topN);
    if (fault === 'missing') {
      const drop = Math.floor(random() * results.length);
      results = results.filter((_, position) => position !== drop);
    }
    const body = dialect.render(request, results, responseCounter);
    // A proper prefix of a JSON object or array is never JSON.
    send(res, entry, { status: 200, body: fault === 'malformed' ? body.slice(0, Math.floor(body.length / 2)) : body });
  }

  const server = createServer((req, res) => {
    const arrivedAt = performance.timeOrigin + performance.now();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === '/health' || path === '/healthz') {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, undefined, dialect.error(405, 'use GET'), { Allow: 'GET, HEAD' });
      return send(res, undefined, { status: 200, body: '{"status":"ok"}' });
    }
    if (!dialect.paths.includes(path)) {
      req.resume();
      return sendError(res, undefined, 404, `no route ${path}`);
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, undefined, dialect.error(405, 'use POST'), { Allow: 'POST' });
    }
    stats.requests++;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        // Drain (so the client reads the 413) but give up on absurd bodies.
        if (size > maxBodyBytes * 4 + 1024 * 1024) req.socket.destroy();
        return;
      }
      if (size > maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      // Client went away; nothing to answer.
    });
    req.on('end', () => {
      try {
        answer(req, res, tooLarge ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), arrivedAt);
      } catch (error) {
        sendError(res, undefined, 500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  });
  // Clients keep connections alive across many requests; keep them open a little longer than undici's 4 s.
  server.keepAliveTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? SERVER_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}${dialect.paths[0]}`,
    host: address.address,
    port: address.port,
    dialect: dialectName,
    maxDocuments,
    stats,
    setFaults(partial: Partial<RerankServerFaults>): void {
      const next = { ...faults };
      for (const key of Object.keys(partial) as Array<keyof RerankServerFaults>) {
        // undefined clears an optional switch and resets a numeric one to its default.
        (next as Record<keyof RerankServerFaults, unknown>)[key] = partial[key] ?? FAULT_DEFAULTS[key];
      }
      validateFaults(next);
      if (next.maxRequestsPerSecond !== faults.maxRequestsPerSecond) {
        tokens = next.maxRequestsPerSecond ?? 0;
        lastRefill = performance.now();
      }
      faults = next;
    },
    faults: () => ({ ...faults }),
    resetStats(): void {
      stats.requests = 0;
      stats.byStatus = {};
      stats.resets = 0;
      stats.hangs = 0;
      stats.maxDocumentsInRequest = 0;
      if (stats.requestLog !== undefined) stats.requestLog = [];
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
