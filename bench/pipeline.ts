/** The run pipeline as the benchmarks call it: timed, quiet, against a given Redis and rerank endpoint. */
import { run, type RunReport } from '../src/orchestrate/run-pipeline.js';
import type { RunOptions } from '../src/options/run-options.js';
import type { Logger } from '../src/logger.js';

export interface TimedRun {
  report: RunReport;
  wallMs: number;
}

/**
 * No API key for the local server; set so the pipeline does not warn about a missing one. The score
 * cache is off: the benchmarks measure the pipeline, and would otherwise find their own earlier scores
 * (the `cache` benchmark turns it on, with a cache directory of its own).
 */
export const BENCH_ENV: NodeJS.ProcessEnv = { ...process.env, RERANK_API_KEY: 'bench-local-server-takes-no-key', RERANK_BATCH_CACHE: 'false' };
delete BENCH_ENV.REDIS_URL;
delete BENCH_ENV.RERANK_API_URL;

export async function timedPipeline(options: RunOptions, logger: Logger): Promise<TimedRun> {
  const started = performance.now();
  const report = await run(options, { logger, env: BENCH_ENV });
  return { report, wallMs: performance.now() - started };
}
