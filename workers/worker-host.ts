import { setMaxListeners } from 'node:events';
import { Worker, type Telemetry } from 'bullmq';
import { runQueueName } from '../jobs/names.js';
import type { RerankJobPayload, RerankJobResult } from '../jobs/rerank-job.js';
import type { Lifecycle } from '../src/lifecycle-events.js';
import type { Logger } from '../src/logger.js';
import type { RedisConnection } from '../src/redis/connect.js';
import { closeWhenStarted, isConnectionLoss } from '../src/redis/connection-loss.js';
import { RunStore } from '../src/state/run-store.js';
import { createRerankProcessor, type RerankProcessor } from './rerank-processor.js';
import type { ScoreCache } from '../src/cache/score-cache.js';
import { DEFAULT_MAX_STALLED_COUNT, type WorkerHostOptions } from './worker-options.js';
import type { WorkerObserver } from './worker-observer.js';

type RerankWorker = Worker<RerankJobPayload, RerankJobResult, string>;

/** A run's Worker with the connection we gave it: BullMQ never closes a connection it was handed. */
interface Served {
  worker: RerankWorker;
  connection: RedisConnection;
  /** Set once the worker has started (its connection is ready): see closeWorker. */
  started: boolean;
}

/**
 * Close a served worker: at once when it has started, so that it takes no further job (even a microtask
 * later it may take one, and send one more request); else once it has (closeWhenStarted, bounded).
 */
function closeWorker(served: Served, force = false): Promise<void> {
  return served.started ? served.worker.close(force) : closeWhenStarted(served.worker, force);
}

/**
 * BullMQ's limiter counts jobs per `duration` ms; a rate of R requests/s becomes at most ceil(R) jobs
 * per ceil(R)/R seconds (exactly R/s on average, also for fractional rates).
 */
export function limiterFor(ratePerSecond: number): { max: number; duration: number } {
  const max = Math.max(1, Math.ceil(ratePerSecond));
  return { max, duration: Math.round((1000 * max) / ratePerSecond) };
}

/**
 * The one BullMQ limiter of a run from its per-second and per-minute caps. A per-minute cap alone allows
 * its burst within the minute, as the providers count it; with both, the stricter rate, spread evenly.
 */
export function runLimiter(config: { rateLimit?: number | undefined; requestsPerMinute?: number | undefined }): { max: number; duration: number } | undefined {
  const { rateLimit, requestsPerMinute } = config;
  if (requestsPerMinute === undefined) return rateLimit === undefined ? undefined : limiterFor(rateLimit);
  if (rateLimit === undefined) return { max: requestsPerMinute, duration: 60_000 };
  return limiterFor(Math.min(rateLimit, requestsPerMinute / 60));
}

/**
 * Runs one BullMQ Worker per active run in this process. Workers on any number of machines do the
 * same against the same Redis; BullMQ hands each job to exactly one of them at a time.
 */
export class WorkerHost {
  private readonly workers = new Map<string, Served>();
  private readonly starting = new Set<string>();
  private readonly store: RunStore;
  private readonly processor: RerankProcessor;
  private readonly redis: RedisConnection;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly handBack = new AbortController();
  /** Resolved by `forceClose()`: `close()` then returns without waiting for BullMQ. */
  private readonly forced = new AbortController();
  /** Resolves when the host is closed; `close()` waits for it. */
  private closedPromise: Promise<void> | undefined;
  /** Batches this process scored / failed for good, over all runs. */
  private completed = 0;
  private failed = 0;

  private readonly logger: Logger;
  private readonly events: Lifecycle;
  private readonly observer: WorkerObserver | undefined;
  private readonly telemetry: Telemetry | undefined;

  constructor(
    private readonly connect: () => RedisConnection,
    private readonly options: WorkerHostOptions,
    context: {
      logger: Logger;
      events: Lifecycle;
      apiKey: string | undefined;
      scoreCache?: ScoreCache | undefined;
      /** Metrics of this process (`--metrics-port`). */
      observer?: WorkerObserver | undefined;
      /** OpenTelemetry through BullMQ (`--tracing`): given to every Worker. */
      telemetry?: Telemetry | undefined;
    },
  ) {
    const { logger, apiKey, scoreCache, observer } = context;
    this.logger = logger;
    this.events = context.events;
    this.observer = observer;
    this.telemetry = context.telemetry;
    this.redis = this.connectQuietly();
    this.store = new RunStore(this.redis, options.prefix);
    // One abort listener per request in flight (client and p-retry): not a leak.
    setMaxListeners(0, this.handBack.signal);
    this.processor = createRerankProcessor({
      store: this.store,
      apiKey,
      logger,
      onRunAborted: (runId) => void this.stopRun(runId),
      onRateLimited: (runId, waitMs) => {
        // Pauses the run's queue for every worker on every machine, not only this one.
        this.workers.get(runId)?.worker.rateLimit(waitMs).catch((err: unknown) => this.logger.debug({ err }, 'rate limit not set'));
      },
      handBack: this.handBack.signal,
      scoreCache,
      observer,
    });
  }

