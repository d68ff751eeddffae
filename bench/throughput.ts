/**
 * Request throughput of the pipeline when the API, not the pipeline, is the bottleneck:
 * - latency-bound: every answer takes latencyMs; C requests in flight can do at most C / latency per second.
 * - rate-bound: the server answers 429 above R requests/s; successful requests/s should reach R without
 *   failing any pair.
 * The corpora have one small batch per query (10 short candidates), so the count of requests is what costs.
 * Rates are measured on the server: the steady rate is the successful answers per second between the moments
 * 10% and 90% of them had been given (ramp-up, a token bucket's initial burst and the tail excluded).
 */
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { pct, scaled, seconds, startServerChild, withTempDir, type BenchContext, type BenchResult } from './lib.js';
import { timedPipeline } from './pipeline.js';
import { writeCorpus } from './synthetic-corpus.js';

const PER_QUERY = 10;

export async function latencyBound(ctx: BenchContext): Promise<BenchResult> {
  const latencyMs = 50;
  const concurrency = 16;
  const ideal = concurrency / (latencyMs / 1000);
  const queries = scaled(4000, ctx.scale, 1000);
  return withTempDir('latency', async (dir) => {
    const input = join(dir, 'pairs.csv');
    await writeCorpus({ out: input, queries, perQuery: PER_QUERY, seed: 21 + ctx.seed, minWords: 10, maxWords: 30 });
    const redis = await startRedisServer();
    const server = await startServerChild({ latencyMs });
    try {
      const run = await timedPipeline({ input, out: join(dir, 'out'), redis: redis.url, apiUrl: server.url, concurrency, runId: 'bench-latency' }, ctx.logger);
      const stats = await server.stats();
      const achieved = stats.steadyOkPerSecond;
      const windowRate = stats.ok / (stats.okWindowMs / 1000);
      const endToEnd = stats.ok / (run.wallMs / 1000);
      const ratio = achieved / ideal;
      return {
        name: 'latency',
        rows: [
          {
            benchmark: 'latency-bound',
            figure: `${achieved.toFixed(1)} req/s (steady) vs C/latency ${ideal.toFixed(0)} (C=${concurrency}, latency ${latencyMs} ms, ${stats.ok} requests)`,
            target: '>= 90%',
            ratio: Math.round(ratio * 1000) / 1000,
            holds: ratio >= 0.9,
          },
        ],
        notes: [
          `latency-bound: steady ${achieved.toFixed(1)} req/s = ${pct(ratio)} of C/latency; first to last answer ${stats.ok} requests in ${seconds(stats.okWindowMs)} = ${windowRate.toFixed(1)} req/s; end to end with startup and outputs ${seconds(run.wallMs)} = ${endToEnd.toFixed(1)} req/s; failed pairs ${run.report.summary.failedPairs}.`,
        ],
        details: { latencyMs, concurrency, ideal, achieved, windowRate, endToEnd, wallMs: run.wallMs, server: stats, summary: run.report.summary },
      };
    } finally {
      await server.close();
      await redis.stop();
    }
  });
}

export async function rateBound(ctx: BenchContext): Promise<BenchResult> {
  const rate = 200;
  const latencyMs = 10;
  const concurrency = 16;
  const queries = scaled(4000, ctx.scale, 1000);
  return withTempDir('rate', async (dir) => {
    const input = join(dir, 'pairs.csv');
    await writeCorpus({ out: input, queries, perQuery: PER_QUERY, seed: 31 + ctx.seed, minWords: 10, maxWords: 30 });
    const redis = await startRedisServer();
    const server = await startServerChild({ latencyMs, maxRequestsPerSecond: rate });
    try {
      const run = await timedPipeline({ input, out: join(dir, 'out'), redis: redis.url, apiUrl: server.url, concurrency, runId: 'bench-rate', rateLimit: rate }, ctx.logger);
      const stats = await server.stats();
      const windowS = stats.okWindowMs / 1000;
      const achieved = stats.ok / windowS;
      // The server's token bucket starts full (burst = R), so over T seconds at most R * (T + 1) can succeed.
      const allowed = rate * (windowS + 1);
      const steady = stats.steadyOkPerSecond;
      const ratio = steady / rate;
      const failedPairs = run.report.summary.failedPairs;
      const limited = stats.byStatus[429] ?? 0;
      return {
        name: 'rate',
        rows: [
          {
            benchmark: 'rate-bound (rateLimit=R)',
            figure: `${steady.toFixed(1)} ok req/s (steady) vs R=${rate} (first to last ${achieved.toFixed(1)}, ${limited} x 429, C=${concurrency})`,
            target: '>= 90%',
            ratio: Math.round(ratio * 1000) / 1000,
            holds: ratio >= 0.9,
          },
          { benchmark: 'rate-bound: failed pairs', figure: String(failedPairs), target: '0', ratio: null, holds: failedPairs === 0 },
        ],
        notes: [
          'rate-bound: rateLimit set to R; ' +
            `${stats.ok} successful requests in a ${seconds(windowS * 1000)} window (${pct(stats.ok / allowed)} of the bucket's R*(T+1) allowance), ` +
            `${limited} answers 429 (${pct(limited / Math.max(1, stats.requests))} of requests), BullMQ job retries ${run.report.summary.jobRetries}; end to end ${seconds(run.wallMs)}.`,
        ],
        details: { rate, latencyMs, concurrency, achieved, steady, allowed, wallMs: run.wallMs, server: stats, summary: run.report.summary },
      };
    } finally {
      await server.close();
      await redis.stop();
    }
  });
}
