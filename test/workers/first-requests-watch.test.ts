import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/rerank/errors/auth-error.js';
import { PermanentApiError } from '../../src/rerank/errors/permanent-api-error.js';
import type { RerankApiError } from '../../src/rerank/errors/rerank-api-error.js';
import { RetryableApiError } from '../../src/rerank/errors/retryable-api-error.js';
import { RerankClient } from '../../src/rerank/rerank-client.js';
import { FirstRequestsWatch, MISCONFIGURED_AFTER } from '../../workers/first-requests-watch.js';

const ENDPOINT = 'http://127.0.0.1:9/v1/rerank';

const notFound = (): RerankApiError => new PermanentApiError('ERR_API_NOT_FOUND', 'rerank API answered 404', { url: ENDPOINT, status: 404 });
const badRequest = (): RerankApiError => new PermanentApiError('ERR_API_BAD_REQUEST', 'rerank API answered 400', { url: ENDPOINT, status: 400 });
const unprocessable = (): RerankApiError => new PermanentApiError('ERR_API_UNPROCESSABLE', 'rerank API answered 422: field required', { url: ENDPOINT, status: 422 });
const otherShape = (): RerankApiError => new RetryableApiError('ERR_API_MALFORMED_RESPONSE', 'malformed rerank response: results: expected array', { url: ENDPOINT, status: 200, shapeMismatch: true });
const brokenBody = (): RerankApiError => new RetryableApiError('ERR_API_MALFORMED_RESPONSE', 'malformed rerank response: body is not valid JSON', { url: ENDPOINT, status: 200 });
const serverError = (): RerankApiError => new RetryableApiError('ERR_API_SERVER', 'rerank API answered 503', { url: ENDPOINT, status: 503 });
const rateLimited = (): RerankApiError => new RetryableApiError('ERR_API_RATE_LIMITED', 'rerank API answered 429', { url: ENDPOINT, status: 429 });
const tooLarge = (): RerankApiError => new PermanentApiError('ERR_API_PAYLOAD_TOO_LARGE', 'rerank API answered 413', { url: ENDPOINT, status: 413 });

/** Feed failures in order; the verdicts `failed` returned. */
function feed(watch: FirstRequestsWatch, errors: RerankApiError[]): Array<string | undefined> {
  return errors.map((error) => watch.failed(error));
}

