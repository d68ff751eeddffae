import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../../src/orchestrate/collect.js';
import { submit } from '../../src/orchestrate/submit.js';
import { QUEUE_STATES } from '../../src/monitor/process-metrics.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startCli, stopChild } from '../helpers/cli.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { samplesOf, scrape, total, waitFor, writePairs, type Scrape } from './exposition.js';

const cleanups = cleanupAfterAll();

/** The metrics URL a CLI process logged (JSON log lines). */
function loggedMetricsUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    if (typeof entry.msg === 'string' && entry.msg.startsWith('metrics endpoint listening') && typeof entry.url === 'string') return entry.url;
  }
  return undefined;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The counters that must move while a run goes on, from one scrape. */
function counters(scraped: Scrape, runId: string): { ok: number; limited: number; latencyCount: number; pairs: number } {
  return {
    ok: total(scraped, 'rerank_batch_api_requests_total', { run_id: runId, status: '200' }),
    limited: total(scraped, 'rerank_batch_api_requests_total', { run_id: runId, status: '429' }),
    latencyCount: total(scraped, 'rerank_batch_api_request_duration_seconds_count', { run_id: runId }),
    pairs: total(scraped, 'rerank_batch_pairs_scored_total', { run_id: runId }),
  };
}

/**
 * Scrape until the run's counters have all moved past the first scrape that saw work (at least two
 * scrapes, all while the process runs), and return the first and the last.
 */
async function scrapeWhileMoving(url: string, runId: string, child: ChildProcess): Promise<{ first: Scrape; last: Scrape }> {
  const first = await waitFor('the first requests', async () => {
    const scraped = await scrape(url);
    return counters(scraped, runId).ok > 0 ? scraped : undefined;
  });
  const before = counters(first, runId);
  const last = await waitFor('the counters to move', async () => {
    expect(child.exitCode, 'the process ended before its counters moved').toBeNull();
    const scraped = await scrape(url);
    const now = counters(scraped, runId);
    return now.ok > before.ok && now.limited > before.limited && now.latencyCount > before.latencyCount && now.pairs > before.pairs ? scraped : undefined;
  });
  return { first, last };
}

/** Every state of the run's queue depth is there, and the in-flight gauge is a number. */
function expectRunGauges(scraped: Scrape, runId: string): void {
  const states = samplesOf(scraped, 'rerank_batch_queue_jobs', { run_id: runId }).map((s) => s.labels.state);
  expect(states.sort()).toEqual([...QUEUE_STATES].sort());
  for (const s of samplesOf(scraped, 'rerank_batch_queue_jobs', { run_id: runId })) expect(Number.isInteger(s.value) && s.value >= 0).toBe(true);
  const inFlight = samplesOf(scraped, 'rerank_batch_batches_in_flight', { run_id: runId });
  expect(inFlight).toHaveLength(1);
  expect(inFlight[0]?.value).toBeGreaterThanOrEqual(0);
  expect(scraped.types.get('rerank_batch_batches_in_flight')).toBe('gauge');
}

// Slow answers and some 429s: a run of 240 batches takes several seconds, with every kind of request.
const SERVER = { latencyMs: 40, rate429: 0.15, retryAfterSeconds: 0, seed: 7 };
const REQUEST_FLAGS = ['--max-docs-per-request', '5', '--min-retry-delay-ms', '20', '--max-retry-delay-ms', '100', '--concurrency', '3'];

