/**
 * Memory: peak RSS of the `run` process (no in-process workers) and of 2 `worker` processes, and Redis
 * used_memory_peak, for a small and a 10x larger corpus with the same text lengths. Each size gets a fresh
 * private redis-server, so its peak is that run's alone. Targets: larger <= 1.2x smaller (run process);
 * run process < 300 MB; Redis < 256 MB.
 */
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { mb, seconds, startCli, startServerChild, stopChild, watchRss, withTempDir, redisInfo, type BenchContext, type BenchResult, type BenchRow, type CliProcess } from './lib.js';
import { BENCH_ENV } from './pipeline.js';
import { writeCorpus } from './synthetic-corpus.js';

interface MemoryFigures {
  pairs: number;
  corpusBytes: number;
  generateMs: number;
  wallMs: number;
  runPeakRss: number;
  workerPeakRss: number[];
  redisUsedMemoryPeak: number;
  exitCode: number | null;
}

const PER_QUERY = 100;
const WORKERS = 2;
const WORKER_CONCURRENCY = 4;

async function measure(dir: string, pairs: number, seed: number): Promise<MemoryFigures> {
  const input = join(dir, `pairs-${pairs}.csv`);
  const genStart = performance.now();
  // 15-60 words: about 390 bytes a row, so 2,000,000 pairs is about 780 MB of CSV.
  const corpus = await writeCorpus({ out: input, queries: Math.max(1, Math.round(pairs / PER_QUERY)), perQuery: PER_QUERY, seed, minWords: 15, maxWords: 60 });
  const generateMs = performance.now() - genStart;
  const redis = await startRedisServer();
  const server = await startServerChild({ latencyMs: 0 });
  const prefix = '{bench}';
  const runId = `bench-memory-${pairs}`;
  const workers: CliProcess[] = [];
  let run: CliProcess | undefined;
  try {
    for (let i = 0; i < WORKERS; i++) {
      workers.push(startCli(['worker', '--redis', redis.url, '--prefix', prefix, '--concurrency', String(WORKER_CONCURRENCY), '--log-level', 'info'], BENCH_ENV));
    }
    await Promise.all(workers.map((worker) => worker.waitForOutput('worker started')));
    const workerWatchers = workers.map((worker) => watchRss(worker.child.pid ?? -1));
    const started = performance.now();
    run = startCli(
      ['run', '--input', input, '--out', join(dir, `out-${pairs}`), '--redis', redis.url, '--prefix', prefix, '--api-url', server.url, '--run-id', runId, '--no-workers', '--concurrency', String(WORKER_CONCURRENCY), '--log-level', 'warn'],
      BENCH_ENV,
    );
    const runWatcher = watchRss(run.child.pid ?? -1);
    // VmHWM of an exited process is gone: sample until the run exits (the last sample is at most 100 ms old,
    // and VmHWM never decreases, so only a spike in the last 100 ms could be missed).
    const exitCode = await run.exited;
    const wallMs = performance.now() - started;
    const runPeak = await runWatcher.stop();
    const workerPeaks = await Promise.all(workerWatchers.map((watcher) => watcher.stop()));
    if (exitCode !== 0) throw new Error(`run exited with ${String(exitCode)}: ${run.output().slice(-2000)}`);
    const info = await redisInfo(redis.url, 'memory');
    return {
      pairs: corpus.pairs,
      corpusBytes: corpus.bytes,
      generateMs,
      wallMs,
      runPeakRss: runPeak.peakBytes,
      workerPeakRss: workerPeaks.map((peak) => peak.peakBytes),
      redisUsedMemoryPeak: Number(info.get('used_memory_peak') ?? Number.NaN),
      exitCode,
    };
  } finally {
    if (run !== undefined) await stopChild(run.child);
    await Promise.all(workers.map((worker) => stopChild(worker.child)));
    await server.close();
    await redis.stop();
  }
}

export async function memory(ctx: BenchContext): Promise<BenchResult> {
  const large = ctx.largePairs;
  const small = Math.max(PER_QUERY, Math.round(large / 10));
  return withTempDir('memory', async (dir) => {
    const smallFigures = await measure(dir, small, 51 + ctx.seed);
    const largeFigures = await measure(dir, large, 52 + ctx.seed);
    const growth = largeFigures.runPeakRss / smallFigures.runPeakRss;
    const workerGrowth = Math.max(...largeFigures.workerPeakRss) / Math.max(...smallFigures.workerPeakRss);
    const redisGrowth = largeFigures.redisUsedMemoryPeak / smallFigures.redisUsedMemoryPeak;
    const fmtPairs = (n: number): string => n.toLocaleString('en-US');
    const maxRun = Math.max(smallFigures.runPeakRss, largeFigures.runPeakRss);
    const maxRedis = Math.max(smallFigures.redisUsedMemoryPeak, largeFigures.redisUsedMemoryPeak);
    const rows: BenchRow[] = [
      {
        benchmark: 'memory: run RSS growth',
        figure: `${mb(largeFigures.runPeakRss)} at ${fmtPairs(large)} vs ${mb(smallFigures.runPeakRss)} at ${fmtPairs(small)} pairs`,
        target: '<= 1.2x',
        ratio: Math.round(growth * 100) / 100,
        holds: growth <= 1.2,
      },
      { benchmark: 'memory: run peak RSS', figure: mb(maxRun), target: '< 300 MB', ratio: Math.round((maxRun / (300 * 1024 * 1024)) * 100) / 100, holds: maxRun < 300 * 1024 * 1024 },
      {
        benchmark: 'memory: worker peak RSS',
        figure: `${mb(Math.max(...largeFigures.workerPeakRss))} at ${fmtPairs(large)} vs ${mb(Math.max(...smallFigures.workerPeakRss))} at ${fmtPairs(small)}`,
        target: '<= 1.2x',
        ratio: Math.round(workerGrowth * 100) / 100,
        holds: workerGrowth <= 1.2,
      },
      {
        benchmark: 'memory: Redis used_memory_peak',
        figure: `${mb(largeFigures.redisUsedMemoryPeak)} at ${fmtPairs(large)} vs ${mb(smallFigures.redisUsedMemoryPeak)} at ${fmtPairs(small)}`,
        target: '< 256 MB',
        ratio: Math.round((maxRedis / (256 * 1024 * 1024)) * 100) / 100,
        holds: maxRedis < 256 * 1024 * 1024,
      },
    ];
    return {
      name: 'memory',
      rows,
      notes: [
        `memory: ${WORKERS} worker processes x C=${WORKER_CONCURRENCY}, run with --no-workers; ` +
          [smallFigures, largeFigures]
            .map((f) => `${fmtPairs(f.pairs)} pairs (${mb(f.corpusBytes)} CSV, generated in ${seconds(f.generateMs)}): run ${seconds(f.wallMs)}, run RSS ${mb(f.runPeakRss)}, workers ${f.workerPeakRss.map(mb).join(' / ')}, Redis peak ${mb(f.redisUsedMemoryPeak)}`)
            .join('; ') +
          `; Redis growth ${redisGrowth.toFixed(2)}x.`,
      ],
      details: { small: smallFigures, large: largeFigures, growth, workerGrowth, redisGrowth },
    };
  });
}
