import { describe, expect, it } from 'vitest';
import { parseJsonBody, parseRerankResponse } from '../../src/rerank/response.js';
import { parseRetryAfter } from '../../src/rerank/retry-after.js';
import { formatDocument, formatQuery, DEFAULT_INSTRUCTION, QWEN3_FORMAT, RAW_FORMAT } from '../../src/rerank/prompt.js';
import { PROVIDERS, type ProviderName } from '../../src/rerank/providers/index.js';
import { RetryableApiError } from '../../src/rerank/errors/retryable-api-error.js';
import { truncateBody, MAX_ERROR_BODY_BYTES, RerankApiError } from '../../src/rerank/errors/rerank-api-error.js';
import { AuthError } from '../../src/rerank/errors/auth-error.js';

const context = (body: string) => ({ url: 'http://x/rerank', status: 200, body });

function parse(json: unknown, n: number, provider: ProviderName = 'regolo'): number[] {
  return parseRerankResponse(json, n, context(JSON.stringify(json)), PROVIDERS[provider]);
}

function failure(fn: () => unknown): RetryableApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RetryableApiError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('parseRerankResponse', () => {
  it('aligns scores with the request order and keeps them exactly', () => {
    const body = '{"id":"r","results":[{"index":1,"relevance_score":0.8835278153419495,"document":{"text":"b"}},{"index":0,"relevance_score":0.08649543672800064}],"meta":null}';
    expect(parseRerankResponse(JSON.parse(body), 2, context(body), PROVIDERS.regolo)).toEqual([0.08649543672800064, 0.8835278153419495]);
    expect(parse({ results: [{ index: 0, relevance_score: -3.5e-12 }] }, 1)).toEqual([-3.5e-12]);
  });

  it('rejects a missing, duplicate, out-of-range index and a bad score, saying what is wrong', () => {
    expect(failure(() => parse({ results: [{ index: 0, relevance_score: 1 }, { index: 2, relevance_score: 1 }] }, 3)).message).toMatch(/index 1 missing/);
    expect(failure(() => parse({ results: [{ index: 0, relevance_score: 1 }, { index: 0, relevance_score: 1 }] }, 2)).message).toMatch(/index 0 appears twice/);
    expect(failure(() => parse({ results: [{ index: 5, relevance_score: 1 }] }, 1)).message).toMatch(/index 5 out of range/);
    expect(failure(() => parse({ results: [{ index: 0, relevance_score: '0.5' }] }, 1)).message).toMatch(/results\.0\.relevance_score/);
    expect(failure(() => parse({ results: [{ index: 0.5, relevance_score: 1 }] }, 1)).message).toMatch(/results\.0\.index/);
    expect(failure(() => parse({ data: [] }, 1)).message).toMatch(/results/);
    expect(failure(() => parse([], 1)).code).toBe('ERR_API_MALFORMED_RESPONSE');
  });

  it('tells an answer of another shape (a wrong --provider?) from a broken answer of the right one', () => {
    // Right shape, wrong content: not a shape mismatch.
    expect(failure(() => parse({ results: [{ index: 5, relevance_score: 1 }] }, 1)).shapeMismatch).toBe(false);
    expect(failure(() => parse({ results: [{ index: 0, relevance_score: 1 }] }, 2)).shapeMismatch).toBe(false);
    // A TEI answer (bare array) read as regolo: valid JSON of another shape, naming the provider it fits.
    const tei = failure(() => parse([{ index: 0, score: 0.5 }], 1));
    expect(tei).toMatchObject({ code: 'ERR_API_MALFORMED_RESPONSE', shapeMismatch: true });
    expect(tei.message).toMatch(/shape of tei answers/);
    expect(tei.message).toMatch(/--provider regolo/);
    // A Voyage answer read as cohere names voyage, not mixedbread (whose items have `score`).
    const voyage = failure(() => parse({ data: [{ index: 0, relevance_score: 0.5 }] }, 1, 'cohere'));
    expect(voyage.shapeMismatch).toBe(true);
    expect(voyage.message).toMatch(/shape of voyage answers/);
    expect(voyage.message).not.toMatch(/mixedbread/);
    // A regolo/cohere answer read as mixedbread names every provider of that shape.
    const results = failure(() => parse({ results: [{ index: 0, relevance_score: 0.5 }] }, 1, 'mixedbread'));
    expect(results.shapeMismatch).toBe(true);
    for (const name of ['regolo', 'cohere', 'jina', 'vllm', 'infinity']) expect(results.message).toContain(name);
    // JSON no provider reads.
    const none = failure(() => parse({ error: 'nope' }, 1, 'tei'));
    expect(none.shapeMismatch).toBe(true);
    expect(none.message).toMatch(/not a tei answer/);
  });

  it("reads each provider's own answer shape", () => {
    expect(parse([{ index: 1, score: 0.25 }, { index: 0, score: 0.75 }], 2, 'tei')).toEqual([0.75, 0.25]);
    expect(parse({ object: 'list', data: [{ index: 1, relevance_score: 0.5 }, { index: 0, relevance_score: 0.1 }] }, 2, 'voyage')).toEqual([0.1, 0.5]);
    expect(parse({ object: 'list', data: [{ index: 0, score: 0.3, object: 'rank_result' }] }, 1, 'mixedbread')).toEqual([0.3]);
    expect(parse({ results: [{ index: 0, relevance_score: 0.9 }], meta: { billed_units: { search_units: 1 } } }, 1, 'cohere')).toEqual([0.9]);
  });

  it('rejects a body that is not JSON', () => {
    const error = failure(() => parseJsonBody(context('<html>oops')));
    expect(error.code).toBe('ERR_API_MALFORMED_RESPONSE');
    expect(error.responseBody).toBe('<html>oops');
    expect(failure(() => parseJsonBody(context(''))).message).toMatch(/empty body/);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP-dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1_500);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('prompt', () => {
  it('formats the Qwen3 template and raw text', () => {
    expect(formatQuery('What?', QWEN3_FORMAT)).toBe(`<Instruct>: ${DEFAULT_INSTRUCTION}\n<Query>: What?`);
    expect(formatQuery('What?', QWEN3_FORMAT, 'Do X')).toBe('<Instruct>: Do X\n<Query>: What?');
    expect(formatQuery('What?', RAW_FORMAT, 'Do X')).toBe('What?');
    expect(formatDocument('Text', QWEN3_FORMAT)).toBe('<Document>: Text');
    expect(formatDocument('Text', RAW_FORMAT)).toBe('Text');
  });
});

describe('errors', () => {
  it('truncates response bodies to 2 KB without splitting characters', () => {
    expect(truncateBody('short')).toBe('short');
    const long = 'é'.repeat(5_000);
    const cut = truncateBody(long);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES + 3);
    expect(cut).not.toContain('\uFFFD');
    const error = new RerankApiError('ERR_API_SERVER', 'm', { url: 'u', responseBody: 'x'.repeat(10_000) });
    expect(error.responseBody?.length).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES + 1);
  });

  it('has stable codes and names', () => {
    const auth = new AuthError({ url: 'u', status: 401, keySent: true });
    expect(auth).toBeInstanceOf(RerankApiError);
    expect(auth.name).toBe('AuthError');
    expect(auth.code).toBe('ERR_API_AUTH');
    expect(auth.message).toMatch(/check RERANK_API_KEY/);
    expect(JSON.parse(JSON.stringify(auth))).toMatchObject({ code: 'ERR_API_AUTH', status: 401, url: 'u', attempts: 1 });
  });
});
