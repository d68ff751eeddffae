import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RerankBatchError } from '../../src/errors/rerank-batch-error.js';
import { run as runPipeline, type RunReport } from '../../src/orchestrate/run-pipeline.js';
import type { RunOptions } from '../../src/options/run-options.js';
import { PROVIDERS, PROVIDER_NAMES, type ProviderName } from '../../src/rerank/providers/index.js';
import { startRerankServer, type RecordedRequest, type RerankServerOptions, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import { expectEveryPairOnce, inputKeys, PAIRS, QRELS, waitFor } from '../helpers/faults.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { RunStore } from '../../src/state/run-store.js';
import { Lifecycle } from '../../src/lifecycle-events.js';
import { RunAbortedError } from '../../src/collect/collector.js';

const cleanups = cleanupAfterAll();

const CONCURRENCY = 8;
/**
 * Every provider reads the same text: Jina's own default cap (1,024 tokens = 4,096 bytes) cuts one
 * Cranfield document the others send whole, and BM25 over a cut document scores differently. With one
 * cap for all, the rankings must be the same bytes whatever the dialect.
 */
const SAME_TOKEN_CAP = 1024;

interface Manifest {
  outcome: string;
  provider: string;
  model: string | null;
  builtin_server: boolean;
  counts: Record<string, number>;
  planned: { requests: number; texts: number; billing_unit: string; billing_units: number; approx_tokens: number; characters: number };
}

async function readManifest(out: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
}

/** An environment with no API URL or key of the developer's leaking into the run. */
const cleanEnv = (): NodeJS.ProcessEnv => ({ ...process.env, RERANK_API_URL: '', RERANK_API_KEY: '' });

async function startServer(options: RerankServerOptions): Promise<RunningRerankServer> {
  const server = await startRerankServer(options);
  cleanups.push(() => server.close());
  return server;
}

/** A run of the bundled example in its own output directory and Redis prefix (both removed after the file). */
async function runExample(name: string, options: Partial<RunOptions>): Promise<{ report: RunReport; out: string; prefix: string }> {
  const dir = await tempDir(`providers-${name}`);
  const prefix = uniquePrefix(`prov-${name}`);
  cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
  const { logger } = captureLogs('warn');
  const out = join(dir.dir, 'out');
  const report = await runPipeline(
    { input: PAIRS, qrels: QRELS, out, redis: redisUrl(), prefix, concurrency: CONCURRENCY, maxTokensPerDoc: SAME_TOKEN_CAP, ...options },
    { logger, env: cleanEnv() },
  );
  return { report, out, prefix };
}

/** What the requests as received carry, counted the way the planner says it counts them (4 UTF-8 bytes a token). */
function sentFigures(log: readonly RecordedRequest[]): { requests: number; texts: number; tokens: number; characters: number; searchUnits: number } {
  const tokens = (text: string): number => Math.ceil(Buffer.byteLength(text) / 4);
  let texts = 0;
  let total = 0;
  let characters = 0;
  let searchUnits = 0;
  for (const request of log) {
    texts += request.documents.length;
    searchUnits += Math.ceil(request.documents.length / 100);
    // Characters as sent: the query once, every text with its template tags.
    characters += request.query.length;
    for (const document of request.documents) {
      total += tokens(request.query) + tokens(document);
      characters += document.length;
    }
  }
  return { requests: log.length, texts, tokens: total, characters, searchUnits };
}

let referenceTrec: Promise<string> | undefined;
/** ranked.trec of the regolo dialect (the default provider): the ranking every other dialect must reproduce. */
function regoloReference(): Promise<string> {
  referenceTrec ??= (async () => {
    const server = await startServer({ dialect: 'regolo' });
    const { report, out } = await runExample('reference-regolo', { apiUrl: server.url, provider: 'regolo' });
    expect(report.outcome).toBe('complete');
    return readFile(join(out, 'ranked.trec'), 'utf8');
  })();
  return referenceTrec;
}

/** The abort code of a run's state in Redis, read through the run store (the state's own schema). */
async function abortCodeOf(prefix: string, runId: string): Promise<string | undefined> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    return (await new RunStore(redis, prefix).get(runId))?.abortCode;
  } finally {
    redis.disconnect();
  }
}

/** Every answer the server gave, whatever the route (a 404 on an unknown path is not in `stats.requests`). */
function answersOf(server: RunningRerankServer): number {
  return Object.values(server.stats.byStatus).reduce((sum, n) => sum + n, 0);
}

