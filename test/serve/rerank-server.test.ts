import { afterEach, describe, expect, it } from 'vitest';
import { scoreDocuments } from '../../src/serve/bm25-scorer.js';
import { startRerankServer, type RerankServerOptions, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { postJson } from '../helpers/http.js';

const servers: RunningRerankServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: RerankServerOptions = {}): Promise<RunningRerankServer> {
  const server = await startRerankServer(options);
  servers.push(server);
  return server;
}



interface RerankResult {
  index: number;
  relevance_score: number;
  document: { text: string };
}

const request = (documents: string[], query = 'capital of China', extra: Record<string, unknown> = {}) => ({ model: 'Qwen3-Reranker-4B', query, documents, ...extra });

describe('local rerank server', () => {
  it('answers like the hosted API, sorted by score, with BM25 scores', async () => {
    const server = await serve();
    const documents = ['<Document>: Gravity is a force.', '<Document>: The capital of China is Beijing.', '<Document>: China is large.'];
    const query = '<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: capital of China';
    const answer = await postJson(server.url, request(documents, query));
    expect(answer.status).toBe(200);
    const body = answer.json as { id: string; results: RerankResult[]; meta: null };
    expect(body.id).toMatch(/^rerank-/);
    expect(body.meta).toBeNull();
    expect(body.results.map((r) => r.index)).toEqual([1, 2, 0]);
    expect(body.results[0]?.document.text).toBe(documents[1]);
    const scores = scoreDocuments(query, documents);
    for (const result of body.results) expect(result.relevance_score).toBe(scores[result.index]);
  });

  it('is deterministic and honours top_n', async () => {
    const server = await serve();
    const documents = ['a b', 'capital', 'china capital', 'x'];
    const first = (await postJson(server.url, request(documents))).json as { results: RerankResult[] };
    const second = (await postJson(server.url, request(documents))).json as { results: RerankResult[] };
    expect(second.results).toEqual(first.results);
    const top = (await postJson(server.url, request(documents, 'capital of China', { top_n: 2 }))).json as { results: RerankResult[] };
    expect(top.results).toEqual(first.results.slice(0, 2));
    const over = (await postJson(server.url, request(documents, 'capital of China', { top_n: 99 }))).json as { results: RerankResult[] };
    expect(over.results).toHaveLength(4);
  });

  it.each([
    ['not JSON', '{"model":', /not valid JSON/],
    ['an array body', [], /JSON object/],
    ['no model', { query: 'q', documents: ['a'] }, /model/],
    ['no query', { model: 'm', documents: ['a'] }, /query/],
    ['an empty query', { model: 'm', query: '', documents: ['a'] }, /query" must not be empty/],
    ['no documents', { model: 'm', query: 'q' }, /documents/],
    ['an empty documents array', { model: 'm', query: 'q', documents: [] }, /must not be empty/],
    ['an empty document', { model: 'm', query: 'q', documents: ['a', ''] }, /documents\[1\] must not be empty/],
    ['a non-string document', { model: 'm', query: 'q', documents: ['a', 3] }, /documents\[1\] must be a string/],
    ['a bad top_n', { model: 'm', query: 'q', documents: ['a'], top_n: 0 }, /top_n/],
  ])('answers 400 with a JSON error for %s', async (_name, body, message) => {
    const server = await serve();
    const answer = await postJson(server.url, body);
    expect(answer.status).toBe(400);
    expect((answer.json as { error: { message: string } }).error.message).toMatch(message);
  });

  it('answers 413 above maxDocuments and above maxBodyBytes', async () => {
    const server = await serve({ maxDocuments: 2, maxBodyBytes: 2_000 });
    expect((await postJson(server.url, request(['a', 'b']))).status).toBe(200);
    expect((await postJson(server.url, request(['a', 'b', 'c']))).status).toBe(413);
    const big = await postJson(server.url, request(['y'.repeat(5_000)]));
    expect(big.status).toBe(413);
    expect((big.json as { error: { message: string } }).error.message).toMatch(/larger than 2000 bytes/);
    expect(server.stats).toMatchObject({ requests: 3, byStatus: { 200: 1, 413: 2 }, maxDocumentsInRequest: 3 });
  });

  it('serves /health, 404 for other paths and 405 for GET /rerank', async () => {
    const server = await serve();
    const base = server.url.replace(/\/rerank$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(server.url)).status).toBe(405);
    expect(server.stats.requests).toBe(0);
  });

  it('requires the bearer key when apiKey is set', async () => {
    const server = await serve({ apiKey: 'k1', recordRequests: true });
    expect((await postJson(server.url, request(['a']))).status).toBe(401);
    expect((await postJson(server.url, request(['a']), { Authorization: 'Bearer k2' })).status).toBe(401);
    expect((await postJson(server.url, request(['a']), { Authorization: 'k1' })).status).toBe(401);
    expect((await postJson(server.url, request(['a']), { Authorization: 'Bearer k1' })).status).toBe(200);
    expect(server.stats.byStatus).toEqual({ 401: 3, 200: 1 });
    expect(server.stats.requestLog?.map((e) => e.authorization)).toEqual([undefined, 'Bearer k2', 'k1', 'Bearer k1']);
  });

  it('keeps stats and an optional request log', async () => {
    const server = await serve({ recordRequests: true });
    await postJson(server.url, request(['a', 'b', 'c'], 'q1'));
    await postJson(server.url, request(['d'], 'q2'));
    expect(server.stats).toMatchObject({ requests: 2, byStatus: { 200: 2 }, maxDocumentsInRequest: 3 });
    expect(server.stats.requestLog?.map((e) => [e.query, e.documents, e.status])).toEqual([
      ['q1', ['a', 'b', 'c'], 200],
      ['q2', ['d'], 200],
    ]);
    server.resetStats();
    expect(server.stats).toMatchObject({ requests: 0, byStatus: {}, maxDocumentsInRequest: 0, requestLog: [] });
    const plain = await serve();
    await postJson(plain.url, request(['a']));
    expect(plain.stats.requestLog).toBeUndefined();
  });

  it('injects faults from a seeded PRNG, repeatably, and switches them at run time', async () => {
    const run = async (): Promise<number[]> => {
      const server = await serve({ seed: 7, rate429: 0.3, rate5xx: 0.3, retryAfterSeconds: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const answer = await postJson(server.url, request(['a', 'capital']));
        statuses.push(answer.status);
        if (answer.status === 429) expect(answer.headers.get('retry-after')).toBe('2');
      }
      server.setFaults({ rate429: 0, rate5xx: 0 });
      expect((await postJson(server.url, request(['a']))).status).toBe(200);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(429);
    expect(first.some((s) => s >= 500)).toBe(true);
    expect(first).toContain(200);
  });

  it('answers forceStatus to every request and can be switched off', async () => {
    const server = await serve({ forceStatus: 422 });
    expect((await postJson(server.url, request(['a']))).status).toBe(422);
    server.setFaults({ forceStatus: undefined });
    expect((await postJson(server.url, request(['a']))).status).toBe(200);
  });

  it('answers failQueriesStatus only to queries matching failQueriesMatching, and can be switched off', async () => {
    const server = await serve({ failQueriesMatching: /poison/g });
    for (let i = 0; i < 3; i += 1) {
      const refused = await postJson(server.url, request(['a'], 'a poison query'));
      expect(refused.status).toBe(422);
      expect(refused.text).toMatch(/poison/);
    }
    expect((await postJson(server.url, request(['a'], 'a fine query'))).status).toBe(200);
    server.setFaults({ failQueriesStatus: 400 });
    expect((await postJson(server.url, request(['a'], 'poison'))).status).toBe(400);
    server.setFaults({ failQueriesMatching: undefined });
    expect((await postJson(server.url, request(['a'], 'poison'))).status).toBe(200);
    expect(() => server.setFaults({ failQueriesStatus: 42 })).toThrow(/failQueriesStatus/);
  });

  it('sends malformed and incomplete answers when asked', async () => {
    const server = await serve({ rateMalformed: 1 });
    const malformed = await postJson(server.url, request(['a', 'b', 'c']));
    expect(malformed.status).toBe(200);
    expect(malformed.json).toBeUndefined();
    server.setFaults({ rateMalformed: 0, rateMissingResult: 1 });
    const missing = await postJson(server.url, request(['a', 'b', 'c']));
    expect((missing.json as { results: RerankResult[] }).results).toHaveLength(2);
  });

  it('resets connections when asked', async () => {
    const server = await serve({ rateReset: 1 });
    await expect(postJson(server.url, request(['a']))).rejects.toThrow();
    expect(server.stats.resets).toBe(1);
  });

  it('limits requests per second with 429', async () => {
    const server = await serve({ maxRequestsPerSecond: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await postJson(server.url, request(['a']))).status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(10);
    expect(statuses).toContain(429);
  });

  it('applies latency', async () => {
    const server = await serve({ latencyMs: 150 });
    const started = performance.now();
    await postJson(server.url, request(['a']));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rejects bad fault values', async () => {
    const server = await serve();
    expect(() => server.setFaults({ rate429: 2 })).toThrow(/rate429/);
    expect(() => server.setFaults({ forceStatus: 42 })).toThrow(/forceStatus/);
    await expect(startRerankServer({ rateHang: -0.1 })).rejects.toThrow(/rateHang/);
  });

  it('close() ends hung requests', async () => {
    const server = await startRerankServer({ rateHang: 1 });
    const pending = postJson(server.url, request(['a']));
    const settled = pending.then(
      () => 'answered',
      () => 'failed',
    );
    while (server.stats.hangs === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await settled).toBe('failed');
    await server.close(); // idempotent
  });

  it('handles many concurrent keep-alive requests', async () => {
    const server = await serve();
    const documents = Array.from({ length: 50 }, (_, i) => `document ${i} about topic ${i % 7}`);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => postJson(server.url, request(documents, `topic ${i % 7}`))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(server.stats.requests).toBe(200);
  });
});
