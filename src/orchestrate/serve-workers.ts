import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerHost } from '../../workers/worker-host.js';
import type { Resolved } from '../options/resolve-options.js';
import { redisSettingsOf, resolveRedis } from '../redis/connect.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { monitored, type ResolvedContext, type RunContext } from './run-pipeline.js';
import { OutageWaitStopped, settlesWithin } from '../redis/connection-loss.js';
import { watchOutages } from './outage-watch.js';
import { closeWithGrace, FORCE_CLOSE_AFTER_MS, releaseHost } from './shutdown.js';
import { watchServedRuns } from '../monitor/monitor.js';
import type { ProcessMetrics } from '../monitor/process-metrics.js';
import { bullmqTelemetry, flushTraces } from '../monitor/tracing.js';

/**
 * Serve runs from Redis (every active run, or `runIds`) until `context.signal` aborts, then stop with the
 * shared shutdown policy. Returns the batches this process scored and failed for good.
 */
export async function serveWorkers(resolved: Resolved<'worker'>, context: RunContext & { signal: AbortSignal }): Promise<{ completed: number; failed: number }> {
  return monitored(resolved.options, context, (resolvedContext, metrics) => serveMonitored(resolved, resolvedContext, metrics));
}

async function serveMonitored(resolved: Resolved<'worker'>, context: ResolvedContext, metrics: ProcessMetrics | undefined): Promise<{ completed: number; failed: number }> {
  const { options } = resolved;
  const { logger, env, events, signal } = context;
  // A worker joins an existing Redis: it never starts a private one nobody else could reach.
  const redis = await resolveRedis(redisSettingsOf(options), logger, { allowPrivate: false });
  const stopWatching = metrics === undefined ? undefined : watchServedRuns(metrics, events, redis, options.prefix, logger);
  const telemetry = bullmqTelemetry(options.tracing);
  try {
    const probe = redis.connect();
    await warnOnEvictionPolicy(probe, logger);
    await probe.quit();
    const host = new WorkerHost(
      () => redis.connect(),
      {
        prefix: options.prefix,
        concurrency: options.concurrency,
        lockDurationMs: options.lockDurationMs,
        stalledIntervalMs: options.stalledIntervalMs,
        ...(options.runIds === undefined ? {} : { runIds: options.runIds }),
      },
      { logger, events, apiKey: env.RERANK_API_KEY, observer: metrics, telemetry },
    );
    let stats = { completed: 0, failed: 0 };
    events.once('worker-stopped', (payload) => {
      stats = payload;
    });
    await host.start();
    events.emit('worker-started', { redis: redis.displayUrl, prefix: options.prefix, concurrency: options.concurrency });
    // A connection of its own tells outages (logged as events) and, with an outage budget, ends the worker.
    const watched = redis.connect();
    const guard = watchOutages(watched, options.redisOutageTimeout, events);
    try {
      while (signal?.aborted !== true) {
        await guard.run(() => watched.ping(), signal);
        await sleep(1_000, undefined, { signal }).catch(() => undefined);
      }
    } catch (err) {
      if (!(err instanceof OutageWaitStopped)) {
        await releaseHost(host);
        throw err;
      }
    } finally {
      guard.close();
      watched.disconnect();
    }
    await closeWithGrace(host, options.shutdownGraceMs, events);
    return stats;
  } finally {
    await stopWatching?.();
    // Bounded like the rest of the shutdown: an exporter that cannot reach its collector must not hold the exit.
    if (telemetry !== undefined) await settlesWithin(flushTraces(), FORCE_CLOSE_AFTER_MS);
    await redis.close();
  }
}
