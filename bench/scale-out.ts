/**
 * Scale-out: 1, 2 and 4 `worker` processes (the CLI, as deployed) serving one run whose own process
 * starts no workers (`workers: false`), against a latency-bound server. Latency-bound work needs no CPU
 * while it waits, so it should scale with workers even on a 2-core machine. Target: 4 workers >= 3.5x 1 worker.
 */
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { scaled, seconds, startCli, startServerChild, stopChild, withTempDir, type BenchContext, type BenchResult, type CliProcess } from './lib.js';
import { BENCH_ENV, timedPipeline } from './pipeline.js';
import { writeCorpus } from './synthetic-corpus.js';

export async function scaleOut(ctx: BenchContext): Promise<BenchResult> {
  const latencyMs = 100;
  const perWorker = 4;
  const counts = [1, 2, 4];
  const queries = scaled(1200, ctx.scale, 240);
  const prefix = '{bench}';
  return withTempDir('scale', async (dir) => {
    const input = join(dir, 'pairs.csv');
    await writeCorpus({ out: input, queries, perQuery: 10, seed: 41 + ctx.seed, minWords: 10, maxWords: 30 });
    const redis = await startRedisServer();
    const server = await startServerChild({ latencyMs });
    const rates = new Map<number, { rate: number; wallMs: number; requests: number; windowMs: number }>();
    try {
      for (const count of counts) {
        const runId = `bench-scale-${count}`;
        const workers: CliProcess[] = [];
        try {
          for (let i = 0; i < count; i++) {
            workers.push(
              startCli(['worker', '--redis', redis.url, '--prefix', prefix, '--concurrency', String(perWorker), '--log-level', 'info'], BENCH_ENV),
            );
          }
          await Promise.all(workers.map((worker) => worker.waitForOutput('worker started')));
          await server.reset();
          const run = await timedPipeline(
            { input, out: join(dir, `out-${count}`), redis: redis.url, prefix, apiUrl: server.url, workers: false, concurrency: perWorker, runId },
            ctx.logger,
          );
          const stats = await server.stats();
          rates.set(count, { rate: stats.ok / (stats.okWindowMs / 1000), wallMs: run.wallMs, requests: stats.ok, windowMs: stats.okWindowMs });
        } finally {
          await Promise.all(workers.map((worker) => stopChild(worker.child)));
        }
      }
    } finally {
      await server.close();
      await redis.stop();
    }
    const one = rates.get(1)?.rate ?? Number.NaN;
    const four = rates.get(4)?.rate ?? Number.NaN;
    const ratio = four / one;
    const ideal = perWorker / (latencyMs / 1000);
    return {
      name: 'scale',
      rows: [
        {
          benchmark: 'scale-out 4 vs 1 worker',
          figure: counts.map((n) => `${n}w ${(rates.get(n)?.rate ?? Number.NaN).toFixed(1)} req/s`).join(', ') + ` (C=${perWorker}/worker, latency ${latencyMs} ms)`,
          target: '>= 3.5x',
          ratio: Math.round(ratio * 100) / 100,
          holds: ratio >= 3.5,
        },
      ],
      notes: [
        `scale-out: ideal per worker ${ideal.toFixed(0)} req/s; ` +
          counts.map((n) => {
            const r = rates.get(n);
            return r === undefined ? `${n}w n/a` : `${n}w ${r.requests} requests in ${seconds(r.windowMs)} (${((r.rate / (ideal * n)) * 100).toFixed(0)}% of ideal), wall ${seconds(r.wallMs)}`;
          }).join('; ') + '.',
      ],
      details: { latencyMs, perWorker, rates: Object.fromEntries(rates), ratio },
    };
  });
}
