import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_NAMES, type ProviderName } from '../../src/rerank/providers/provider-name.js';
import { scoreDocuments } from '../../src/serve/bm25-scorer.js';
import { isRecord } from '../../src/serve/dialects/dialect.js';
import { DIALECTS } from '../../src/serve/dialects/index.js';
import { startRerankServer, type RerankServerOptions, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { postJson } from '../helpers/http.js';

const servers: RunningRerankServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(dialect: ProviderName, options: RerankServerOptions = {}): Promise<RunningRerankServer> {
  const server = await startRerankServer({ dialect, ...options });
  servers.push(server);
  return server;
}



const QUERY = 'capital of China';
const DOCS = ['Gravity is a force.', 'The capital of China is Beijing.', 'China is large.'];
const SCORES = scoreDocuments(QUERY, DOCS);
/** Query tokens once per document plus the documents' tokens: 3 x 3 + (4 + 6 + 3). */
const TOKENS = 22;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The two best documents (Beijing, then China), as (index, score). */
const FIRST = { index: 1, score: SCORES[1] };
const SECOND = { index: 2, score: SCORES[2] };

/** What each dialect is expected to do, written from the providers' documentation (see src/serve/dialects). */
interface DialectCase {
  path: string;
  /** A good request for DOCS asking for the top 2 (TEI: all, it has no cut). */
  good: Record<string, unknown>;
  goodAnswer: unknown;
  /** The same request with the documents under another field name. */
  wrongField: Record<string, unknown>;
  refused: { status: number; body: unknown; contentType?: RegExp };
  notFound: { status: number; body: unknown };
  /** Body of a forced 429 (message "forced status 429"); Retry-After only where the provider sends it. */
  rateLimited: { body: unknown; retryAfter: string | null };
  /** The documented cap and the answer above it. */
  maxDocuments: number;
  tooMany: (count: number, max: number) => { status: number; body: unknown };
  /** Where the results are in an answer. */
  results: (json: unknown) => unknown[];
}

function field(json: unknown, name: string): unknown[] {
  const value = isRecord(json) ? json[name] : undefined;
  return Array.isArray(value) ? value : [];
}

const missing = (name: string, input: unknown) => ({ type: 'missing', loc: ['body', name], msg: 'Field required', input });
const tooLong = (name: string, count: number, max: number) => ({
  type: 'too_long',
  loc: ['body', name],
  msg: `List should have at most ${max} items after validation, not ${count}`,
  input: expect.any(Array),
  ctx: { field_type: 'List', max_length: max, actual_length: count },
});

const CASES: Record<ProviderName, DialectCase> = {
  regolo: {
    path: '/rerank',
    good: { model: 'Qwen3-Reranker-4B', query: QUERY, documents: DOCS, top_n: 2 },
    goodAnswer: {
      id: expect.stringMatching(/^rerank-[0-9a-f]{16}$/),
      results: [FIRST, SECOND].map(({ index, score }) => ({ index, relevance_score: score, document: { text: DOCS[index] } })),
      meta: null,
    },
    wrongField: { model: 'Qwen3-Reranker-4B', query: QUERY, docs: DOCS },
    refused: { status: 400, body: { error: { message: 'field "documents" must be an array of strings', type: 'BadRequestError', code: 400 } } },
    notFound: { status: 404, body: { error: { message: 'no route /nope', type: 'NotFoundError', code: 404 } } },
    rateLimited: { body: { error: { message: 'forced status 429', type: 'RateLimitError', code: 429 } }, retryAfter: '7' },
    maxDocuments: 1000,
    tooMany: (count, max) => ({ status: 413, body: { error: { message: `too many documents: ${count} > ${max}`, type: 'PayloadTooLarge', code: 413 } } }),
    results: (json) => field(json, 'results'),
  },
  cohere: {
    path: '/v2/rerank',
    good: { model: 'rerank-v3.5', query: QUERY, documents: DOCS, top_n: 2 },
    goodAnswer: {
      id: expect.stringMatching(UUID),
      results: [FIRST, SECOND].map(({ index, score }) => ({ index, relevance_score: score })),
      meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } },
    },
    wrongField: { model: 'rerank-v3.5', query: QUERY, docs: DOCS },
    refused: { status: 400, body: { message: 'invalid request: documents: Field required' } },
    notFound: { status: 404, body: { message: 'no route /nope' } },
    rateLimited: { body: { message: 'forced status 429' }, retryAfter: null },
    maxDocuments: 1000,
    tooMany: (count, max) => ({ status: 400, body: { message: `invalid request: too many documents: ${count}, the maximum is ${max}` } }),
    results: (json) => field(json, 'results'),
  },
  jina: {
    path: '/v1/rerank',
    good: { model: 'jina-reranker-v2-base-multilingual', query: QUERY, documents: DOCS, top_n: 2, return_documents: false },
    goodAnswer: {
      model: 'jina-reranker-v2-base-multilingual',
      usage: { total_tokens: TOKENS },
      results: [FIRST, SECOND].map(({ index, score }) => ({ index, relevance_score: score })),
    },
    wrongField: { model: 'jina-reranker-v2-base-multilingual', query: QUERY, docs: DOCS },
    refused: { status: 422, body: { detail: [missing('documents', { model: 'jina-reranker-v2-base-multilingual', query: QUERY, docs: DOCS })] } },
    notFound: { status: 404, body: { detail: 'Not Found' } },
    rateLimited: { body: { detail: 'forced status 429' }, retryAfter: null },
    maxDocuments: 1000,
    tooMany: (count, max) => ({ status: 422, body: { detail: [tooLong('documents', count, max)] } }),
    results: (json) => field(json, 'results'),
  },
  voyage: {
    path: '/v1/rerank',
    good: { query: QUERY, documents: DOCS, model: 'rerank-2.5', top_k: 2 },
    goodAnswer: {
      object: 'list',
      data: [FIRST, SECOND].map(({ index, score }) => ({ relevance_score: score, index })),
      model: 'rerank-2.5',
      usage: { total_tokens: TOKENS },
    },
    wrongField: { query: QUERY, docs: DOCS, model: 'rerank-2.5' },
    refused: { status: 400, body: { detail: 'documents: Field required' } },
    notFound: { status: 404, body: { detail: 'Not Found' } },
    rateLimited: { body: { detail: 'forced status 429' }, retryAfter: null },
    maxDocuments: 1000,
    tooMany: (count, max) => ({ status: 400, body: { detail: `the number of documents cannot exceed ${max}, got ${count}` } }),
    results: (json) => field(json, 'data'),
  },
  mixedbread: {
    path: '/v1/reranking',
    good: { model: 'mixedbread-ai/mxbai-rerank-large-v2', query: QUERY, input: DOCS, top_k: 2, return_input: false },
    goodAnswer: {
      object: 'list',
      data: [FIRST, SECOND].map(({ index, score }) => ({ index, score, object: 'rank_result' })),
      model: 'mixedbread-ai/mxbai-rerank-large-v2',
      usage: { prompt_tokens: TOKENS, total_tokens: TOKENS },
      top_k: 2,
      return_input: false,
    },
    // The Cohere-style field name, a likely mistake.
    wrongField: { model: 'mixedbread-ai/mxbai-rerank-large-v2', query: QUERY, documents: DOCS },
    refused: {
      status: 422,
      body: {
        type: 'validation_error',
        message: 'input: Field required',
        details: [missing('input', { model: 'mixedbread-ai/mxbai-rerank-large-v2', query: QUERY, documents: DOCS })],
      },
    },
    notFound: { status: 404, body: { type: 'not_found_error', message: 'no route /nope' } },
    rateLimited: { body: { type: 'too_many_requests_error', message: 'forced status 429' }, retryAfter: '7' },
    maxDocuments: 1000,
    tooMany: (count, max) => ({ status: 422, body: { type: 'validation_error', message: `input: List should have at most ${max} items after validation, not ${count}`, details: [tooLong('input', count, max)] } }),
    results: (json) => field(json, 'data'),
  },
  tei: {
    path: '/rerank',
    // A model field is not TEI's and is ignored.
    good: { query: QUERY, texts: DOCS, model: 'BAAI/bge-reranker-base' },
    goodAnswer: [FIRST, SECOND, { index: 0, score: SCORES[0] }],
    wrongField: { query: QUERY, documents: DOCS },
    refused: { status: 422, body: undefined, contentType: /^text\/plain/ },
    notFound: { status: 404, body: undefined },
    rateLimited: { body: { error: 'forced status 429', error_type: 'Overloaded' }, retryAfter: null },
    maxDocuments: 32,
    tooMany: (count, max) => ({ status: 413, body: { error: `batch size ${count} > maximum allowed batch size ${max}`, error_type: 'Validation' } }),
    results: (json) => (Array.isArray(json) ? json : []),
  },
  vllm: {
    path: '/rerank',
    good: { query: QUERY, documents: DOCS, top_n: 2 },
    goodAnswer: {
      id: expect.stringMatching(/^rerank-[0-9a-f]{16}$/),
      model: 'rerank-batch-bm25',
      usage: { prompt_tokens: TOKENS, total_tokens: TOKENS },
      results: [FIRST, SECOND].map(({ index, score }) => ({ index, document: { text: DOCS[index] }, relevance_score: score })),
    },
    wrongField: { query: QUERY, docs: DOCS },
    refused: { status: 400, body: { error: { message: expect.stringMatching(/^1 validation error:\n {2}\{"type":"missing","loc":\["body","documents"\]/), type: 'Bad Request', param: 'body.documents', code: 400 } } },
    notFound: { status: 404, body: { detail: 'Not Found' } },
    rateLimited: { body: { error: { message: 'forced status 429', type: 'Too Many Requests', param: null, code: 429 } }, retryAfter: null },
    maxDocuments: 1000,
    tooMany: (count, max) => ({ status: 400, body: { error: { message: `too many documents: ${count} > ${max}`, type: 'Bad Request', param: 'documents', code: 400 } } }),
    results: (json) => field(json, 'results'),
  },
  infinity: {
    path: '/rerank',
    good: { query: QUERY, documents: DOCS, top_n: 2, return_documents: true },
    goodAnswer: {
      object: 'rerank',
      results: [FIRST, SECOND].map(({ index, score }) => ({ relevance_score: score, index, document: DOCS[index] })),
      model: 'rerank-batch-bm25',
      usage: { prompt_tokens: TOKENS, total_tokens: TOKENS },
      id: expect.stringMatching(/^infinity-/),
      created: expect.any(Number),
    },
    wrongField: { query: QUERY, texts: DOCS },
    refused: { status: 422, body: { detail: [missing('documents', { query: QUERY, texts: DOCS })] } },
    notFound: { status: 404, body: { detail: 'Not Found' } },
    rateLimited: { body: { error: { message: 'forced status 429', type: 'Too Many Requests', param: null, code: 429 } }, retryAfter: null },
    maxDocuments: 2048,
    tooMany: (count, max) => ({ status: 422, body: { detail: [tooLong('documents', count, max)] } }),
    results: (json) => field(json, 'results'),
  },
};

