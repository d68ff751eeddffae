import { DEFAULT_JOB_OPTIONS } from '../../jobs/default-job-options.js';
import { RERANK_JOB_NAME } from '../../jobs/names.js';
import type { RerankQueue } from '../../jobs/rerank-queue.js';
import type { PlannedCached, PlannedInput, PlannedJob } from '../plan/plan-ahead.js';
import { OutageWaitStopped, type OutageGuard } from '../redis/connection-loss.js';
import type { ProducerTotals, ShapingTotals } from '../interfaces.js';
import type { RunStore } from '../state/run-store.js';

export interface ProducerOptions {
  runId: string;
  /**
   * Jobs per addBulk call. Default 50 (smaller bulks keep fewer batches alive at once: less GC work, same
   * round trips per job). The first bulks are smaller (FIRST_BULK, then doubling), so that workers start
   * on the first batches instead of waiting for the reader to plan a whole bulk.
   */
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
  /** Runs each Redis operation through outages (bounded by the outage budget, cut by `signal`). */
  guard: OutageGuard;
  /**
   * Count cached batches waiting for the collector against maxPending too: when a collector runs beside
   * this producer (`run`), so that they never pile up in Redis. `submit` hands them over without waiting
   * (no collector may run until later; they hold ids and scores only).
   */
  cachedBackpressure?: boolean;
}

export interface ProducerReport extends ProducerTotals {
  /** Jobs added to the queue by this call. */
  enqueued: number;
  /** Batches skipped because an earlier submission of the run queued them (still in Redis) or had them collected already. */
  alreadySubmitted: number;
  /** Cached batches handed to the collector by this call. */
  cachedHandedOver: number;
  /** What the whole input's requests send and cost; undefined when the input was not read to its end. */
  shaping: ShapingTotals | undefined;
}

/** How often the producer records how far it has read. */
const READING_RECORD_MS = 1_000;

/** Size of the first bulk; each next one is twice as large, up to bulkSize. */
const FIRST_BULK = 8;

/**
 * Add the planned jobs to the run's queue. Safe to call again for the same run: ids are deterministic, BullMQ
 * ignores an id it holds, and batches collected already are skipped.
 */
export async function produce(
  planned: PlannedInput,
  queue: RerankQueue,
  store: RunStore,
  options: ProducerOptions,
): Promise<ProducerReport> {
  const maxPending = options.maxPending ?? 1000;
  // A bulk larger than maxPending would never find room in the queue: the producer would wait forever.
  const bulkSize = Math.min(options.bulkSize ?? 50, maxPending);
  const jobOptions = { ...DEFAULT_JOB_OPTIONS, attempts: options.attempts ?? DEFAULT_JOB_OPTIONS.attempts };
  let pending: PlannedJob[] = [];
  let pendingCached: PlannedCached[] = [];
  let enqueued = 0;
  let alreadySubmitted = 0;
  let cachedHandedOver = 0;

  const waitForRoom = async (needed: number): Promise<void> => {
    for (;;) {
      const counts = await options.guard.run(() => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'), options.signal);
      const cached = options.cachedBackpressure === true ? await options.guard.run(() => store.cachedWaiting(options.runId), options.signal) : 0;
      const inQueue = Object.values(counts).reduce((sum, n) => sum + n, cached);
      if (inQueue + needed <= maxPending || options.signal?.aborted === true) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  // How far the reading is, for progress estimates until the totals are known: at most once a second.
  let readRecordedAt = 0;
  const recordReading = async (): Promise<void> => {
    const read = planned.read;
    if (read === undefined || Date.now() - readRecordedAt < READING_RECORD_MS) return;
    readRecordedAt = Date.now();
    await options.guard.run(() => store.setReading(options.runId, read), options.signal);
  };

  const flush = async (): Promise<void> => {
    await recordReading();
    if (pendingCached.length > 0) {
      const batches = pendingCached.map(({ id, cached }) => ({ id, json: JSON.stringify(cached) }));
      pendingCached = [];
      const handed = await options.guard.run(() => store.pushCached(options.runId, batches), options.signal);
      cachedHandedOver += handed;
      alreadySubmitted += batches.length - handed;
    }
    // In slices of bulkSize: the end of the input can close many batches at once. A slice is safe to
    // add again: BullMQ adds nothing for a job id it holds.
    while (pending.length > 0) {
      const slice = pending.splice(0, bulkSize);
      const added = await options.guard.run(() => addSlice(slice), options.signal);
      enqueued += added;
      alreadySubmitted += slice.length - added;
    }
  };

  /** Adds the jobs not collected or queued yet; returns how many that was. */
  const addSlice = async (slice: PlannedJob[]): Promise<number> => {
    const jobs = slice.map(({ id, data }) => ({ name: RERANK_JOB_NAME, data, opts: { ...jobOptions, jobId: id } }));
    await waitForRoom(jobs.length);
    // Only jobs neither collected nor still in Redis (a resumed run's jobs may be in either state, and the
    // collector moves them from one to the other as this runs: see collectedOrQueued).
    const ids = jobs.map((job) => job.opts.jobId);
    const known = await store.collectedOrQueued(options.runId, ids, queue);
    const fresh = jobs.filter((_, i) => known[i] !== true);
    if (fresh.length === 0) return 0;
    await queue.addBulk(fresh);
    return fresh.length;
  };

  // Slow start: at 50 jobs, the first bulk waited ~0.15 s for the reader with every worker idle.
  let nextBulk = Math.min(FIRST_BULK, bulkSize);
  const stoppedEarly = (): ProducerReport => ({ queries: 0, pairs: 0, batches: 0, enqueued, alreadySubmitted, cachedHandedOver, shaping: undefined });
  try {
    for await (const item of planned) {
      if (options.signal?.aborted === true) break;
      if ('cached' in item) pendingCached.push(item);
      else pending.push(item);
      if (pending.length + pendingCached.length >= nextBulk) {
        await flush();
        nextBulk = Math.min(nextBulk * 2, bulkSize);
        // Wait for room for the next bulk now, holding nothing, rather than with its batches in hand:
        // batches that wait get promoted to V8's old generation, whose garbage is what grows the heap.
        await waitForRoom(nextBulk);
      }
    }
    // Batches come closed: the planner closes its open ones only at the true end of the input, so every
    // batch queued, even after a shutdown, is one a resumed run plans the same way.
    await flush();
    const totals = planned.totals;
    if (options.signal?.aborted === true || totals === undefined) return stoppedEarly();
    const { queries, pairs, batches, ...shaping } = totals;
    await options.guard.run(() => store.setTotals(options.runId, { queries, pairs, batches }), options.signal);
    return { queries, pairs, batches, enqueued, alreadySubmitted, cachedHandedOver, shaping };
  } catch (err) {
    // A shutdown while Redis is down: what was queued stays queued; a resumed run adds the rest.
    if (err instanceof OutageWaitStopped) return stoppedEarly();
    throw err;
  }
}