  /** A connection whose errors are handled here (ioredis prints "Unhandled error event" otherwise). */
  private connectQuietly(): RedisConnection {
    const connection = this.connect();
    connection.on('error', (err: Error) => {
      if (!isConnectionLoss(err)) this.logger.warn({ err }, 'Redis connection error');
    });
    return connection;
  }

  /**
   * Start serving, and keep looking for runs until `close()`: new runs on the Redis, or (with a fixed
   * run list) runs named before they were submitted.
   */
  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((err: unknown) => this.logger.warn({ err }, 'looking for runs failed; will try again'));
    }, this.options.discoverIntervalMs ?? 2_000);
  }

  /** Runs this host serves now. */
  get runs(): string[] {
    return [...this.workers.keys()];
  }

  private async sync(): Promise<void> {
    if (this.closing) return;
    const wanted = this.options.runIds ?? (await this.store.activeRuns());
    for (const runId of wanted) if (!this.workers.has(runId) && !this.starting.has(runId)) await this.serve(runId);
    if (this.options.runIds === undefined) {
      for (const runId of this.workers.keys()) if (!wanted.includes(runId)) await this.stopRun(runId);
    }
  }

  private async serve(runId: string): Promise<void> {
    this.starting.add(runId);
    try {
      const state = await this.store.get(runId);
      if (state === undefined || this.closing) return;
      const rateLimit = state.config.rateLimit;
      const limiter = runLimiter(state.config);
      const connection = this.connectQuietly();
      const worker: RerankWorker = new Worker(runQueueName(runId), this.processor, {
        connection,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        maxStalledCount: this.options.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
        ...(limiter === undefined ? {} : { limiter }),
        ...(this.telemetry === undefined ? {} : { telemetry: this.telemetry }),
      });
      worker.on('error', (err) => {
        // A lost connection is an outage, reported once by whoever watches Redis; BullMQ reconnects.
        if (isConnectionLoss(err)) this.logger.debug({ err, runId }, 'worker lost its Redis connection; BullMQ reconnects');
        else this.logger.warn({ err, runId }, 'worker error');
      });
      worker.on('completed', () => {
        this.completed += 1;
        this.observer?.batchDone(runId, 'completed');
      });
      worker.on('failed', (job, err) => {
        if (job === undefined) return;
        const final = job.finishedOn !== undefined;
        if (final) {
          this.failed += 1;
          this.observer?.batchDone(runId, 'failed');
        }
        this.logger.debug({ runId, jobId: job.id, attemptsMade: job.attemptsMade, final, err: err.message }, 'batch attempt failed');
      });
      const served: Served = { worker, connection, started: false };
      worker.waitUntilReady().then(
        () => {
          served.started = true;
        },
        () => undefined,
      );
      this.workers.set(runId, served);
      this.events.emit('worker-serving', { runId, concurrency: this.options.concurrency, rateLimit: rateLimit ?? null });
    } finally {
      this.starting.delete(runId);
    }
  }

  private async stopRun(runId: string): Promise<void> {
    const served = this.workers.get(runId);
    if (served === undefined) return;
    this.workers.delete(runId);
    // force: do not wait for in-flight jobs of a run that is over (aborted or gone).
    await closeWorker(served, true);
    await served.connection.quit().catch(() => undefined);
    // A long-lived worker sees many runs: keep no client (and no keep-alive sockets) of one it left.
    await this.processor.release(runId);
    this.events.emit('worker-released', { runId });
  }

  /** Abort in-flight requests: their jobs go back to the queue (no attempt spent) and `close()` can finish. */
  handBackInFlight(): void {
    this.handBack.abort();
  }

  /**
   * Stop taking jobs and wait for in-flight jobs to finish; `handBackInFlight()` bounds that wait.
   * Idempotent: a second call waits for the first.
   */
  async close(): Promise<void> {
    this.closedPromise ??= this.closeOnce();
    const forced = new Promise<void>((resolve) => {
      if (this.forced.signal.aborted) resolve();
      this.forced.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return Promise.race([this.closedPromise, forced]);
  }

  /**
   * Drop every connection now, without waiting for BullMQ: for a shutdown while Redis is down, where a
   * graceful close never ends. Jobs in flight stay locked until their lock expires, then go to others.
   */
  forceClose(): void {
    this.forced.abort();
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const { worker, connection } of this.workers.values()) {
      worker.close(true).catch(() => undefined);
      connection.disconnect();
    }
    this.workers.clear();
    this.redis.disconnect();
  }

  private async closeOnce(): Promise<void> {
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const served = [...this.workers.values()];
    await Promise.all(served.map((one) => closeWorker(one)));
    await Promise.all(served.map(({ connection }) => connection.quit().catch(() => undefined)));
    for (const runId of this.workers.keys()) await this.processor.release(runId);
    this.workers.clear();
    await this.redis.quit().catch(() => undefined);
    this.events.emit('worker-stopped', { completed: this.completed, failed: this.failed });
  }
}
