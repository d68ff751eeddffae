/**
 * The chaos soak's rerank API, in a child process of its own (forked by bench/soak.ts with an IPC channel):
 * the project's rerank server (src/serve) behind a small counting proxy, both on 127.0.0.1.
 *
 * The proxy is what lets the soak count repeated requests exactly. For every POST /rerank it keys the batch
 * by the SHA-1 of its query and documents as sent, forwards it to the server (whose fault switches the
 * parent turns on and off at run time), and classifies the answer it passes back: a *valid answer* is a 200
 * whose body holds exactly one finite score for each document index 0..n-1, counted once it is fully handed
 * to the client's socket. Malformed 200s and 200s missing a result are counted apart (the client retries
 * them: they are faults, not scorings). A reset by the server resets the client's connection; a client that
 * gives up (its timeout on a hung request) has its upstream request dropped, so nothing is counted for it.
 *
 * Protocol: argv[2] is the JSON SoakServerOptions. The child answers `{type: 'ready', url}`; then
 * `{type: 'faults', id, faults}` -> `{type: 'faults', id}` once set; `{type: 'stats', id}` -> `{type: 'stats', id, stats}`.
 */
import { createHash } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRerankServer, type RerankServerFaults, type RerankServerOptions } from '../src/serve/rerank-server.js';

export interface SoakServerOptions {
  server: RerankServerOptions;
}

/** A batch that got more than one valid answer. */
export interface RepeatedBatch {
  /** Short id of the batch (first 12 hex digits of its key). */
  key: string;
  /** The end of the query as sent, to recognise it. */
  query: string;
  /** Date.now() of each valid answer. */
  times: number[];
}

export interface SoakServerStats {
  /** POST /rerank requests the proxy received. */
  requests: number;
  /** Answers handed back, by HTTP status. */
  byStatus: Record<string, number>;
  /** Valid answers (a 200 with every index scored once), fully handed to the client. */
  valid: number;
  /** 200 answers that were not valid (malformed JSON, a result missing). */
  invalid200: number;
  /** Connections reset because the server reset the upstream one. */
  resets: number;
  /** Requests whose client went away before the answer (its timeout on a hung request). */
  abandoned: number;
  /** Distinct batches that got at least one valid answer. */
  distinct: number;
  /** Requests received and not yet answered, reset or abandoned. */
  inFlight: number;
  /** Batches with more than one valid answer (at most 1,000 listed). */
  repeated: RepeatedBatch[];
}

/** Answers carry the `id` of their question. */
export type SoakServerMessage = { type: 'ready'; url: string } | { type: 'faults'; id: number } | { type: 'stats'; id: number; stats: SoakServerStats };
export type SoakServerRequest = { type: 'faults'; id: number; faults: Partial<RerankServerFaults> } | { type: 'stats'; id: number };

/** Whether a 200 body scores each of `documents` documents exactly once with a finite number. */
function isCompleteAnswer(body: string, documents: number): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const results = (parsed as { results?: unknown }).results;
  if (!Array.isArray(results) || results.length !== documents) return false;
  const seen = new Set<number>();
  for (const result of results as unknown[]) {
    if (typeof result !== 'object' || result === null) return false;
    const { index, relevance_score: score } = result as { index?: unknown; relevance_score?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= documents || seen.has(index)) return false;
    if (typeof score !== 'number' || !Number.isFinite(score)) return false;
    seen.add(index);
  }
  return true;
}

