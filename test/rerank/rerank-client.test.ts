import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RerankClient, type RerankClientOptions } from '../../src/rerank/rerank-client.js';
import { AuthError } from '../../src/rerank/errors/auth-error.js';
import { PermanentApiError } from '../../src/rerank/errors/permanent-api-error.js';
import { RerankApiError } from '../../src/rerank/errors/rerank-api-error.js';
import { RetryableApiError } from '../../src/rerank/errors/retryable-api-error.js';
import { DEFAULT_INSTRUCTION, QWEN3_FORMAT, RAW_FORMAT } from '../../src/rerank/prompt.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { scoreDocuments } from '../../src/serve/bm25-scorer.js';
import { startRerankServer, type RerankServerOptions, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { caught } from '../helpers/http.js';

const KEY = 'sk-test-SECRET-4f2a9c';

const servers: RunningRerankServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: RerankServerOptions = {}): Promise<RunningRerankServer> {
  const server = await startRerankServer({ recordRequests: true, ...options });
  servers.push(server);
  return server;
}

function client(server: RunningRerankServer, options: Partial<RerankClientOptions> = {}): RerankClient {
  return new RerankClient({ apiUrl: server.url, minRetryDelayMs: 5, maxRetryDelayMs: 20, timeoutMs: 5_000, ...options });
}

const QUERY = 'capital of China';
const DOCS = [
  'Gravity is a force that attracts two bodies towards each other.',
  'Paris is the capital of France.',
  'The capital of China is Beijing.',
  'Bananas are rich in potassium.',
];