describe('--metrics-port: a Prometheus endpoint scraped during a run', () => {
  it('run --metrics-port 0: requests by status, latency, pairs scored and queue depth move while it runs', async () => {
    const server = await startRerankServer(SERVER);
    const dir = await tempDir('metrics-run');
    const prefix = uniquePrefix('metrics-run');
    cleanups.push(() => server.close(), dir.remove, () => deletePrefix(redisUrl(), prefix));
    const input = await writePairs(dir.dir, 60, 20);
    const runId = 'metrics-run';
    const cli = startCli(['run', '-i', input, '-o', join(dir.dir, 'out'), '--api-url', server.url, '--redis', redisUrl(), '--prefix', prefix, '--run-id', runId, ...REQUEST_FLAGS, '--metrics-port', '0']);
    cleanups.push(() => stopChild(cli.child));

    const url = await waitFor('the logged metrics URL', () => loggedMetricsUrl(cli.output()));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const { first, last } = await scrapeWhileMoving(url, runId, cli.child);
    expectRunGauges(first, runId);
    expectRunGauges(last, runId);
    expect(total(last, 'rerank_batch_retries_total', { run_id: runId, layer: 'request' })).toBeGreaterThan(0);
    expect(total(last, 'rerank_batch_rate_limit_pauses_total', { run_id: runId, reason: 'rate_limited' })).toBeGreaterThan(0);
    expect(total(last, 'rerank_batch_batches_total', { run_id: runId, outcome: 'completed' })).toBeGreaterThan(0);

    expect(await exited(cli.child), cli.output()).toBe(0);
    // What the process counted is what the server answered, up to the last scrape.
    const seen = counters(last, runId);
    expect(seen.ok).toBeLessThanOrEqual(server.stats.byStatus[200] ?? 0);
    expect(seen.limited).toBeLessThanOrEqual(server.stats.byStatus[429] ?? 0);
    // The endpoint closed with the run.
    await expect(fetch(url)).rejects.toThrow();
  });

  it('worker --metrics-port 0: scraped while it serves a submitted run; the run leaves its queue depth when it ends', async () => {
    const server = await startRerankServer(SERVER);
    const dir = await tempDir('metrics-worker');
    const prefix = uniquePrefix('metrics-worker');
    cleanups.push(() => server.close(), dir.remove, () => deletePrefix(redisUrl(), prefix));
    const input = await writePairs(dir.dir, 60, 20);
    const { logger } = captureLogs('warn');
    const env = { ...process.env, REDIS_URL: redisUrl() };
    const submitted = await submit({ input, apiUrl: server.url, prefix, runId: 'metrics-worker', maxDocsPerRequest: 5, minRetryDelayMs: 20, maxRetryDelayMs: 100 }, { logger, env });
    const { runId } = submitted;

    const worker = startCli(['worker', '--prefix', prefix, '--concurrency', '3', '--metrics-port', '0'], env);
    cleanups.push(() => stopChild(worker.child));
    const url = await waitFor('the logged metrics URL', () => loggedMetricsUrl(worker.output()));
    const { first, last } = await scrapeWhileMoving(url, runId, worker.child);
    expectRunGauges(first, runId);
    expectRunGauges(last, runId);

    const collected = await collect({ runId, out: join(dir.dir, 'out'), prefix, workers: false }, { logger, env });
    expect(collected.outcome).toBe('complete');
    // The run is over: the worker stops serving it and drops its queue depth; its counters stay for a while.
    const after = await waitFor('the worker to release the run', async () => {
      const scraped = await scrape(url);
      return samplesOf(scraped, 'rerank_batch_queue_jobs', { run_id: runId }).length === 0 ? scraped : undefined;
    });
    expect(total(after, 'rerank_batch_batches_total', { run_id: runId, outcome: 'completed' })).toBe(submitted.batches);
    expect(total(after, 'rerank_batch_pairs_scored_total', { run_id: runId })).toBe(submitted.pairs);
    expect(total(after, 'rerank_batch_api_requests_total', { run_id: runId, status: '200' })).toBe(server.stats.byStatus[200]);
    await stopChild(worker.child);
  });

  it('collect with metricsPort (library): its own workers and the run queue are measured while it collects', async () => {
    const server = await startRerankServer({ ...SERVER, rate429: 0 });
    const dir = await tempDir('metrics-collect');
    const prefix = uniquePrefix('metrics-collect');
    cleanups.push(() => server.close(), dir.remove, () => deletePrefix(redisUrl(), prefix));
    const input = await writePairs(dir.dir, 30, 10);
    const logs = captureLogs('info');
    const env = { ...process.env, REDIS_URL: redisUrl() };
    const { runId, batches } = await submit({ input, apiUrl: server.url, prefix, runId: 'metrics-collect', maxDocsPerRequest: 5 }, { logger: logs.logger, env });

    const collecting = collect({ runId, out: join(dir.dir, 'out'), prefix, concurrency: 1, metricsPort: 0 }, { logger: logs.logger, env });
    const url = await waitFor('the logged metrics URL', () => loggedMetricsUrl(logs.text()));
    const during = await waitFor('requests', async () => {
      const scraped = await scrape(url);
      return total(scraped, 'rerank_batch_api_requests_total', { run_id: runId, status: '200' }) > 0 ? scraped : undefined;
    });
    expectRunGauges(during, runId);
    expect(total(during, 'rerank_batch_queue_jobs', { run_id: runId })).toBeGreaterThan(0);
    expect((await collecting).outcome).toBe('complete');
    expect(server.stats.byStatus[200]).toBe(batches);
    await expect(fetch(url)).rejects.toThrow();
  });
});
