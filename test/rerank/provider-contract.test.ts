import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/rerank/errors/auth-error.js';
import { PermanentApiError } from '../../src/rerank/errors/permanent-api-error.js';
import { RerankApiError } from '../../src/rerank/errors/rerank-api-error.js';
import { RetryableApiError } from '../../src/rerank/errors/retryable-api-error.js';
import { PROVIDER_NAMES, type ProviderName } from '../../src/rerank/providers/provider-name.js';
import { RerankClient, type RerankClientOptions } from '../../src/rerank/rerank-client.js';
import { scoreDocuments } from '../../src/serve/bm25-scorer.js';
import { startRerankServer, type RerankServerOptions, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { caught } from '../helpers/http.js';

/**
 * The project's client, speaking each provider's dialect, against the built-in server's dialect of the same
 * name. The server's dialects are written from the providers' documentation independently of the client's
 * provider specs, so a disagreement between the two fails here.
 */

const servers: RunningRerankServer[] = [];
const clients: RerankClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(dialect: ProviderName, options: RerankServerOptions = {}): Promise<RunningRerankServer> {
  const server = await startRerankServer({ dialect, recordRequests: true, ...options });
  servers.push(server);
  return server;
}

function clientOf(provider: ProviderName, apiUrl: string, options: Partial<RerankClientOptions> = {}): RerankClient {
  const client = new RerankClient({ apiUrl, provider, retries: 0, minRetryDelayMs: 1, maxRetryDelayMs: 5, timeoutMs: 5_000, ...options });
  clients.push(client);
  return client;
}

const QUERY = 'capital of China';
const DOCS = [
  'Gravity is a force that attracts two bodies towards each other.',
  'Paris is the capital of France.',
  'The capital of China is Beijing.',
  'Bananas are rich in potassium.',
];
/** BM25 ignores the Qwen3 tags, so tagged (regolo's default) and raw requests score alike. */
const EXPECTED = scoreDocuments(QUERY, DOCS);

/** How each provider refuses more documents than its cap (set to 2 here): the client's code and the provider's words. */
const TOO_MANY: Record<ProviderName, { code: string; text: string }> = {
  regolo: { code: 'ERR_API_PAYLOAD_TOO_LARGE', text: 'too many documents: 4 > 2' },
  cohere: { code: 'ERR_API_BAD_REQUEST', text: 'too many documents: 4, the maximum is 2' },
  jina: { code: 'ERR_API_UNPROCESSABLE', text: 'List should have at most 2 items after validation, not 4' },
  voyage: { code: 'ERR_API_BAD_REQUEST', text: 'the number of documents cannot exceed 2, got 4' },
  mixedbread: { code: 'ERR_API_UNPROCESSABLE', text: 'List should have at most 2 items after validation, not 4' },
  tei: { code: 'ERR_API_PAYLOAD_TOO_LARGE', text: 'batch size 4 > maximum allowed batch size 2' },
  vllm: { code: 'ERR_API_BAD_REQUEST', text: 'too many documents: 4 > 2' },
  infinity: { code: 'ERR_API_UNPROCESSABLE', text: 'List should have at most 2 items after validation, not 4' },
};

/** Providers whose 429 carries Retry-After (see src/serve/dialects). */
const SENDS_RETRY_AFTER: ReadonlySet<ProviderName> = new Set(['regolo', 'mixedbread']);

describe.each(PROVIDER_NAMES.map((name) => [name]))('the client speaking %s to its dialect', (name) => {
  it('gets every score, in input order, in one request', async () => {
    const server = await serve(name);
    const outcome = await clientOf(name, server.url).rerank(QUERY, DOCS);
    expect(outcome).toEqual({ scores: EXPECTED, attempts: 1, retries: 0, rateLimited: 0 });
    const logged = server.stats.requestLog?.[0];
    expect(logged?.status).toBe(200);
    expect(logged?.documents).toHaveLength(DOCS.length);
    expect(logged?.query).toContain(QUERY);
  });

  it('throws AuthError on a refused key, the provider body kept', async () => {
    const server = await serve(name, { apiKey: 'right-key' });
    const error = await caught(clientOf(name, server.url, { apiKey: 'wrong-key' }).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'ERR_API_AUTH', status: 401 });
    if (name !== 'tei') expect((error as AuthError).responseBody).toMatch(/Unauthorized|missing or invalid API key/);
    expect((await clientOf(name, server.url, { apiKey: 'right-key' }).rerank(QUERY, DOCS)).scores).toEqual(EXPECTED);
  });

  it('throws PermanentApiError ERR_API_NOT_FOUND on a wrong path', async () => {
    const server = await serve(name);
    const error = await caught(clientOf(name, new URL('/nope', server.url).toString()).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(PermanentApiError);
    expect(error).toMatchObject({ code: 'ERR_API_NOT_FOUND', status: 404 });
  });

  it.each([
    [400, 'ERR_API_BAD_REQUEST'],
    [422, 'ERR_API_UNPROCESSABLE'],
    [413, 'ERR_API_PAYLOAD_TOO_LARGE'],
  ])('throws PermanentApiError on a %i, with the provider message', async (status, code) => {
    const server = await serve(name, { forceStatus: status });
    const error = await caught(clientOf(name, server.url, { retries: 2 }).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(PermanentApiError);
    expect(error).toMatchObject({ code, status, attempts: 1 });
    expect((error as Error).message).toContain(`forced status ${status}`);
  });

  it('throws PermanentApiError when the request holds more documents than the provider takes', async () => {
    const server = await serve(name, { maxDocuments: 2 });
    const error = await caught(clientOf(name, server.url).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(PermanentApiError);
    expect(error).toMatchObject({ code: TOO_MANY[name].code });
    expect((error as Error).message).toContain(TOO_MANY[name].text);
  });

  it('throws RetryableApiError ERR_API_RATE_LIMITED on a 429, with the Retry-After the provider sends', async () => {
    const server = await serve(name, { forceStatus: 429, retryAfterSeconds: 3 });
    const error = await caught(clientOf(name, server.url).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(RetryableApiError);
    expect(error).toMatchObject({ code: 'ERR_API_RATE_LIMITED', status: 429, retryAfterMs: SENDS_RETRY_AFTER.has(name) ? 3000 : undefined });
    expect((error as Error).message).toContain('forced status 429');
  });

  it.each([
    ['a body that is not JSON', { rateMalformed: 1 }],
    ['an answer missing one result', { rateMissingResult: 1 }],
  ])('throws RetryableApiError ERR_API_MALFORMED_RESPONSE on %s', async (_what, faults) => {
    const server = await serve(name, faults);
    const error = await caught(clientOf(name, server.url).rerank(QUERY, DOCS));
    expect(error).toBeInstanceOf(RetryableApiError);
    expect(error).toMatchObject({ code: 'ERR_API_MALFORMED_RESPONSE', status: 200 });
  });

  it('retries through 429s and 5xx answers to the right scores', async () => {
    const server = await serve(name, { seed: 11, rate429: 0.3, rate5xx: 0.3, retryAfterSeconds: 0 });
    const outcome = await clientOf(name, server.url, { retries: 30 }).rerank(QUERY, DOCS);
    expect(outcome.scores).toEqual(EXPECTED);
    expect(outcome.retries).toBeGreaterThan(0);
    expect(outcome.rateLimited).toBe(server.stats.byStatus[429] ?? 0);
  });
});

describe('a client speaking another provider than the server', () => {
  it('never takes wrong scores: it gets the right ones (shared shapes) or an error', async () => {
    for (const dialect of PROVIDER_NAMES) {
      const server = await serve(dialect);
      for (const provider of PROVIDER_NAMES) {
        if (provider === dialect) continue;
        const outcome = await clientOf(provider, server.url).rerank(QUERY, DOCS).catch((error: unknown) => error);
        if (outcome instanceof RerankApiError) continue;
        expect(outcome, `${provider} client, ${dialect} server`).toMatchObject({ scores: EXPECTED });
      }
    }
  });
});
