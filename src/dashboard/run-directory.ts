import { Queue } from 'bullmq';
import { runQueueName } from '../../jobs/names.js';
import type { RerankQueue } from '../../jobs/rerank-queue.js';
import { runStatus, type RunStatusReport } from '../collect/run-status.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connect.js';
import { closeWhenStarted, isConnectionLoss } from '../redis/connection-loss.js';
import { RunStore, type RunState } from '../state/run-store.js';

/** How often the whole keyspace is scanned for runs; in between, only the registry of active runs is read. */
const RESCAN_MS = 30_000;

const STATUS_ORDER: Record<RunStatusReport['status'], number> = { running: 0, aborted: 1, completed: 2 };

/**
 * The runs under one prefix and a read-only BullMQ queue for each, kept in step with Redis: a run appears
 * when it is registered (or found by the periodic scan, which also finds finished ones), and disappears
 * with its state (cancelled, or expired after FINISHED_RUN_TTL_SECONDS).
 */
export class RunDirectory {
  private readonly store: RunStore;
  private readonly queues = new Map<string, RerankQueue>();
  private scannedAt = Number.NEGATIVE_INFINITY;
  /** The runs whose queues onQueues was last told of. */
  private told = '';
  /** Runs whose state could not be read, each logged once. */
  private readonly unreadable = new Set<string>();
  private reading: Promise<RunStatusReport[]> | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly logger: Logger,
    /** Told the queues whenever runs appear or disappear. */
    private readonly onQueues: (queues: RerankQueue[]) => void,
  ) {
    this.store = new RunStore(connection, prefix);
  }

  /** The queue of a listed run, by queue name. */
  queueNamed(name: string): RerankQueue | undefined {
    return [...this.queues.values()].find((queue) => queue.name === name);
  }

  /** Every listed run's status, read now (callers at the same time share one read). */
  refresh(): Promise<RunStatusReport[]> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<RunStatusReport[]> {
    const ids = new Set([...this.queues.keys(), ...(await this.store.activeRuns())]);
    if (Date.now() - this.scannedAt >= RESCAN_MS) {
      for (const id of await this.store.listedRuns()) ids.add(id);
      this.scannedAt = Date.now();
    }
    const reports: RunStatusReport[] = [];
    for (const runId of ids) {
      const state = await this.stateOf(runId);
      if (state === undefined) {
        await this.forget(runId);
        continue;
      }
      reports.push(await runStatus({ runId, queue: this.queueOf(runId), store: this.store, state }));
    }
    const listed = [...this.queues.keys()].sort().join(' ');
    if (listed !== this.told) {
      this.onQueues([...this.queues.values()]);
      this.told = listed;
    }
    return reports.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.runId.localeCompare(b.runId));
  }

  /** A run's state; undefined when it is gone, or written by a version whose state this one cannot read (logged). */
  private async stateOf(runId: string): Promise<RunState | undefined> {
    try {
      return await this.store.get(runId);
    } catch (err) {
      if (isConnectionLoss(err)) throw err;
      if (this.unreadable.has(runId)) return undefined;
      this.unreadable.add(runId);
      this.logger.warn({ runId, error: err instanceof Error ? err.message : String(err) }, 'run state unreadable: not listed');
      return undefined;
    }
  }

  private queueOf(runId: string): RerankQueue {
    let queue = this.queues.get(runId);
    if (queue === undefined) {
      // A dashboard only reads: it must not write the queue's meta key, which holds the run's cap on its
      // event stream (EVENTS_MAX_LEN), nor create one for a finished run whose queue is gone.
      queue = new Queue(runQueueName(runId), { connection: this.connection, prefix: this.prefix, skipMetasUpdate: true });
      queue.on('error', (err: Error) => this.logger.debug({ runId, error: err.message }, 'queue error'));
      this.queues.set(runId, queue);
    }
    return queue;
  }

  private async forget(runId: string): Promise<void> {
    const queue = this.queues.get(runId);
    if (queue === undefined) return;
    this.queues.delete(runId);
    await closeWhenStarted(queue);
  }

  /** Close every queue (the shared connection stays open: it is the caller's). */
  async close(): Promise<void> {
    await this.reading?.catch(() => undefined);
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => closeWhenStarted(queue)));
  }
}