describe('every provider against the built-in server in its own dialect', () => {
  it.each(PROVIDER_NAMES)('%s: completes, ranks like regolo, and the manifest counts the requests the server received', async (name: ProviderName) => {
    const spec = PROVIDERS[name];
    const server = await startServer({ dialect: name, recordRequests: true });
    expect(server.url.endsWith(spec.path)).toBe(true);
    const { report, out } = await runExample(name, { apiUrl: server.url, provider: name });

    expect(report.outcome).toBe('complete');
    expect(report.summary.failedPairs).toBe(0);
    expect(report.summary.failedBatches).toBe(0);
    expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');
    const trec = await readFile(join(out, 'ranked.trec'), 'utf8');
    await expectEveryPairOnce(out, inputKeys());
    // Same BM25 scores in every dialect: the same ranking, score for score.
    expect(trec === (await regoloReference()), `ranked.trec of ${name} differs from regolo's`).toBe(true);

    // Only 200s, never more documents than the provider's limit.
    expect(server.stats.byStatus).toEqual({ 200: server.stats.requests });
    expect(server.stats.maxDocumentsInRequest).toBeLessThanOrEqual(spec.limits.maxDocsPerRequest);

    const manifest = await readManifest(out);
    expect(manifest.outcome).toBe('complete');
    expect(manifest.provider).toBe(name);
    expect(manifest.model).toBe(spec.defaultModel ?? null);
    expect(manifest.builtin_server).toBe(false);
    expect(manifest.planned.billing_unit).toBe(spec.billing.unit);
    expect(manifest.counts.pairs).toBe(4500);
    expect(manifest.counts.failed_pairs).toBe(0);
    // Planned = sent = received: no request was retried or split.
    expect(manifest.planned.requests).toBeGreaterThan(0);
    expect(manifest.counts.api_requests).toBe(manifest.planned.requests);
    expect(server.stats.requests).toBe(manifest.planned.requests);
    expect(manifest.counts.retries).toBe(0);

    // The planned figures are those of the requests the server received.
    const sent = sentFigures(server.stats.requestLog ?? []);
    expect(sent.requests).toBe(server.stats.requests);
    expect(manifest.planned.texts).toBe(sent.texts);
    expect(manifest.planned.texts).toBe(4500);
    expect(manifest.planned.approx_tokens).toBe(sent.tokens);
    expect(manifest.planned.characters).toBe(sent.characters);
    const units = { request: sent.requests, 'search-unit': sent.searchUnits, token: sent.tokens }[spec.billing.unit];
    expect(manifest.planned.billing_units).toBe(units);
    console.info(`[provider ${name}] requests=${server.stats.requests} units=${manifest.planned.billing_units} ${spec.billing.unit}`);
  });
});

interface WrongCase {
  title: string;
  client: ProviderName;
  server: ProviderName;
  /** The URL the client is given (default the server's own). */
  url?: (server: RunningRerankServer) => string;
  /** The one status every answer had. */
  status: number;
  /** The flag the message must name first of all. */
  names: RegExp;
}

const WRONG: WrongCase[] = [
  { title: 'jina client, voyage server (an answer of another shape)', client: 'jina', server: 'voyage', status: 200, names: /check --provider/ },
  { title: 'cohere client, tei server (422: no `texts` field)', client: 'cohere', server: 'tei', status: 422, names: /--provider/ },
  { title: 'regolo client at a path the server does not serve (404)', client: 'regolo', server: 'regolo', url: (s) => `http://127.0.0.1:${s.port}/v1/rerank`, status: 404, names: /--api-url/ },
  { title: 'mixedbread client, jina server (422: `input` instead of `documents`)', client: 'mixedbread', server: 'jina', status: 422, names: /--provider/ },
  { title: 'vllm client, regolo server (400: no model named)', client: 'vllm', server: 'regolo', status: 400, names: /--provider/ },
  { title: 'tei client, infinity server (422: no `documents` field)', client: 'tei', server: 'infinity', status: 422, names: /--provider/ },
];

