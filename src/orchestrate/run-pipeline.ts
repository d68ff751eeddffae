import { join } from 'node:path';
import { WorkerHost } from '../../workers/worker-host.js';
import { makeDirDurable } from '../collect/durable-file.js';
import { InputError } from '../errors/input-error.js';
import { Lifecycle } from '../lifecycle-events.js';
import { createLogger, type Logger } from '../logger.js';
import { resolveOptions, type Resolved } from '../options/resolve-options.js';
import { checkSubmitSettings, readerOptionsOf, type RunOptions } from '../options/run-options.js';
import { labellingRun } from './labelling-input.js';
import { collectRun, type CollectReport } from './collect-run.js';
import { openSubmittedRun } from './open-run.js';
import { watchOutages } from './outage-watch.js';
import { closeWithGrace, releaseHost } from './shutdown.js';
import { submitInput, type SubmitReport } from './submit-input.js';
import { inputIdentityOf } from '../state/input-identity.js';
import { openRunCache, type RunCache } from './run-cache.js';
import { openMonitor } from '../monitor/monitor.js';
import type { ProcessMetrics } from '../monitor/process-metrics.js';
import { bullmqTelemetry } from '../monitor/tracing.js';

/** How a library call or a command runs: where it logs, what it reads the key from, what stops it. */
export interface RunContext {
  /** Default: a logger with the environment's LOG_LEVEL/LOG_FORMAT. */
  logger?: Logger;
  /** Where RERANK_API_KEY (and the documented option variables) come from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Graceful shutdown: when it aborts, in-flight requests get the grace period, then what is collected is written. */
  signal?: AbortSignal;
  /** Lifecycle events of the run; subscribe to them. Default: a fresh emitter. */
  events?: Lifecycle;
  /**
   * Record the process's metrics here (e.g. a registry the caller serves itself, see
   * `startMetricsEndpoint`); with `metricsPort` they are served there too. Default: with `metricsPort`,
   * metrics of the call's own; without, none are recorded.
   */
  metrics?: ProcessMetrics | undefined;
}

export interface RunReport extends CollectReport {
  runId: string;
  outDir: string;
  producer: SubmitReport;
}

export type ResolvedContext = Required<Omit<RunContext, 'signal' | 'metrics'>> & { signal: AbortSignal | undefined };

export function contextOf(context: RunContext): ResolvedContext {
  return { logger: context.logger ?? createLogger(), env: context.env ?? process.env, events: context.events ?? new Lifecycle(), signal: context.signal };
}

/**
 * Run a command's `body` with its context's defaults applied and its process's metrics open (with
 * `metricsPort`, or the caller's own `metrics`): the endpoint starts first and closes last.
 */
export async function monitored<T>(
  options: { metricsPort?: number | undefined; metricsHost: string },
  context: RunContext,
  body: (context: ResolvedContext, metrics: ProcessMetrics | undefined) => Promise<T>,
): Promise<T> {
  const resolved = contextOf(context);
  const monitor = await openMonitor(options, context.metrics, resolved.logger);
  try {
    return await body(resolved, monitor?.metrics);
  } finally {
    await monitor?.close();
  }
}

/**
 * The whole pipeline in one process: read and enqueue (producer), score (in-process workers, plus any
 * `worker` processes on other machines), collect, then write outputs, metrics and the manifest.
 * Running it again with the same input and options resumes the same run and redoes nothing.
 *
 * When `signal` aborts: stop reading, stop taking jobs, give in-flight requests `shutdownGraceMs` to finish
 * (then hand their jobs back), write what is collected; the outcome is 'interrupted'.
 */
export async function run(options: RunOptions, context: RunContext = {}): Promise<RunReport> {
  const env = context.env ?? process.env;
  return runResolved(resolveOptions('run', { api: options, env }), context);
}

/** `run` with options already resolved (the CLI resolves flags, environment and config file itself). */
export async function runResolved(resolved: Resolved<'run'>, context: RunContext = {}): Promise<RunReport> {
  return monitored(resolved.options, context, (resolvedContext, metrics) => runMonitored(resolved, resolvedContext, metrics));
}

async function runMonitored(resolved: Resolved<'run'>, context: ResolvedContext, metrics: ProcessMetrics | undefined): Promise<RunReport> {
  const { options, sources } = resolved;
  const { logger, env, events, signal } = context;
  checkSubmitSettings(options);
  // The input was checksummed as the run opened: no second read to check it again.
  const labelling = labellingRun(options, { file: options.runFile === undefined ? options.input : undefined, reader: () => readerOptionsOf(options) });
  await makeDirDurable(options.out);
  const handle = await openSubmittedRun(options, logger, env, { allowBuiltinServer: true, out: options.out });
  const { runId } = handle;
  const unwatchQueue = metrics?.watchQueue(runId, handle.queue);
  const guard = watchOutages(handle.connection, options.redisOutageTimeout, events);
  let host: WorkerHost | undefined;
  let cache: RunCache | undefined;
  try {
    cache = openRunCache(handle.cacheDir, handle.config);
    events.emit('run-started', { runId, redis: handle.redis.displayUrl, apiUrl: handle.config.apiUrl, provider: handle.config.provider, model: handle.config.model ?? null, resumed: handle.previousStatus !== undefined });
    if (options.workers) {
      host = new WorkerHost(
        () => handle.redis.connect(),
        { prefix: options.prefix, concurrency: options.concurrency, runIds: [runId], lockDurationMs: options.lockDurationMs, stalledIntervalMs: options.stalledIntervalMs },
        { logger, events, apiKey: env.RERANK_API_KEY, scoreCache: cache?.store, observer: metrics, telemetry: bullmqTelemetry(options.tracing) },
      );
      await host.start();
    }
    // On shutdown the collector stops only once the workers have: its last drain then takes the
    // requests that finished during the grace period.
    const stopCollecting = new AbortController();
    const stopProducing = new AbortController();
    signal?.addEventListener(
      'abort',
      () => {
        stopProducing.abort();
        void closeWithGrace(host, options.shutdownGraceMs, events).finally(() => stopCollecting.abort());
      },
      { once: true },
    );

    // Collect while producing, so finished batches leave Redis as the run goes on.
    const dropCollecting = new AbortController();
    const collecting = collectRun(handle, options, { logger, events, guard, inputs: inputIdentityOf(handle.inputs), cache, labelling }, { stop: stopCollecting.signal, drop: dropCollecting.signal });
    // If collecting fails (e.g. the API refused the key and the run was aborted), stop reading too:
    // with no worker taking jobs, a producer waiting for room in the queue would wait forever.
    collecting.catch(() => stopProducing.abort());
    let producer: SubmitReport;
    try {
      producer = await submitInput(handle, options, sources, join(options.out, 'rejects.jsonl'), { logger, events, guard, signal: stopProducing.signal, cache: cache?.store, collecting: true });
    } catch (err) {
      dropCollecting.abort();
      await collecting.catch(() => undefined);
      if (err instanceof InputError) {
        // This input can never complete the run: drop what was queued for it.
        await handle.queue.obliterate({ force: true });
        await handle.store.delete(runId);
      }
      throw err;
    }
    const report = await collecting;
    if (report === undefined) throw new Error('collector stopped without a reason');
    return { ...report, runId, outDir: options.out, producer };
  } finally {
    guard.close();
    await releaseHost(host);
    unwatchQueue?.();
    await handle.close();
    await cache?.store.close();
  }
}
