import type { Queue } from 'bullmq';
import { DEFAULT_JOB_OPTIONS } from '../../jobs/default-job-options.js';
import { rerankJobId } from '../../jobs/job-id.js';
import { RERANK_JOB_NAME } from '../../jobs/names.js';
import { JOB_CONTRACT_VERSION, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import type { Pair } from '../interfaces.js';
import type { Logger } from '../logger.js';
import { BatchPlanner, type PlannedBatch, type PlannerOptions } from '../plan/batch-planner.js';
import type { ProducerTotals, RunStore } from '../run/run-store.js';

export interface ProducerOptions extends PlannerOptions {
  runId: string;
  /** The input file, for error messages. */
  file: string;
  /** Jobs per addBulk call. Default 50 (smaller bulks keep fewer batches alive at once: less GC work, same round trips per job). */
  bulkSize?: number;
  /**
   * Most jobs waiting or in flight in the run's queue; the producer reads on as workers finish, so Redis
   * holds at most this many batches' text whatever the input size. Default 1000.
   */
  maxPending?: number;
  /** Attempts per job (BullMQ's outer retry layer). Default DEFAULT_JOB_OPTIONS.attempts. */
  attempts?: number;
  /** Graceful shutdown: stop waiting for room in the queue, and do not record totals (the input was not read whole). */
  signal?: AbortSignal;
}

export interface ProducerReport extends ProducerTotals {
  /** Jobs added to the queue by this call. */
  enqueued: number;
  /** Batches skipped because an earlier submission of the run had them collected already. */
  alreadyCollected: number;
}

export type RerankQueue = Queue<RerankJobPayload, RerankJobResult, string>;

/**
 * Read pairs, plan batches and add one job per batch. Safe to call again for the same run: ids are
 * deterministic, BullMQ ignores an id it holds, and batches collected already are skipped.
 */
export async function produce(
  pairs: AsyncIterable<Pair & { emptyText?: boolean }>,
  queue: RerankQueue,
  store: RunStore,
  options: ProducerOptions,
  logger: Logger,
): Promise<ProducerReport> {
  const planner = new BatchPlanner(options, options.file);
  const maxPending = options.maxPending ?? 1000;
  // A bulk larger than maxPending would never find room in the queue: the producer would wait forever.
  const bulkSize = Math.min(options.bulkSize ?? 50, maxPending);
  const jobOptions = { ...DEFAULT_JOB_OPTIONS, attempts: options.attempts ?? DEFAULT_JOB_OPTIONS.attempts };
  let pending: PlannedBatch[] = [];
  let enqueued = 0;
  let alreadyCollected = 0;

  const waitForRoom = async (needed: number): Promise<void> => {
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
      const inQueue = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (inQueue + needed <= maxPending || options.signal?.aborted === true) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const flush = async (): Promise<void> => {
    // In slices of bulkSize: the end of the input can close many batches at once.
    while (pending.length > 0) await addSlice(pending.splice(0, bulkSize));
  };

  const addSlice = async (slice: PlannedBatch[]): Promise<void> => {
    const jobs = slice.map((batch) => {
      const data: RerankJobPayload = { v: JOB_CONTRACT_VERSION, runId: options.runId, queryId: batch.queryId, query: batch.query, docs: batch.docs };
      if (batch.unscored === true) data.unscored = true;
      return { name: RERANK_JOB_NAME, data, opts: { ...jobOptions, jobId: rerankJobId(data) } };
    });
    const done = await store.collected(options.runId, jobs.map((job) => job.opts.jobId));
    const fresh = jobs.filter((_, i) => done[i] !== true);
    alreadyCollected += jobs.length - fresh.length;
    if (fresh.length === 0) return;
    await waitForRoom(fresh.length);
    await queue.addBulk(fresh);
    enqueued += fresh.length;
  };

  for await (const pair of pairs) {
    pending.push(...planner.add(pair));
    if (pending.length >= bulkSize) {
      await flush();
      // Wait for room for the next bulk now, holding nothing, rather than with its batches in hand:
      // batches that wait get promoted to V8's old generation, whose garbage is what grows the heap.
      await waitForRoom(bulkSize);
    }
  }
  // After a shutdown the open batches are partial: queueing them would make batches a resumed run
  // plans differently (and pays for twice). Every batch closed so far is the same on resume.
  if (options.signal?.aborted !== true) pending.push(...planner.flush());
  await flush();
  const totals = planner.totals;
  if (options.signal?.aborted === true) {
    logger.warn({ runId: options.runId, ...totals, enqueued }, 'stopped reading the input (shutdown); run the same command again to resume');
    return { ...totals, enqueued, alreadyCollected };
  }
  await store.setTotals(options.runId, totals);
  logger.info({ runId: options.runId, ...totals, enqueued, alreadyCollected }, 'input read and queued');
  return { ...totals, enqueued, alreadyCollected };
}
