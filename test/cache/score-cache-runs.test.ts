import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/orchestrate/run-pipeline.js';
import { startRedisServer } from '../../src/redis/redis-server-process.js';
import { startRerankServer, type RecordedRequest } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import { API_KEY, BATCH_COUNT, PAIR_COUNT, PAIRS, QRELS, expectEveryPairOnce, expectSameOutputs, inputKeys, runArgs, spoolRecords, waitFor } from '../helpers/faults.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

/**
 * The score cache through whole runs, with a real Redis, the local server and the CLI: scores outlive
 * runs, so the same pairs are never paid for twice. The suite turns the cache off (vitest.config.ts);
 * these tests turn it on, each with a cache directory of its own.
 */

const cleanups = cleanupAfterAll();

interface Manifest {
  counts: Record<string, number>;
  cache: { hits: number; misses: number | null; requests_saved: number | null; refresh: boolean } | null;
  planned: { requests: number | null };
}

async function manifestOf(out: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
}

/** The environment of a CLI run with the cache on by default (no RERANK_BATCH_CACHE) in `cacheHome`. */
function cacheEnv(cacheHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { RERANK_BATCH_CACHE: _off, ...env } = process.env;
  return { ...env, XDG_CACHE_HOME: cacheHome, LOG_LEVEL: 'warn', ...extra };
}

interface Row {
  query_id: string;
  query: string;
  doc_id: string;
  document: string;
  score: string;
}

function bundledRows(): Row[] {
  return parse(gunzipSync(readFileSync(PAIRS)), { columns: true }) as Row[];
}

/** Each pair's score in a ranked.jsonl, by "query_id doc_id". */
function scoresOf(out: string): Map<string, number> {
  const scores = new Map<string, number>();
  for (const line of readFileSync(join(out, 'ranked.jsonl'), 'utf8').trim().split('\n')) {
    const ranking = JSON.parse(line) as { query_id: string; results: { doc_id: string; score: number }[] };
    for (const result of ranking.results) scores.set(`${ranking.query_id} ${result.doc_id}`, result.score);
  }
  return scores;
}

/** Documents the server was sent, each as it arrived (prompt pattern included). */
function sentDocuments(log: readonly RecordedRequest[]): string[] {
  return log.flatMap((request) => request.documents);
}

describe('score cache: the same input twice', () => {
  it("the README's command with another --out sends nothing and writes identical outputs (Redis remembers the run)", async () => {
    const tmp = await tempDir('cache-readme');
    cleanups.push(tmp.remove);
    const prefix = uniquePrefix('cache-readme');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const env = cacheEnv(join(tmp.dir, 'xdg'), { REDIS_URL: redisUrl() });
    const command = (out: string): string[] => ['run', '--input', PAIRS, '--qrels', QRELS, '--out', out, '--prefix', prefix];

    const first = await runCli(command(join(tmp.dir, 'out1')), env);
    expect(first.code, first.stderr).toBe(0);
    // estimate counts what a run would send now: nothing, every pair being cached.
    const estimated = await runCli(['estimate', '--input', PAIRS, '--json'], env);
    expect(estimated.code, estimated.stderr).toBe(0);
    expect(JSON.parse(estimated.stdout)).toMatchObject({ totals: { pairs: PAIR_COUNT, requests: 0, cacheHits: PAIR_COUNT, requestsSaved: 225 }, cache: { hits: PAIR_COUNT, misses: 0 } });
    const refreshed = await runCli(['estimate', '--input', PAIRS, '--json', '--refresh'], env);
    expect(JSON.parse(refreshed.stdout)).toMatchObject({ totals: { requests: 225, cacheHits: 0 }, cache: null });
    const second = await runCli(command(join(tmp.dir, 'out2')), env);
    expect(second.code, second.stderr).toBe(0);

    await expectSameOutputs(join(tmp.dir, 'out2'), join(tmp.dir, 'out1'));
    const cold = await manifestOf(join(tmp.dir, 'out1'));
    const warm = await manifestOf(join(tmp.dir, 'out2'));
    expect(cold.counts.api_requests).toBe(225);
    expect(cold.cache).toMatchObject({ hits: 0, misses: PAIR_COUNT, requests_saved: 0 });
    expect(warm.counts).toMatchObject({ api_requests: 0, cache_hits: PAIR_COUNT, scored_pairs: PAIR_COUNT });
    expect(warm.cache).toMatchObject({ hits: PAIR_COUNT, misses: 0, requests_saved: 225 });
    expect(warm.planned.requests).toBe(0);
    // The cache lives under XDG_CACHE_HOME, by XDG conventions.
    expect(readFileSync(join(tmp.dir, 'xdg', 'rerank-batch', 'scores', 'data.mdb')).length).toBeGreaterThan(0);
  });
});