describe('FirstRequestsWatch', () => {
  it(`trips on ${MISCONFIGURED_AFTER} identical 404s before any success, naming --provider and --api-url`, () => {
    expect(MISCONFIGURED_AFTER).toBe(3);
    const watch = new FirstRequestsWatch('cohere', ENDPOINT);
    const verdicts = feed(watch, [notFound(), notFound(), notFound()]);
    expect(verdicts.slice(0, 2)).toEqual([undefined, undefined]);
    const verdict = verdicts[2];
    expect(verdict).toBeDefined();
    expect(watch.verdict).toBe(verdict);
    expect(verdict).toContain(ENDPOINT);
    expect(verdict).toContain('--provider cohere');
    expect(verdict).toContain('/v2/rerank');
    expect(verdict).toContain('--api-url');
    // Settled: any later failure answers with the same verdict.
    expect(watch.failed(serverError())).toBe(verdict);
  });

  it('explains an answer of another shape and a refused request by provider', () => {
    const shape = new FirstRequestsWatch('tei', ENDPOINT);
    const shapeVerdict = feed(shape, [otherShape(), otherShape(), otherShape()])[2];
    expect(shapeVerdict).toMatch(/not Text Embeddings Inference answers/);
    expect(shapeVerdict).toContain('--provider');
    expect(shapeVerdict).toContain('--api-url');

    const refused = new FirstRequestsWatch('voyage', ENDPOINT);
    const refusedVerdict = feed(refused, [unprocessable(), unprocessable(), unprocessable()])[2];
    // The fields voyage sends, so the user sees what the server refused.
    expect(refusedVerdict).toMatch(/--provider voyage sends the fields query, documents, model, top_k/);
    expect(refusedVerdict).toContain('--api-url');

    expect(feed(new FirstRequestsWatch('regolo', ENDPOINT), [badRequest(), badRequest(), badRequest()])[2]).toContain('--provider regolo');
  });

  it('does not trip on mixed systematic failures: each change starts the count again', () => {
    const watch = new FirstRequestsWatch('regolo', ENDPOINT);
    expect(feed(watch, [notFound(), notFound(), unprocessable(), notFound(), notFound(), otherShape(), badRequest(), notFound()])).toEqual(Array(8).fill(undefined));
    expect(watch.verdict).toBeUndefined();
    // Then three of one kind in a row do.
    expect(feed(watch, [notFound(), notFound()])[1]).toBeDefined();
  });

  it('does not trip on transient failures, however many, nor on a garbled body or a 413', () => {
    const watch = new FirstRequestsWatch('regolo', ENDPOINT);
    const errors = [serverError, rateLimited, brokenBody, tooLarge].flatMap((make) => Array.from({ length: 5 }, make));
    expect(feed(watch, errors).every((verdict) => verdict === undefined)).toBe(true);
    expect(watch.verdict).toBeUndefined();
  });

  it('does not trip on an auth error (the run aborts for that already)', () => {
    const watch = new FirstRequestsWatch('regolo', ENDPOINT);
    const auth = (): RerankApiError => new AuthError({ url: ENDPOINT, status: 401, keySent: true });
    expect(feed(watch, [auth(), auth(), auth(), auth()])).toEqual(Array(4).fill(undefined));
  });

  it('is off for good after one success', () => {
    const watch = new FirstRequestsWatch('regolo', ENDPOINT);
    expect(feed(watch, [notFound(), notFound()])).toEqual([undefined, undefined]);
    watch.succeeded();
    expect(feed(watch, Array.from({ length: 10 }, notFound)).every((verdict) => verdict === undefined)).toBe(true);
    expect(feed(watch, Array.from({ length: 10 }, otherShape)).every((verdict) => verdict === undefined)).toBe(true);
    expect(watch.verdict).toBeUndefined();
  });
});

describe('FirstRequestsWatch wired to a RerankClient, as the worker does', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running !== undefined) await new Promise((resolve) => running.close(resolve));
  });

  /** A real HTTP server answering every request with `status` and `body`; counts the requests. */
  async function answering(status: number, body: unknown): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    server = createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/wrong/path`, requests: () => requests };
  }

  it('stops a run of 404s after three requests, with a verdict naming the ENDPOINT and the provider', async () => {
    const api = await answering(404, { message: 'Not Found' });
    const watch = new FirstRequestsWatch('cohere', api.url);
    const client = new RerankClient({ apiUrl: api.url, provider: 'cohere', retries: 5, minRetryDelayMs: 1, maxRetryDelayMs: 2, giveUp: (error) => watch.failed(error) !== undefined });
    for (let i = 0; i < 3; i++) await expect(client.rerank('q', ['d'])).rejects.toMatchObject({ code: 'ERR_API_NOT_FOUND' });
    expect(api.requests()).toBe(3);
    expect(watch.verdict).toContain(api.url);
    expect(watch.verdict).toContain('--provider cohere');
    expect(watch.verdict).toContain('https://api.cohere.com/v2/rerank');
  });

  it('cuts the retries of an answer of another shape short at the third', async () => {
    // A TEI answer to a regolo client: retryable, but the same every time.
    const api = await answering(200, [{ index: 0, score: 0.5 }]);
    const watch = new FirstRequestsWatch('regolo', api.url);
    const client = new RerankClient({ apiUrl: api.url, retries: 10, minRetryDelayMs: 1, maxRetryDelayMs: 2, giveUp: (error) => watch.failed(error) !== undefined });
    await expect(client.rerank('q', ['d'])).rejects.toMatchObject({ code: 'ERR_API_MALFORMED_RESPONSE', shapeMismatch: true, attempts: 3 });
    expect(api.requests()).toBe(3);
    expect(watch.verdict).toMatch(/not regolo\.ai answers/);
  });
});
