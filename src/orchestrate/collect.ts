import { WorkerHost } from '../../workers/worker-host.js';
import { resolveOptions, type GivenOptions, type Resolved } from '../options/resolve-options.js';
import { collectRun, type CollectReport } from './collect-run.js';
import { redisSettingsOf } from '../redis/connect.js';
import { openExistingRun } from './open-run.js';
import { monitored, type ResolvedContext, type RunContext } from './run-pipeline.js';
import { watchOutages } from './outage-watch.js';
import { closeWithGrace, FORCE_CLOSE_AFTER_MS, releaseHost } from './shutdown.js';
import { bullmqTelemetry, flushTraces } from '../monitor/tracing.js';
import { settlesWithin } from '../redis/connection-loss.js';
import { inputIdentityOf } from '../state/input-identity.js';
import { cacheDirOf, submittedReaderOptions } from '../options/run-options.js';
import { labellingRun, ruleGivenAnew } from './labelling-input.js';
import { openRunCache, type RunCache } from './run-cache.js';
import type { ProcessMetrics } from '../monitor/process-metrics.js';

export interface CollectResult extends CollectReport {
  runId: string;
  /** Failed batches queued again first (retry-failed only). */
  requeued: number;
}

type CollectLike = 'collect' | 'retry-failed';

/**
 * Wait for a submitted run and write its outputs to `out` (resumable). Output options not given are
 * the ones the run was submitted with. With `workers` (the default) this process scores batches too.
 */
export async function collect(options: GivenOptions<'collect'>, context: RunContext = {}): Promise<CollectResult> {
  const env = context.env ?? process.env;
  return collectResolved('collect', (submission) => resolveOptions('collect', { api: options, env, ...(submission === undefined ? {} : { submission }) }), context);
}

/** Queue the failed batches of a run again, then collect it: their results are merged into the same outputs. */
export async function retryFailed(options: GivenOptions<'retry-failed'>, context: RunContext = {}): Promise<CollectResult> {
  const env = context.env ?? process.env;
  return collectResolved('retry-failed', (submission) => resolveOptions('retry-failed', { api: options, env, ...(submission === undefined ? {} : { submission }) }), context);
}

/**
 * `collect` and `retry-failed` with option resolution left to the caller: `resolve()` first without the
 * run's submitted settings (to find the run), then with them (for the output options).
 */
export async function collectResolved(
  command: CollectLike,
  resolve: (submission?: Record<string, unknown>) => Resolved<CollectLike>,
  context: RunContext = {},
): Promise<CollectResult> {
  return monitored(resolve().options, context, (resolvedContext, metrics) => collectMonitored(command, resolve, resolvedContext, metrics));
}

async function collectMonitored(
  command: CollectLike,
  resolve: (submission?: Record<string, unknown>) => Resolved<CollectLike>,
  context: ResolvedContext,
  metrics: ProcessMetrics | undefined,
): Promise<CollectResult> {
  const { logger, env, events, signal } = context;
  const first = resolve().options;
  const handle = await openExistingRun(first.runId, redisSettingsOf(first), first.prefix, logger);
  const { options, sources } = resolve(handle.state.submission?.options);
  const unwatchQueue = metrics?.watchQueue(options.runId, handle.queue);
  const telemetry = bullmqTelemetry(options.tracing);
  const guard = watchOutages(handle.connection, options.redisOutageTimeout, events);
  let host: WorkerHost | undefined;
  let cache: RunCache | undefined;
  try {
    cache = openRunCache(options.cache ? cacheDirOf(options, env) : undefined, handle.state.config);
    let requeued = 0;
    if (command === 'retry-failed') {
      requeued = await handle.queue.getFailedCount();
      await handle.store.register(handle.state.config);
      await handle.queue.retryJobs({ state: 'failed' });
      logger.info({ runId: options.runId, failed: requeued }, 'failed batches queued again');
    }
    if (options.workers) {
      host = new WorkerHost(
        () => handle.redis.connect(),
        { prefix: options.prefix, concurrency: options.concurrency, runIds: [options.runId], lockDurationMs: options.lockDurationMs, stalledIntervalMs: options.stalledIntervalMs },
        { logger, events, apiKey: env.RERANK_API_KEY, scoreCache: cache?.store, observer: metrics, telemetry },
      );
      await host.start();
    }
    // The collector stops once the workers have, so its last drain takes what finished in the grace period.
    const stopCollecting = new AbortController();
    signal?.addEventListener('abort', () => void closeWithGrace(host, options.shutdownGraceMs, events).finally(() => stopCollecting.abort()), { once: true });
    const settings = { out: options.out, qrels: options.qrels, topN: options.topN, runTag: options.runTag, relLevel: options.relLevel };
    const outputSources = { out: sources.out, qrels: sources.qrels, topN: sources.topN, runTag: sources.runTag, relLevel: sources.relLevel };
    const submitted = handle.state.submission?.inputs;
    const inputs = handle.state.config.inputs ?? (submitted === undefined ? undefined : inputIdentityOf(submitted));
    const submittedOptions = handle.state.submission?.options ?? {};
    const labelling = labellingRun(ruleGivenAnew(options, sources), {
      file: submittedOptions.runFile === undefined ? options.input : undefined,
      reader: () => submittedReaderOptions(submittedOptions),
      sha256: handle.state.submission?.inputs.input?.sha256,
    });
    const report = await collectRun(handle, { ...settings, sources: outputSources }, { logger, events, guard, inputs, cache, labelling }, { stop: stopCollecting.signal });
    if (report === undefined) throw new Error('collector stopped without a reason');
    return { ...report, runId: options.runId, requeued };
  } finally {
    guard.close();
    await releaseHost(host);
    unwatchQueue?.();
    await handle.close();
    await cache?.store.close();
    // Bounded like the rest of the shutdown: an exporter that cannot reach its collector must not hold the exit.
    if (telemetry !== undefined) await settlesWithin(flushTraces(), FORCE_CLOSE_AFTER_MS);
  }
}
