import { WorkerHost } from '../../workers/worker-host.js';
import type { Resolved } from '../options/resolve-options.js';
import { resolveRedis } from '../redis/connect.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { contextOf, type RunContext } from './run-pipeline.js';
import { closeWithGrace } from './shutdown.js';

/**
 * Serve runs from Redis (every active run, or `runIds`) until `context.signal` aborts, then stop with the
 * shared shutdown policy. Returns the batches this process scored and failed for good.
 */
export async function serveWorkers(resolved: Resolved<'worker'>, context: RunContext & { signal: AbortSignal }): Promise<{ completed: number; failed: number }> {
  const { options } = resolved;
  const { logger, env, events, signal } = contextOf(context);
  // A worker joins an existing Redis: it never starts a private one nobody else could reach.
  const redis = await resolveRedis(options.redis, logger, { allowPrivate: false });
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
    if (signal?.aborted !== true) await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    await closeWithGrace(host, options.shutdownGraceMs, events);
    return stats;
  } finally {
    await redis.close();
  }
}