describe('RerankClient against the local server', () => {
  it('returns scores aligned with the input order although the server sorts by score', async () => {
    const server = await serve();
    const outcome = await client(server).rerank(QUERY, DOCS);
    const expected = scoreDocuments(
      `<Instruct>: ${DEFAULT_INSTRUCTION}\n<Query>: ${QUERY}`,
      DOCS.map((d) => `<Document>: ${d}`),
    );
    expect(outcome).toEqual({ scores: expected, attempts: 1, retries: 0, rateLimited: 0 });
    // The Beijing passage (index 2) wins although it is not first in the input nor in the answer order.
    const best = outcome.scores.indexOf(Math.max(...outcome.scores));
    expect(best).toBe(2);
    expect(outcome.scores[2]).toBeGreaterThan(outcome.scores[3] ?? 1);
  });

  it('sends the Qwen3 tags, model, every document and the bearer key', async () => {
    const server = await serve({ apiKey: KEY });
    await client(server, { apiKey: KEY, instruction: 'Find it' }).rerank('q1', ['a', 'b']);
    const [entry] = server.stats.requestLog ?? [];
    expect(entry?.query).toBe('<Instruct>: Find it\n<Query>: q1');
    expect(entry?.documents).toEqual(['<Document>: a', '<Document>: b']);
    expect(entry?.authorization).toBe(`Bearer ${KEY}`);
  });

  it("sends raw text with the 'none' format and no Authorization header without a key", async () => {
    const server = await serve();
    const outcome = await client(server, { format: RAW_FORMAT }).rerank('q1', ['a b', 'q1 here']);
    const [entry] = server.stats.requestLog ?? [];
    expect(entry?.query).toBe('q1');
    expect(entry?.documents).toEqual(['a b', 'q1 here']);
    expect(entry?.authorization).toBeUndefined();
    expect(outcome.scores[1]).toBeGreaterThan(outcome.scores[0] ?? 1);
  });

  it('makes no request for an empty document list', async () => {
    const server = await serve();
    expect(await client(server).rerank('q', [])).toEqual({ scores: [], attempts: 0, retries: 0, rateLimited: 0 });
    expect(server.stats.requests).toBe(0);
  });

  it('honours Retry-After on 429 before the next attempt', async () => {
    const server = await serve({ rate429: 1, retryAfterSeconds: 1 });
    const retries: Array<{ code: string; attempt: number; delayMs: number }> = [];
    const outcome = await client(server, {
      onRetry: (error, attempt, delayMs) => {
        retries.push({ code: error.code, attempt, delayMs });
        server.setFaults({ rate429: 0 });
      },
    }).rerank(QUERY, DOCS);
    expect(outcome).toMatchObject({ attempts: 2, retries: 1, rateLimited: 1 });
    expect(retries).toEqual([{ code: 'ERR_API_RATE_LIMITED', attempt: 1, delayMs: 1000 }]);
    const log = server.stats.requestLog ?? [];
    expect(log.map((e) => e.status)).toEqual([429, 200]);
    // The second request arrived at least Retry-After after the first (which was answered after it arrived).
    expect((log[1]?.at ?? 0) - (log[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('caps a long Retry-After at maxRetryAfterMs', async () => {
    const server = await serve({ rate429: 1, retryAfterSeconds: 30 });
    const started = performance.now();
    const outcome = await client(server, { maxRetryAfterMs: 50, onRetry: () => server.setFaults({ rate429: 0 }) }).rerank(QUERY, DOCS);
    expect(outcome.rateLimited).toBe(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('retries 5xx then succeeds', async () => {
    const server = await serve({ rate5xx: 1 });
    const codes: string[] = [];
    const outcome = await client(server, {
      onRetry: (error) => {
        codes.push(error.code);
        if (codes.length === 2) server.setFaults({ rate5xx: 0 });
      },
    }).rerank(QUERY, DOCS);
    expect(outcome).toMatchObject({ attempts: 3, retries: 2, rateLimited: 0 });
    expect(codes).toEqual(['ERR_API_SERVER', 'ERR_API_SERVER']);
    expect(server.stats.requests).toBe(3);
  });

  it('times out a hung request and retries it', async () => {
    const server = await serve({ rateHang: 1 });
    const codes: string[] = [];
    const outcome = await client(server, {
      timeoutMs: 200,
      onRetry: (error) => {
        codes.push(error.code);
        server.setFaults({ rateHang: 0 });
      },
    }).rerank(QUERY, DOCS);
    expect(codes).toEqual(['ERR_API_TIMEOUT']);
    expect(outcome.attempts).toBe(2);
    expect(server.stats.hangs).toBe(1);
  });

  it('retries a reset connection', async () => {
    const server = await serve({ rateReset: 1 });
    const codes: string[] = [];
    const outcome = await client(server, {
      onRetry: (error) => {
        codes.push(error.code);
        server.setFaults({ rateReset: 0 });
      },
    }).rerank(QUERY, DOCS);
    expect(codes).toEqual(['ERR_API_NETWORK']);
    expect(outcome.attempts).toBe(2);
    expect(server.stats.resets).toBe(1);
  });

  it('retries a malformed body and a response missing a result', async () => {
    const server = await serve({ rateMalformed: 1 });
    const messages: string[] = [];
    const outcome = await client(server, {
      onRetry: (error) => {
        expect(error.code).toBe('ERR_API_MALFORMED_RESPONSE');
        messages.push(error.message);
        if (messages.length === 1) server.setFaults({ rateMalformed: 0, rateMissingResult: 1 });
        else server.setFaults({ rateMissingResult: 0 });
      },
    }).rerank(QUERY, DOCS);
    expect(outcome.attempts).toBe(3);
    expect(messages[0]).toMatch(/not valid JSON/);
    expect(messages[1]).toMatch(/index \d missing/);
  });

  it('marks an answer of another dialect as a shape mismatch, and stops retrying when giveUp says so', async () => {
    // A TEI-like server: a bare array of {index, score}, which a regolo client cannot read.
    let requests = 0;
    const tei: Server = createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify([{ index: 0, score: 0.5 }]));
      });
    });
    await new Promise<void>((resolve) => tei.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(tei.address() as AddressInfo).port}/rerank`;
      const retried = await caught(new RerankClient({ apiUrl: url, retries: 2, minRetryDelayMs: 1, maxRetryDelayMs: 2 }).rerank('q', ['a']));
      expect(retried).toBeInstanceOf(RetryableApiError);
      expect(retried).toMatchObject({ code: 'ERR_API_MALFORMED_RESPONSE', shapeMismatch: true, attempts: 3 });
      expect((retried as Error).message).toMatch(/tei/);
      expect(requests).toBe(3);

      requests = 0;
      const seen: string[] = [];
      const stopped = await caught(
        new RerankClient({
          apiUrl: url,
          retries: 5,
          minRetryDelayMs: 1,
          maxRetryDelayMs: 2,
          giveUp: (error) => {
            seen.push(error.code);
            return seen.length === 2;
          },
        }).rerank('q', ['a']),
      );
      // The second failure is given up on: thrown as it is, after two requests instead of six.
      expect(stopped).toBeInstanceOf(RetryableApiError);
      expect(stopped).toMatchObject({ code: 'ERR_API_MALFORMED_RESPONSE', attempts: 2 });
      expect(seen).toEqual(['ERR_API_MALFORMED_RESPONSE', 'ERR_API_MALFORMED_RESPONSE']);
      expect(requests).toBe(2);

      // Read as the provider it is, the same answer is fine.
      requests = 0;
      expect((await new RerankClient({ apiUrl: url, provider: 'tei' }).rerank('q', ['a'])).scores).toEqual([0.5]);
    } finally {
      await new Promise((resolve) => tei.close(resolve));
    }
  });

  it('throws the last RetryableApiError with attempts when retries run out', async () => {
    const server = await serve({ rate5xx: 1, retryAfterSeconds: 0 });
    const error = await caught(client(server, { retries: 2 }).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(RetryableApiError);
    expect(error).toMatchObject({ code: 'ERR_API_SERVER', attempts: 3, url: server.url });
    expect([500, 502, 503]).toContain((error as RetryableApiError).status);
    expect((error as RetryableApiError).responseBody).toMatch(/injected server error/);
    expect(server.stats.requests).toBe(3);
  });

  it.each([
    [400, 'ERR_API_BAD_REQUEST'],
    [404, 'ERR_API_NOT_FOUND'],
    [422, 'ERR_API_UNPROCESSABLE'],
    [413, 'ERR_API_PAYLOAD_TOO_LARGE'],
    [409, 'ERR_API_BAD_REQUEST'],
  ])('does not retry HTTP %i (PermanentApiError %s)', async (status, code) => {
    const server = await serve({ forceStatus: status });
    const error = await caught(client(server).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(PermanentApiError);
    expect(error).toMatchObject({ code, status, attempts: 1 });
    expect(server.stats.requests).toBe(1);
  });

  it('maps a real validation 400 (empty document) and a real 413 (too many documents)', async () => {
    const server = await serve({ maxDocuments: 3 });
    const empty = await caught(client(server, { format: RAW_FORMAT }).rerank('q', ['a', '']));
    expect(empty).toMatchObject({ code: 'ERR_API_BAD_REQUEST', status: 400 });
    expect((empty as Error).message).toMatch(/documents\[1\] must not be empty/);
    const tooMany = await caught(client(server).rerank('q', ['a', 'b', 'c', 'd']));
    expect(tooMany).toBeInstanceOf(PermanentApiError);
    expect(tooMany).toMatchObject({ code: 'ERR_API_PAYLOAD_TOO_LARGE', status: 413 });
    expect(server.stats.requests).toBe(2);
  });

  it('maps a body over the server limit to ERR_API_PAYLOAD_TOO_LARGE', async () => {
    const server = await serve({ maxBodyBytes: 1024 });
    const error = await caught(client(server).rerank('q', ['x'.repeat(4096)]));
    expect(error).toMatchObject({ code: 'ERR_API_PAYLOAD_TOO_LARGE', status: 413, attempts: 1 });
  });

  it.each([401, 403])('throws AuthError on HTTP %i after one request', async (status) => {
    const server = await serve({ forceStatus: status });
    const error = await caught(client(server, { apiKey: KEY }).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'ERR_API_AUTH', status, attempts: 1 });
    expect((error as Error).message).toMatch(/RERANK_API_KEY/);
    expect(server.stats.requests).toBe(1);
  });

  it('throws AuthError for a wrong key and for a missing key', async () => {
    const server = await serve({ apiKey: 'the-right-key' });
    const wrong = await caught(client(server, { apiKey: KEY }).rerank(QUERY, DOCS));
    expect(wrong).toBeInstanceOf(AuthError);
    expect((wrong as Error).message).toMatch(/rejected/);
    const missing = await caught(client(server).rerank(QUERY, DOCS));
    expect(missing).toBeInstanceOf(AuthError);
    expect((missing as Error).message).toMatch(/no API key was sent/);
    // The API's own words come along (the local server says "missing or invalid API key").
    expect((missing as Error).message).toMatch(/HTTP 401: missing or invalid API key \(no API key was sent\)/);
    expect(server.stats.requests).toBe(2);
  });

  it('never puts the API key in an error', async () => {
    const errors: unknown[] = [];
    for (const options of [{ forceStatus: 401 }, { forceStatus: 422 }, { rate5xx: 1 }, { rateMalformed: 1 }, { rateReset: 1 }, { rateHang: 1 }] as RerankServerOptions[]) {
      const server = await serve(options);
      errors.push(await caught(client(server, { apiKey: KEY, retries: 1, timeoutMs: 100 }).rerank(QUERY, DOCS)));
    }
    errors.push(await caught(client({ url: 'http://127.0.0.1:1/rerank' } as RunningRerankServer, { apiKey: KEY, retries: 0 }).rerank(QUERY, DOCS)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(RerankApiError);
      const texts = [String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), (error as Error).stack ?? ''];
      for (const text of texts) expect(text).not.toContain(KEY);
    }
    expect(errors.map((e) => (e as RerankApiError).code)).toEqual([
      'ERR_API_AUTH',
      'ERR_API_UNPROCESSABLE',
      'ERR_API_SERVER',
      'ERR_API_MALFORMED_RESPONSE',
      'ERR_API_NETWORK',
      'ERR_API_TIMEOUT',
      'ERR_API_NETWORK',
    ]);
    const c = client(servers[0] as RunningRerankServer, { apiKey: KEY });
    expect(inspect(c)).not.toContain(KEY);
    expect(JSON.stringify(c)).not.toContain(KEY);
  });

  it("stops at once when the caller's signal aborts, also during a hung request", async () => {
    const server = await serve({ rateHang: 1 });
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    const error = await caught(client(server, { timeoutMs: 10_000 }).rerank(QUERY, DOCS, { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(server.stats.requests).toBe(1);
  });

  it('aborts a retry wait when the signal aborts', async () => {
    const server = await serve({ rate429: 1, retryAfterSeconds: 30 });
    const controller = new AbortController();
    const error = await caught(
      client(server, { onRetry: () => setTimeout(() => controller.abort(new Error('stop')), 20) }).rerank(QUERY, DOCS, { signal: controller.signal }),
    );
    expect((error as Error).message).toBe('stop');
    expect(server.stats.requests).toBe(1);
  });
});

describe('RerankClient options and delays', () => {
  it('validates options with UsageError naming the option', () => {
    expect(() => new RerankClient({ apiUrl: '' })).toThrow(UsageError);
    expect(() => new RerankClient({ apiUrl: 'ftp://x/rerank' })).toThrow(/apiUrl/);
    expect(() => new RerankClient({ apiUrl: 'http://u:p@x/rerank' })).toThrow(/credentials/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', retries: -1 })).toThrow(/retries/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', retries: 1.5 })).toThrow(/retries/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', minRetryDelayMs: 100, maxRetryDelayMs: 10 })).toThrow(/maxRetryDelayMs/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', provider: 'llama' as 'regolo' })).toThrow(/provider/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', format: { name: 'custom', query: 'no placeholder', document: '{document}' } })).toThrow(/format/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', format: { name: 'custom', query: '{query}', document: 'none' } })).toThrow(/format/);
    expect(() => new RerankClient({ apiUrl: 'http://x/rerank', maxTokensPerDoc: 0 })).toThrow(/maxTokensPerDoc/);
  });

  it('has the documented defaults', () => {
    const { options } = new RerankClient({ apiUrl: 'http://x/rerank' });
    expect(options).toMatchObject({
      model: 'Qwen3-Reranker-4B',
      format: QWEN3_FORMAT,
      instruction: DEFAULT_INSTRUCTION,
      timeoutMs: 60_000,
      retries: 5,
      minRetryDelayMs: 500,
      maxRetryDelayMs: 30_000,
      factor: 2,
      jitter: true,
      maxRetryAfterMs: 120_000,
      apiKey: undefined,
    });
  });

  it("takes the provider's default model and picks the format from it", () => {
    expect(new RerankClient({ apiUrl: 'http://x/rerank' }).options.provider.name).toBe('regolo');
    const cohere = new RerankClient({ apiUrl: 'http://x/rerank', provider: 'cohere' }).options;
    expect(cohere).toMatchObject({ model: 'rerank-v3.5', format: RAW_FORMAT });
    expect(cohere.provider.name).toBe('cohere');
    // A server that serves one model: no model, raw text, unless the model named is a Qwen3 reranker.
    expect(new RerankClient({ apiUrl: 'http://x/rerank', provider: 'tei' }).options).toMatchObject({ model: undefined, format: RAW_FORMAT });
    expect(new RerankClient({ apiUrl: 'http://x/rerank', provider: 'vllm', model: 'Qwen/Qwen3-Reranker-0.6B' }).options.format).toEqual(QWEN3_FORMAT);
  });

  it('computes exponential backoff with jitter, raised to (capped) Retry-After', () => {
    const c = new RerankClient({ apiUrl: 'http://x/rerank', minRetryDelayMs: 100, maxRetryDelayMs: 1_000, maxRetryAfterMs: 5_000 });
    const plain = new RetryableApiError('ERR_API_SERVER', 'x', { url: 'u' });
    expect(c.retryDelayMs(plain, 0, () => 0)).toBe(100);
    expect(c.retryDelayMs(plain, 0, () => 0.5)).toBe(150);
    expect(c.retryDelayMs(plain, 2, () => 0)).toBe(400);
    expect(c.retryDelayMs(plain, 10, () => 0.99)).toBe(1_000);
    const after = (ms: number): RetryableApiError => new RetryableApiError('ERR_API_RATE_LIMITED', 'x', { url: 'u', retryAfterMs: ms });
    expect(c.retryDelayMs(after(2_000), 0, () => 0)).toBe(2_000);
    expect(c.retryDelayMs(after(50), 2, () => 0)).toBe(400);
    expect(c.retryDelayMs(after(60_000), 0, () => 0)).toBe(5_000);
  });
});
