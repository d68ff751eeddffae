import { Worker } from 'bullmq';
import { runQueueName } from '../jobs/names.js';
import type { RerankJobPayload, RerankJobResult } from '../jobs/rerank-job.js';
import type { Logger } from '../src/logger.js';
import type { RedisConnection } from '../src/redis/connect.js';
import { RunStore } from '../src/run/run-store.js';
import { createRerankProcessor, type RerankProcessor } from './rerank-processor.js';
import {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_MAX_STALLED_COUNT,
  DEFAULT_STALLED_INTERVAL_MS,
  type WorkerHostOptions,
} from './worker-options.js';

/**
 * Runs one BullMQ Worker per active run in this process. Workers on any number of machines do the
 * same against the same Redis; BullMQ hands each job to exactly one of them at a time.
 */
export class WorkerHost {
  private readonly workers = new Map<string, Worker<RerankJobPayload, RerankJobResult, string>>();
  private readonly store: RunStore;
  private readonly processor: RerankProcessor;
  private readonly redis: RedisConnection;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  /** Batches this process scored / failed for good, over all runs. */
  private completed = 0;
  private failed = 0;

  constructor(
    private readonly connect: () => RedisConnection,
    private readonly options: WorkerHostOptions,
    private readonly logger: Logger,
    apiKey: string | undefined,
  ) {
    this.redis = connect();
    this.store = new RunStore(this.redis, options.prefix);
    this.processor = createRerankProcessor({
      store: this.store,
      apiKey,
      logger,
      onRunAborted: (runId) => void this.stopRun(runId),
    });
  }

  /** Start serving; with no fixed run list, keep discovering runs until `close()`. */
  async start(): Promise<void> {
    await this.sync();
    if (this.options.runIds === undefined) {
      this.timer = setInterval(() => {
        this.sync().catch((err: unknown) => this.logger.warn({ err }, 'looking for runs failed; will try again'));
      }, this.options.discoverIntervalMs ?? 2_000);
    }
  }

  /** Runs this host serves now. */
  get runs(): string[] {
    return [...this.workers.keys()];
  }

  private async sync(): Promise<void> {
    if (this.closing) return;
    const wanted = this.options.runIds ?? (await this.store.activeRuns());
    for (const runId of wanted) if (!this.workers.has(runId)) this.serve(runId);
    if (this.options.runIds === undefined) {
      for (const runId of this.workers.keys()) if (!wanted.includes(runId)) await this.stopRun(runId);
    }
  }

  private serve(runId: string): void {
    const worker = new Worker<RerankJobPayload, RerankJobResult, string>(runQueueName(runId), this.processor, {
      connection: this.connect(),
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
      stalledInterval: this.options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
      maxStalledCount: this.options.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
      autorun: true,
    });
    worker.on('error', (err) => this.logger.warn({ err, runId }, 'worker error (BullMQ reconnects by itself)'));
    worker.on('completed', () => {
      this.completed += 1;
    });
    worker.on('failed', (job, err) => {
      if (job !== undefined && job.finishedOn !== undefined) this.failed += 1;
      if (job !== undefined) this.logger.debug({ runId, jobId: job.id, attemptsMade: job.attemptsMade, err: err.message }, 'batch attempt failed');
    });
    this.workers.set(runId, worker);
    this.logger.info({ runId, concurrency: this.options.concurrency }, 'serving run');
  }

  private async stopRun(runId: string): Promise<void> {
    const worker = this.workers.get(runId);
    if (worker === undefined) return;
    this.workers.delete(runId);
    // force: do not wait for in-flight jobs of a run that is over (aborted or gone).
    await worker.close(true);
    this.logger.info({ runId }, 'stopped serving run');
  }

  /** Stop taking jobs; wait for in-flight jobs to finish (or hand them back, `force`). */
  async close(force = false): Promise<void> {
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await Promise.all([...this.workers.values()].map((worker) => worker.close(force)));
    this.workers.clear();
    await this.redis.quit().catch(() => undefined);
    this.logger.info({ completed: this.completed, failed: this.failed }, 'worker stopped');
  }
}