describe('score cache: submit, then collect', () => {
  it('a submission whose pairs are all cached queues no job: collect writes it with no worker and no request', async () => {
    const tmp = await tempDir('cache-submit');
    cleanups.push(tmp.remove);
    const server = await startRerankServer({ apiKey: API_KEY });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('cache-submit');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const env = cacheEnv(join(tmp.dir, 'xdg'), { REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY });
    const cold = await runCli(runArgs(join(tmp.dir, 'cold'), prefix, server.url), env);
    expect(cold.code, cold.stderr).toBe(0);
    const requests = server.stats.requests;

    const submitted = await runCli(['submit', '-i', PAIRS, '--prefix', prefix, '--api-url', server.url, '--max-docs-per-request', '10', '--run-id', 'cached-submit'], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const collected = await runCli(['collect', '--run-id', 'cached-submit', '--prefix', prefix, '--qrels', QRELS, '-o', join(tmp.dir, 'collected'), '--no-workers'], env);
    expect(collected.code, collected.stderr).toBe(0);
    expect(server.stats.requests).toBe(requests);
    await expectSameOutputs(join(tmp.dir, 'collected'), join(tmp.dir, 'cold'));
    expect((await manifestOf(join(tmp.dir, 'collected'))).counts).toMatchObject({ api_requests: 0, cache_hits: PAIR_COUNT });
  });
});

describe('score cache: scores from worker processes', () => {
  it('are stored by the collector (workers elsewhere have no cache): the next run of the same pairs sends nothing', async () => {
    const tmp = await tempDir('cache-remote');
    cleanups.push(tmp.remove);
    const server = await startRerankServer({ apiKey: API_KEY });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('cache-remote');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const env = cacheEnv(join(tmp.dir, 'xdg'), { REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY });
    const worker = startCli(['worker', '--prefix', prefix, '--concurrency', '4', '--log-level', 'warn'], { ...env, XDG_CACHE_HOME: join(tmp.dir, 'worker-xdg') });
    cleanups.push(() => stopChild(worker.child));
    const first = await runCli([...runArgs(join(tmp.dir, 'first'), prefix, server.url), '--no-workers', '--run-id', 'remote-1'], env);
    expect(first.code, first.stderr).toBe(0);
    await stopChild(worker.child);
    expect((await manifestOf(join(tmp.dir, 'first'))).counts.api_requests).toBe(BATCH_COUNT);
    const requests = server.stats.requests;
    const second = await runCli([...runArgs(join(tmp.dir, 'second'), prefix, server.url), '--no-workers', '--run-id', 'remote-2'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(server.stats.requests).toBe(requests);
    await expectSameOutputs(join(tmp.dir, 'second'), join(tmp.dir, 'first'));
  });
});

describe('score cache: an input with 5% of its documents edited', () => {
  it('sends exactly the changed pairs, packed into full batches; the unchanged ones rank with their cached scores', async () => {
    const tmp = await tempDir('cache-edited');
    cleanups.push(tmp.remove);
    const server = await startRerankServer({ apiKey: API_KEY, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('cache-edited');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const cacheDir = join(tmp.dir, 'cache');
    const { logger } = captureLogs('warn');
    const context = { logger, env: { ...process.env, RERANK_API_KEY: API_KEY } };
    const base = { qrels: QRELS, redis: redisUrl(), prefix, apiUrl: server.url, maxDocsPerRequest: 10, cacheDir, cache: true };

    const rows = bundledRows();
    const original = join(tmp.dir, 'original.csv');
    writeFileSync(original, stringify(rows, { header: true }));
    const first = await run({ ...base, input: original, out: join(tmp.dir, 'cold') }, context);
    expect(first.summary.apiRequests).toBe(BATCH_COUNT);

    // Every 20th pair's document gets a new text (225 pairs, one per query of Cranfield's 20 candidates).
    const edited = rows.map((row, i) => (i % 20 === 7 ? { ...row, document: `${row.document} EDITED-${i}` } : row));
    const changed = edited.filter((row, i) => row.document !== rows[i]?.document);
    expect(changed.length).toBe(PAIR_COUNT / 20);
    const editedFile = join(tmp.dir, 'edited.csv');
    writeFileSync(editedFile, stringify(edited, { header: true }));
    server.resetStats();
    const warm = await run({ ...base, input: editedFile, out: join(tmp.dir, 'warm') }, context);
    expect(warm.outcome).toBe('complete');

    const sent = sentDocuments(server.stats.requestLog ?? []);
    expect(sent.length).toBe(changed.length);
    expect(sent.every((text) => text.includes(' EDITED-'))).toBe(true);
    expect(new Set(sent).size).toBe(changed.length);
    // One partial batch per touched query: the misses of a query are packed together.
    const touched = new Set(changed.map((row) => row.query_id));
    expect(warm.summary.apiRequests).toBe(touched.size);
    const manifest = await manifestOf(join(tmp.dir, 'warm'));
    expect(manifest.cache).toMatchObject({ hits: PAIR_COUNT - changed.length, misses: changed.length });

    // A cached score is the score the API gave, bit for bit: every unchanged pair ranks with its cold score.
    const cold = scoresOf(join(tmp.dir, 'cold'));
    const scores = scoresOf(join(tmp.dir, 'warm'));
    expect(scores.size).toBe(PAIR_COUNT);
    const unchanged = rows.filter((_, i) => i % 20 !== 7);
    for (const row of unchanged) expect(scores.get(`${row.query_id} ${row.doc_id}`), `${row.query_id} ${row.doc_id}`).toBe(cold.get(`${row.query_id} ${row.doc_id}`));
  });
});

describe('score cache: which scores a run may use', () => {
  it('--refresh scores every pair again and stores the new scores; --cache-max-age leaves older ones out; --no-cache neither reads nor writes', async () => {
    const tmp = await tempDir('cache-policy');
    cleanups.push(tmp.remove);
    const server = await startRerankServer({ apiKey: API_KEY });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('cache-policy');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const rows = bundledRows().slice(0, 200);
    const input = join(tmp.dir, 'pairs.csv');
    writeFileSync(input, stringify(rows, { header: true }));
    const env = cacheEnv(join(tmp.dir, 'xdg'), { REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY });
    let outs = 0;
    const requestsOf = async (extra: string[]): Promise<number> => {
      const out = join(tmp.dir, `out${(outs += 1)}`);
      // A run id of its own each time: the cache, not Redis, is what carries scores between these runs.
      const result = await runCli(['run', '-i', input, '-o', out, '--prefix', prefix, '--api-url', server.url, '--max-docs-per-request', '10', '--run-id', `policy-${outs}`, ...extra], env);
      expect(result.code, result.stderr).toBe(0);
      return (await manifestOf(out)).counts.api_requests ?? Number.NaN;
    };

    expect(await requestsOf(['--no-cache'])).toBe(20);
    // --no-cache stored nothing: the first cached run pays in full.
    expect(await requestsOf([])).toBe(20);
    expect(await requestsOf([])).toBe(0);
    expect(await requestsOf(['--refresh'])).toBe(20);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The refresh stored its scores: a second ago is within a minute, not within one second.
    expect(await requestsOf(['--cache-max-age', '1m'])).toBe(0);
    expect(await requestsOf(['--cache-max-age', '1s'])).toBe(20);
  });
});

describe('score cache: kill -9, Redis flushed, the same command again', () => {
  it('re-sends at most the requests in flight at the kill, and writes the outputs of a clean run', async () => {
    const tmp = await tempDir('cache-flush');
    cleanups.push(tmp.remove);
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const reference = join(tmp.dir, 'reference');
    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('cache-flush');
    const concurrency = 4;
    const env = cacheEnv(join(tmp.dir, 'xdg'), { REDIS_URL: redis.url, RERANK_API_KEY: API_KEY });
    const out = join(tmp.dir, 'out');
    const args = runArgs(out, prefix, server.url, ['--concurrency', String(concurrency)]);

    const first = startCli(args, env);
    cleanups.push(() => stopChild(first.child, 'SIGKILL'));
    await waitFor('100 batches in the spool', () => spoolRecords(out) >= 100 || first.child.exitCode !== null);
    expect(first.child.exitCode, first.output()).toBeNull();
    await stopChild(first.child, 'SIGKILL');
    // A request the killed process had sent may still be answered: count once the server is quiet.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const documentsAtKill = sentDocuments(server.stats.requestLog ?? []).length;
    expect(documentsAtKill).toBeLessThan(PAIR_COUNT);

    const flusher = new Redis(redis.url);
    await flusher.flushall();
    flusher.disconnect();

    const requestsBefore = server.stats.requests;
    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    const resent = sentDocuments(server.stats.requestLog ?? []).length - PAIR_COUNT;
    // Every pair was sent; the only ones sent twice were in requests in flight at the kill (at most
    // `concurrency` requests of at most 10 documents), which the second run packs into as few requests.
    expect(resent).toBeGreaterThanOrEqual(0);
    expect(resent).toBeLessThanOrEqual(concurrency * 10);
    expect(server.stats.requests - requestsBefore).toBeLessThanOrEqual(BATCH_COUNT - Math.floor(documentsAtKill / 10) + concurrency);
    console.info(`[cache flush] documents-at-kill=${documentsAtKill} resent=${resent} second-run-requests=${server.stats.requests - requestsBefore}`);

    await runCli([...runArgs(reference, uniquePrefix('cache-flush-ref'), server.url), '--no-cache'], { ...env, REDIS_URL: redis.url });
    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
  });
});
