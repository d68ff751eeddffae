/** runPipeline as the benchmarks call it: timed, quiet, against a given Redis and rerank endpoint. */
import { runPipeline, type RunReport } from '../src/orchestrate/run-pipeline.js';
import { normalizeRunOptions, type RunOptions } from '../src/options/run-options.js';
import type { Logger } from '../src/logger.js';

export interface TimedRun {
  report: RunReport;
  wallMs: number;
}

/** No API key for the local server; set so the pipeline does not warn about a missing one. */
export const BENCH_ENV: NodeJS.ProcessEnv = { ...process.env, RERANK_API_KEY: 'bench-local-server-takes-no-key' };
delete BENCH_ENV.REDIS_URL;
delete BENCH_ENV.RERANK_API_URL;

export async function timedPipeline(options: RunOptions, logger: Logger): Promise<TimedRun> {
  const started = performance.now();
  const report = await runPipeline(options, logger, BENCH_ENV);
  return { report, wallMs: performance.now() - started };
}

/**
 * Run options with an option RunOptions may not have yet (another change may add it, e.g. `rateLimit`):
 * returns the options and whether normalizeRunOptions kept it, i.e. whether the pipeline knows it.
 */
export function withOptionalOption(options: RunOptions, name: string, value: number): { options: RunOptions; supported: boolean } {
  const extended: RunOptions = Object.assign({ ...options }, { [name]: value });
  try {
    const normalized: object = normalizeRunOptions(extended, BENCH_ENV);
    const supported = name in normalized && (normalized as Record<string, unknown>)[name] === value;
    return { options: supported ? extended : options, supported };
  } catch {
    return { options, supported: false };
  }
}