/** The batch key of a request body: SHA-1 of query and documents as sent; undefined when the body is not a rerank request. */
function batchOf(raw: Buffer): { key: string; query: string; documents: number } | undefined {
  try {
    const body = JSON.parse(raw.toString('utf8')) as { query?: unknown; documents?: unknown };
    if (typeof body.query !== 'string' || !Array.isArray(body.documents)) return undefined;
    const hash = createHash('sha1').update(body.query).update('\u0000');
    for (const document of body.documents) hash.update(String(document)).update('\u0001');
    return { key: hash.digest('hex'), query: body.query, documents: body.documents.length };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SoakServerOptions;
  const upstream = await startRerankServer({ ...options.server, host: '127.0.0.1', port: 0 });
  const target = new URL(upstream.url);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

  const stats = { requests: 0, byStatus: {} as Record<string, number>, valid: 0, invalid200: 0, resets: 0, abandoned: 0, inFlight: 0 };
  /** Valid answers per batch key. */
  const answered = new Map<string, number>();
  const repeated = new Map<string, RepeatedBatch>();
  const firstAnswerAt = new Map<string, number>();

  const proxy = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const isRerank = req.method === 'POST' && (req.url ?? '').startsWith('/rerank');
      const batch = isRerank ? batchOf(raw) : undefined;
      if (isRerank) {
        stats.requests += 1;
        stats.inFlight += 1;
      }
      let settled = false;
      const settle = (): void => {
        if (isRerank && !settled) stats.inFlight -= 1;
        settled = true;
      };
      const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json', 'content-length': String(raw.length) };
      if (req.headers.authorization !== undefined) headers.authorization = req.headers.authorization;
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('error', () => {
            if (settled) return;
            stats.resets += 1;
            settle();
            req.socket.destroy();
          });
          answer.on('end', () => {
            if (res.destroyed) return;
            const body = Buffer.concat(parts);
            const status = answer.statusCode ?? 502;
            const out: Record<string, string> = { 'content-type': String(answer.headers['content-type'] ?? 'application/json'), 'content-length': String(body.length) };
            const retryAfter = answer.headers['retry-after'];
            if (retryAfter !== undefined) out['retry-after'] = String(retryAfter);
            const complete = isRerank && status === 200 && batch !== undefined && isCompleteAnswer(body.toString('utf8'), batch.documents);
            res.once('finish', () => {
              if (!isRerank) return;
              settle();
              stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
              if (status !== 200) return;
              if (!complete || batch === undefined) {
                stats.invalid200 += 1;
                return;
              }
              stats.valid += 1;
              const now = Date.now();
              const count = (answered.get(batch.key) ?? 0) + 1;
              answered.set(batch.key, count);
              if (count === 1) {
                firstAnswerAt.set(batch.key, now);
                return;
              }
              const known = repeated.get(batch.key);
              if (known !== undefined) known.times.push(now);
              else if (repeated.size < 1000) {
                repeated.set(batch.key, { key: batch.key.slice(0, 12), query: batch.query.slice(-60), times: [firstAnswerAt.get(batch.key) ?? now, now] });
              }
            });
            res.writeHead(status, out);
            res.end(body);
          });
        },
      );
      forward.on('error', () => {
        // The server reset the connection (or it failed): the client sees a reset too.
        if (settled) return;
        if (isRerank) stats.resets += 1;
        settle();
        req.socket.destroy();
      });
      // The client gave up (its timeout, e.g. on a hung request): drop the upstream request, count nothing.
      res.once('close', () => {
        if (res.writableFinished || settled) return;
        if (isRerank) stats.abandoned += 1;
        settle();
        forward.destroy();
      });
      forward.end(raw);
    });
  });
  proxy.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const address = proxy.address() as AddressInfo;

  const send = (message: SoakServerMessage): void => {
    process.send?.(message);
  };
  process.on('message', (message: SoakServerRequest) => {
    if (message.type === 'faults') {
      upstream.setFaults(message.faults);
      send({ type: 'faults', id: message.id });
    } else if (message.type === 'stats') {
      send({ type: 'stats', id: message.id, stats: { ...stats, byStatus: { ...stats.byStatus }, distinct: answered.size, repeated: [...repeated.values()] } });
    }
  });
  const shutdown = (): void => {
    proxy.closeAllConnections();
    proxy.close();
    agent.destroy();
    void upstream.close().then(() => process.exit(0));
  };
  process.on('disconnect', shutdown);
  process.on('SIGTERM', shutdown);
  send({ type: 'ready', url: `http://127.0.0.1:${address.port}/rerank` });
}

await main();
