import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { startMetricsEndpoint } from '../../src/monitor/metrics-endpoint.js';
import { ProcessMetrics } from '../../src/monitor/process-metrics.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { parseExposition, samplesOf, scrape, total } from './exposition.js';

const cleanups = cleanupAfterAll();

describe('the metrics endpoint of a process', () => {
  it('serves its own registry at GET /metrics in the exposition format, 404 elsewhere', async () => {
    const metrics = new ProcessMetrics();
    const endpoint = await startMetricsEndpoint(metrics.registry, { host: '127.0.0.1', port: 0 });
    cleanups.push(() => endpoint.close());
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}/metrics`);
    expect(endpoint.port).toBeGreaterThan(0);

    metrics.request('r1', { status: 200, durationMs: 120 });
    metrics.request('r1', { status: 429, durationMs: 5 });
    metrics.request('r1', { status: 'timeout', durationMs: 60_000 });
    metrics.retry('r1', 'request');
    metrics.retry('r1', 'job');
    metrics.scored('r1', 50);
    metrics.batchDone('r1', 'completed');
    metrics.inFlight('r1', 1);
    const first = await scrape(endpoint.url);
    expect(total(first, 'rerank_batch_api_requests_total', { run_id: 'r1', status: '200' })).toBe(1);
    expect(total(first, 'rerank_batch_api_requests_total', { run_id: 'r1', status: '429' })).toBe(1);
    expect(total(first, 'rerank_batch_api_requests_total', { run_id: 'r1', status: 'timeout' })).toBe(1);
    expect(total(first, 'rerank_batch_api_request_duration_seconds_count', { run_id: 'r1' })).toBe(3);
    expect(total(first, 'rerank_batch_api_request_duration_seconds_sum', { run_id: 'r1' })).toBeCloseTo(60.125, 6);
    expect(total(first, 'rerank_batch_api_request_duration_seconds_bucket', { run_id: 'r1', le: '0.25' })).toBe(2);
    expect(total(first, 'rerank_batch_retries_total', { run_id: 'r1', layer: 'request' })).toBe(1);
    expect(total(first, 'rerank_batch_retries_total', { run_id: 'r1', layer: 'job' })).toBe(1);
    expect(total(first, 'rerank_batch_pairs_scored_total', { run_id: 'r1' })).toBe(50);
    expect(total(first, 'rerank_batch_batches_total', { run_id: 'r1', outcome: 'completed' })).toBe(1);
    expect(total(first, 'rerank_batch_batches_in_flight', { run_id: 'r1' })).toBe(1);
    expect(first.types.get('rerank_batch_api_requests_total')).toBe('counter');
    expect(first.types.get('rerank_batch_api_request_duration_seconds')).toBe('histogram');
    expect(first.types.get('rerank_batch_batches_in_flight')).toBe('gauge');
    expect(first.types.get('rerank_batch_queue_jobs')).toBe('gauge');
    // Node's own process metrics, in the same registry.
    expect(samplesOf(first, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samplesOf(first, 'nodejs_heap_size_used_bytes')).toHaveLength(1);

    metrics.inFlight('r1', -1);
    metrics.request('r1', { status: 200, durationMs: 80 });
    const second = await scrape(endpoint.url);
    expect(total(second, 'rerank_batch_api_requests_total', { run_id: 'r1', status: '200' })).toBe(2);
    expect(total(second, 'rerank_batch_batches_in_flight', { run_id: 'r1' })).toBe(0);

    expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(`${endpoint.url}x`)).status).toBe(404);
    expect((await fetch(endpoint.url, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${endpoint.url}?name=x`)).status).toBe(200);
  });

  it('keeps each registry to itself: two in one process do not see each other', async () => {
    const a = new ProcessMetrics();
    const b = new ProcessMetrics();
    a.scored('r1', 3);
    expect(total(parseExposition(await a.registry.metrics()), 'rerank_batch_pairs_scored_total')).toBe(3);
    expect(total(parseExposition(await b.registry.metrics()), 'rerank_batch_pairs_scored_total')).toBe(0);
  });

  it('counts overlapping rate-limit pauses once in the paused time', async () => {
    const metrics = new ProcessMetrics();
    metrics.paused('r1', 'rate_limited', 2_000);
    metrics.paused('r1', 'rate_limited', 2_000);
    metrics.paused('r1', 'token_budget', 500);
    const scraped = parseExposition(await metrics.registry.metrics());
    expect(total(scraped, 'rerank_batch_rate_limit_pauses_total', { run_id: 'r1', reason: 'rate_limited' })).toBe(2);
    const paused = total(scraped, 'rerank_batch_rate_limit_paused_seconds_total', { run_id: 'r1', reason: 'rate_limited' });
    expect(paused).toBeGreaterThanOrEqual(2);
    expect(paused).toBeLessThan(2.1);
    expect(total(scraped, 'rerank_batch_rate_limit_paused_seconds_total', { run_id: 'r1', reason: 'token_budget' })).toBeCloseTo(0.5, 6);
  });

  it('drops every series of a run it is told to forget, and keeps the others', async () => {
    const metrics = new ProcessMetrics();
    for (const run of ['old', 'new']) {
      metrics.request(run, { status: 200, durationMs: 10 });
      metrics.request(run, { status: 503, durationMs: 10 });
      metrics.retry(run, 'request');
      metrics.paused(run, 'rate_limited', 10);
      metrics.scored(run, 5);
      metrics.batchDone(run, 'failed');
      metrics.inFlight(run, 1);
    }
    await metrics.forgetRun('old');
    const scraped = parseExposition(await metrics.registry.metrics());
    expect(scraped.samples.filter((s) => s.labels.run_id === 'old')).toEqual([]);
    expect(total(scraped, 'rerank_batch_api_requests_total', { run_id: 'new' })).toBe(2);
    expect(total(scraped, 'rerank_batch_api_request_duration_seconds_count', { run_id: 'new' })).toBe(2);
  });

  it('reads the depth of the queues it watches at scrape time, by state', async () => {
    const prefix = uniquePrefix('metrics-depth');
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue('run-depth', { connection, prefix });
    cleanups.push(() => deletePrefix(redisUrl(), prefix), async () => connection.quit(), () => queue.close());
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'rerank', data: { n }, opts: { jobId: `j${n}` } })));
    await queue.add('rerank', { n: 4 }, { jobId: 'j4', delay: 60_000 });

    const metrics = new ProcessMetrics();
    const unwatch = metrics.watchQueue('depth', queue);
    const watched = parseExposition(await metrics.registry.metrics());
    const byState = Object.fromEntries(samplesOf(watched, 'rerank_batch_queue_jobs', { run_id: 'depth' }).map((s) => [s.labels.state, s.value]));
    expect(byState).toEqual({ waiting: 3, active: 0, delayed: 1, failed: 0, completed: 0 });

    unwatch();
    expect(samplesOf(parseExposition(await metrics.registry.metrics()), 'rerank_batch_queue_jobs')).toEqual([]);
  });

  it('refuses a port that is taken with a usage error naming the options', async () => {
    const metrics = new ProcessMetrics();
    const taken = await startMetricsEndpoint(metrics.registry, { host: '127.0.0.1', port: 0 });
    cleanups.push(() => taken.close());
    const second = startMetricsEndpoint(metrics.registry, { host: '127.0.0.1', port: taken.port });
    await expect(second).rejects.toBeInstanceOf(UsageError);
    await expect(second).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringContaining(`--metrics-port ${taken.port}`) });
    await expect(second).rejects.toThrow(/EADDRINUSE/);
  });
});
