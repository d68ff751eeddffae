import { Queue } from 'bullmq';
import { runQueueName } from '../../jobs/names.js';
import type { Lifecycle } from '../lifecycle-events.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connect.js';
import { closeWhenStarted, quitOrDrop } from '../redis/connection-loss.js';
import { startMetricsEndpoint } from './metrics-endpoint.js';
import { ProcessMetrics } from './process-metrics.js';

/** The metrics of a command's process and, with `--metrics-port`, the endpoint serving them. */
export interface ProcessMonitor {
  metrics: ProcessMetrics;
  /** The endpoint's URL; undefined when the caller records into its own metrics without a port. */
  url: string | undefined;
  close(): Promise<void>;
}

/**
 * Metrics for a command: with `metricsPort`, the endpoint is started (and its URL logged) before anything
 * else, so a port that cannot be had stops the command at once. `given` is a library caller's own
 * metrics, recorded into (and served, with a port). Neither: undefined, and nothing is recorded.
 */
export async function openMonitor(options: { metricsPort?: number | undefined; metricsHost: string }, given: ProcessMetrics | undefined, logger: Logger): Promise<ProcessMonitor | undefined> {
  if (options.metricsPort === undefined) return given === undefined ? undefined : { metrics: given, url: undefined, close: () => Promise.resolve() };
  const metrics = given ?? new ProcessMetrics();
  const endpoint = await startMetricsEndpoint(metrics.registry, { host: options.metricsHost, port: options.metricsPort });
  logger.info({ url: endpoint.url }, `metrics endpoint listening at ${endpoint.url}`);
  return { metrics, url: endpoint.url, close: () => endpoint.close() };
}

/** How long a run's series stay after a worker stops serving it: past the last scrape of its final counts. */
export const FORGET_RUN_AFTER_MS = 5 * 60_000;

/**
 * For a `worker` process, which knows its runs only as it serves them: while the worker host serves a
 * run (its `worker-serving` / `worker-released` events), show its queue's depth, read through a queue of
 * its own on one connection; `FORGET_RUN_AFTER_MS` after it stops, drop the run's series. Returns the
 * function that stops this and releases the connection.
 */
export function watchServedRuns(metrics: ProcessMetrics, events: Lifecycle, redis: { connect(): RedisConnection }, prefix: string, logger: Logger): () => Promise<void> {
  const connection = redis.connect();
  connection.on('error', (err: Error) => logger.debug({ err }, 'metrics connection error'));
  const served = new Map<string, { queue: Queue; unwatch: () => void }>();
  const forgetting = new Map<string, NodeJS.Timeout>();
  const close = (runId: string): Promise<void> => {
    const one = served.get(runId);
    if (one === undefined) return Promise.resolve();
    served.delete(runId);
    one.unwatch();
    return closeWhenStarted(one.queue).catch(() => undefined);
  };
  const onServing = ({ runId }: { runId: string }): void => {
    clearTimeout(forgetting.get(runId));
    forgetting.delete(runId);
    if (served.has(runId)) return;
    const queue = new Queue(runQueueName(runId), { connection, prefix });
    queue.on('error', (err: Error) => logger.debug({ runId, err }, 'metrics queue error'));
    served.set(runId, { queue, unwatch: metrics.watchQueue(runId, queue) });
  };
  const onReleased = ({ runId }: { runId: string }): void => {
    void close(runId);
    const timer = setTimeout(() => {
      forgetting.delete(runId);
      void metrics.forgetRun(runId);
    }, FORGET_RUN_AFTER_MS);
    timer.unref();
    forgetting.set(runId, timer);
  };
  events.on('worker-serving', onServing);
  events.on('worker-released', onReleased);
  return async () => {
    events.off('worker-serving', onServing);
    events.off('worker-released', onReleased);
    for (const timer of forgetting.values()) clearTimeout(timer);
    await Promise.all([...served.keys()].map(close));
    await quitOrDrop(connection);
  };
}