describe('a --provider that does not fit the server stops the run within a few requests', () => {
  it.each(WRONG)('$title', async (c) => {
    const server = await startServer({ dialect: c.server });
    const dir = await tempDir(`providers-wrong-${c.client}`);
    const prefix = uniquePrefix(`wrong-${c.client}`);
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const { logger } = captureLogs('warn');
    const events = new Lifecycle();
    let runId = '';
    events.on('run-started', (e) => (runId = e.runId));
    const error: unknown = await runPipeline(
      { input: PAIRS, out: join(dir.dir, 'out'), redis: redisUrl(), prefix, concurrency: CONCURRENCY, provider: c.client, apiUrl: (c.url ?? ((s) => s.url))(server) },
      { logger, env: cleanEnv(), events },
    ).then(
      (report) => new Error(`the run ended ${report.outcome} instead of stopping`),
      (err: unknown) => err,
    );

    // The library rejects with the run's abort, whose reason carries ERR_API_MISCONFIGURED.
    expect(error).toBeInstanceOf(RerankBatchError);
    const { code, message } = error as RerankBatchError;
    expect(code).toBe('ERR_RUN_ABORTED');
    expect(error).toBeInstanceOf(RunAbortedError);
    expect((error as RunAbortedError).abortCode).toBe('ERR_API_MISCONFIGURED');
    expect(message).toContain('ERR_API_MISCONFIGURED');
    expect(message).toMatch(c.names);
    expect(message).toMatch(/--provider|--api-url/);
    if (c.status === 404) expect(message).toContain(PROVIDERS[c.client].path);
    expect(await abortCodeOf(prefix, runId)).toBe('ERR_API_MISCONFIGURED');

    // Only the first requests: those in flight plus the three that settled it.
    const answers = answersOf(server);
    expect(answers).toBeGreaterThanOrEqual(3);
    expect(answers).toBeLessThanOrEqual(CONCURRENCY + 3);
    expect(server.stats.byStatus).toEqual({ [c.status]: answers });
    console.info(`[wrong ${c.client} -> ${c.server}] answers=${answers} ${message.slice(0, 160)}`);
  });

  it('through the CLI (serve --dialect voyage, run --provider jina): exit 1 naming --provider, a handful of requests', async () => {
    const dir = await tempDir('providers-wrong-cli');
    cleanups.push(dir.remove);
    const serve = startCli(['serve', '--dialect', 'voyage', '--port', '0']);
    cleanups.push(() => stopChild(serve.child));
    await waitFor('the serve command to print its URL', () => /^http:\/\/\S+\n/m.test(serve.output()), 30_000);
    const url = /^(http:\/\/\S+)\n/m.exec(serve.output())?.[1] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/rerank$/);

    const prefix = uniquePrefix('wrong-cli');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const env = { ...cleanEnv(), REDIS_URL: redisUrl() };
    const result = await runCli(['run', '--provider', 'jina', '--api-url', url, '-i', PAIRS, '-o', join(dir.dir, 'out'), '--prefix', prefix, '--concurrency', String(CONCURRENCY)], env);
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    expect(result.stderr).toContain('ERR_API_MISCONFIGURED');
    expect(result.stderr).toMatch(/rerank-batch: error [^\n]*the answers are not Jina Reranker answers: check --provider/);
    // The message names the shape the answers did have.
    expect(result.stderr).toMatch(/shape of [^\n]*voyage/);

    // The server's own count, from its log line on SIGTERM.
    await stopChild(serve.child);
    const stopped = serve
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; requests?: number; byStatus?: Record<string, number> })
      .find((line) => line.msg === 'rerank server stopped');
    expect(stopped?.requests).toBeGreaterThanOrEqual(3);
    expect(stopped?.requests).toBeLessThanOrEqual(CONCURRENCY + 3);
    expect(stopped?.byStatus).toEqual({ 200: stopped?.requests });
  });
});

describe('transient bad answers inside a healthy run are retried, not taken for a wrong provider', () => {
  const fastRetries = { minRetryDelayMs: 5, maxRetryDelayMs: 50 } satisfies Partial<RunOptions>;

  it.each([
    { dialect: 'regolo' as const, faults: { rateMalformed: 0.2 } },
    { dialect: 'tei' as const, faults: { rateMalformed: 0.15, rateMissingResult: 0.1 } },
  ])('$dialect with $faults: complete, no failure, the clean ranking', async ({ dialect, faults }) => {
    const server = await startServer({ dialect, seed: 20_240_611, ...faults });
    const { report, out } = await runExample(`transient-${dialect}`, { apiUrl: server.url, provider: dialect, ...fastRetries });
    expect(report.outcome).toBe('complete');
    expect(report.summary.failedPairs).toBe(0);
    expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');
    expect(server.stats.byStatus).toEqual({ 200: server.stats.requests });
    const manifest = await readManifest(out);
    // Some answers were bad, and were asked again.
    expect(server.stats.requests).toBeGreaterThan(manifest.planned.requests);
    expect(manifest.counts.retries).toBeGreaterThan(0);
    expect(manifest.counts.api_requests).toBeGreaterThan(manifest.planned.requests);
    expect(manifest.counts.api_requests).toBeLessThanOrEqual(server.stats.requests);
    expect((await readFile(join(out, 'ranked.trec'), 'utf8')) === (await regoloReference())).toBe(true);
  });

  it('regolo: the first requests all answered with non-JSON (no success yet) is still transient', async () => {
    const server = await startServer({ dialect: 'regolo', rateMalformed: 1 });
    const dir = await tempDir('providers-malformed-first');
    const prefix = uniquePrefix('malformed-first');
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const { logger } = captureLogs('warn');
    const out = join(dir.dir, 'out');
    const running = runPipeline(
      { input: PAIRS, out, redis: redisUrl(), prefix, concurrency: CONCURRENCY, apiUrl: server.url, provider: 'regolo', maxTokensPerDoc: SAME_TOKEN_CAP, ...fastRetries, retries: 100 },
      { logger, env: cleanEnv() },
    );
    // Well over the three failures that would settle a systematic error, before anything succeeds.
    await waitFor('several malformed answers', () => server.stats.requests >= 3 * CONCURRENCY);
    expect(server.stats.byStatus).toEqual({ 200: server.stats.requests });
    server.setFaults({ rateMalformed: 0 });
    const report = await running;
    expect(report.outcome).toBe('complete');
    expect(report.summary.failedPairs).toBe(0);
    expect((await readFile(join(out, 'ranked.trec'), 'utf8')) === (await regoloReference())).toBe(true);
  });
});