/** `good` with `documents` in the dialect's field. */
function withDocuments(name: ProviderName, documents: string[]): Record<string, unknown> {
  return { ...CASES[name].good, [DIALECTS[name].documentsField]: documents };
}

describe.each(PROVIDER_NAMES.map((name) => [name]))('the %s dialect', (name) => {
  const spec = CASES[name];

  it('listens on its documented path and answers with the exact shape, sorted by score', async () => {
    const server = await serve(name);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}${spec.path}`);
    expect(DIALECTS[name].name).toBe(name);
    const answer = await postJson(server.url, spec.good);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.json).toEqual(spec.goodAnswer);
  });

  it('refuses a wrong field name as the provider does', async () => {
    const server = await serve(name);
    const answer = await postJson(server.url, spec.wrongField);
    expect(answer.status).toBe(spec.refused.status);
    if (spec.refused.contentType !== undefined) expect(answer.headers.get('content-type')).toMatch(spec.refused.contentType);
    if (spec.refused.body !== undefined) expect(answer.json).toEqual(spec.refused.body);
  });

  it('answers 404 on other paths in its error format', async () => {
    const server = await serve(name);
    const answer = await postJson(new URL('/nope', server.url).toString(), spec.good);
    expect(answer.status).toBe(spec.notFound.status);
    if (spec.notFound.body === undefined) expect(answer.text).toBe('');
    else expect(answer.json).toEqual(spec.notFound.body);
    expect(server.stats.requests).toBe(0);
  });

  it('answers 429 in its format, with Retry-After where the provider sends one', async () => {
    const server = await serve(name, { forceStatus: 429, retryAfterSeconds: 7 });
    const forced = await postJson(server.url, spec.good);
    expect(forced.status).toBe(429);
    expect(forced.json).toEqual(spec.rateLimited.body);
    expect(forced.headers.get('retry-after')).toBe(spec.rateLimited.retryAfter);

    const limited = await serve(name, { maxRequestsPerSecond: 1 });
    expect((await postJson(limited.url, spec.good)).status).toBe(200);
    const over = await postJson(limited.url, spec.good);
    expect(over.status).toBe(429);
    expect(over.json).toEqual(name === 'tei' ? { error: 'rate limit exceeded', error_type: 'Overloaded' } : expect.anything());
  });

  it('takes its documented documents cap as the default and refuses more as the provider does', async () => {
    const server = await serve(name);
    expect(server.maxDocuments).toBe(spec.maxDocuments);
    const documents = Array.from({ length: spec.maxDocuments + 1 }, (_, i) => `document ${i} about China`);
    expect((await postJson(server.url, withDocuments(name, documents.slice(0, -1)))).status).toBe(200);
    const over = await postJson(server.url, withDocuments(name, documents));
    const expected = spec.tooMany(documents.length, spec.maxDocuments);
    expect(over.status).toBe(expected.status);
    expect(over.json).toEqual(expected.body);

    const capped = await serve(name, { maxDocuments: 2 });
    expect((await postJson(capped.url, withDocuments(name, DOCS))).status).toBe(spec.tooMany(3, 2).status);
  });

  it('asks for the bearer key, refusing in its format', async () => {
    const server = await serve(name, { apiKey: 'k1' });
    const refused = await postJson(server.url, spec.good, { Authorization: 'Bearer k2' });
    expect(refused.status).toBe(401);
    if (name === 'tei') expect(refused.text).toBe('');
    else expect(refused.json).toBeDefined();
    expect((await postJson(server.url, spec.good, { Authorization: 'Bearer k1' })).status).toBe(200);
  });

  it('refuses a body that is not JSON, and applies the malformed and missing faults', async () => {
    const server = await serve(name, { recordRequests: true });
    const notJson = await postJson(server.url, '{"query":');
    expect([400, 422]).toContain(notJson.status);
    server.setFaults({ rateMalformed: 1 });
    const malformed = await postJson(server.url, spec.good);
    expect(malformed.status).toBe(200);
    expect(malformed.text.length).toBeGreaterThan(0);
    expect(malformed.json).toBeUndefined();
    server.setFaults({ rateMalformed: 0, rateMissingResult: 1 });
    const incomplete = await postJson(server.url, spec.good);
    const complete = spec.results(spec.goodAnswer);
    expect(spec.results(incomplete.json)).toHaveLength(complete.length - 1);
    // The request log holds the documents from the dialect's own field.
    expect(server.stats.requestLog?.at(-1)?.documents).toEqual(DOCS);
    expect(server.stats.maxDocumentsInRequest).toBe(DOCS.length);
  });
});

describe('dialect details', () => {
  it('vLLM answers on /rerank, /v1/rerank and /v2/rerank alike, and top_n 0 means all', async () => {
    const server = await serve('vllm');
    for (const path of ['/rerank', '/v1/rerank', '/v2/rerank']) {
      const answer = await postJson(new URL(path, server.url).toString(), { model: 'BAAI/bge-reranker-v2-m3', query: QUERY, documents: DOCS, top_n: 0 });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ model: 'BAAI/bge-reranker-v2-m3', results: [{ index: 1 }, { index: 2 }, { index: 0 }] });
    }
  });

  it('Jina returns the documents unless asked not to; TEI returns the texts only when asked', async () => {
    const jina = await serve('jina');
    const withText = await postJson(jina.url, { model: 'm', query: QUERY, documents: DOCS });
    expect(field(withText.json, 'results')[0]).toEqual({ index: 1, document: { text: DOCS[1] }, relevance_score: SCORES[1] });
    const tei = await serve('tei');
    const texts = await postJson(tei.url, { query: QUERY, texts: DOCS, return_text: true });
    expect(Array.isArray(texts.json) ? texts.json[0] : undefined).toEqual({ index: 1, text: DOCS[1], score: SCORES[1] });
  });

  it('TEI refuses an empty texts list with 400 "Empty" and bad JSON with a plain-text 400', async () => {
    const server = await serve('tei');
    const empty = await postJson(server.url, { query: QUERY, texts: [] });
    expect(empty).toMatchObject({ status: 400, json: { error: '`texts` cannot be empty', error_type: 'Empty' } });
    const notJson = await postJson(server.url, '{"query":');
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(notJson.text).toMatch(/^Failed to parse the request body as JSON: /);
    const mistyped = await postJson(server.url, { query: QUERY, texts: ['a', 3] });
    expect(mistyped.text).toBe('Failed to deserialize the JSON body into the target type: texts[1]: invalid type: integer `3`, expected a string');
  });

  it('FastAPI dialects answer bad JSON with a 422 json_invalid detail', async () => {
    for (const name of ['jina', 'infinity'] as const) {
      const server = await serve(name);
      const answer = await postJson(server.url, '{"query":');
      expect(answer.status).toBe(422);
      expect(answer.json).toMatchObject({ detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] });
    }
  });

  it('rejects an unknown dialect', async () => {
    await expect(startRerankServer({ dialect: 'nope' as ProviderName })).rejects.toThrow(/dialect must be one of/);
  });
});
