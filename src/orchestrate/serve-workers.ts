import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerHost } from '../../workers/worker-host.js';
import type { Resolved } from '../options/resolve-options.js';
import { redisSettingsOf, resolveRedis } from '../redis/connect.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { contextOf, type RunContext } from './run-pipeline.js';
import { OutageWaitStopped } from '../redis/connection-loss.js';
import { watchOutages } from './outage-watch.js';
import { closeWithGrace, releaseHost } from './shutdown.js';

/**
 * Serve runs from Redis (every active run, or `runIds`) until `context.signal` aborts, then stop with the
 * shared shutdown policy. Returns the batches this process scored and failed for good.
 */
export async function serveWorkers(resolved: Resolved<'worker'>, context: RunContext & { signal: AbortSignal }): Promise<{ completed: number; failed: number }> {
  const { options } = resolved;
  const { logger, env, events, signal } = contextOf(context);
  // A worker joins an existing Redis: it never starts a private one nobody else could reach.
  const redis = await resolveRedis(redisSettingsOf(options), logger, { allowPrivate: false });
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
      { logger, events, apiKey: env.RERANK_API_KEY },
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
    await redis.close();
  }
}
