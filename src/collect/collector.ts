import type { Job } from 'bullmq';
import { parseRerankJobPayload, parseRerankJobResult, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import { cachedBatchSchema } from '../../jobs/cached-batch.js';
import { scoreEntries, type CacheEntry, type ScoreCache } from '../cache/score-cache.js';
import type { ScoreKeys } from '../cache/score-key.js';
import { decodeFailure } from '../../jobs/failure-reason.js';
import type { RerankQueue } from '../../jobs/rerank-queue.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import type { Logger } from '../logger.js';
import { OutageWaitStopped, type OutageGuard } from '../redis/connection-loss.js';
import type { RunState, RunStore } from '../state/run-store.js';
import type { FailedRecord, ScoredRecord, Spool, SpoolRecord } from './spool.js';

/**
 * Finished jobs read per call by default. BullMQ's public API reads whole jobs, payload (up to ~67 KB of
 * text) included: a page of 100 keeps that under ~7 MB of memory, and the read script (which holds Redis
 * while it runs) short.
 */
const DEFAULT_PAGE_SIZE = 100;

export interface CollectorOptions {
  runId: string;
  /** Runs each Redis operation through outages (bounded by the outage budget, cut by a shutdown). */
  guard: OutageGuard;
  /** Pause between drains when nothing new finished, ms. Default 50: the last batch of a run is seen soon after it finishes, for 2 Redis round trips a poll. */
  pollIntervalMs?: number;
  /** Finished jobs read per call (one BullMQ script call a page). Default 100. */
  pageSize?: number;
  /** Log progress at most this often, ms. Default 5000. */
  progressIntervalMs?: number;
  /** The score cache: every score the API gave is stored in it before its batch is spooled. */
  cache?: { store: ScoreCache; scoreKeys: ScoreKeys } | undefined;
}

/** Progress of a run as the collector sees it. */
export interface CollectProgress {
  /** Batches scored and on the collector's disk. */
  scored: number;
  /** Batches failed for good (also on disk, for failures.jsonl). */
  failed: number;
  /** All batches of the run; undefined until the producer has read the whole input. */
  total: number | undefined;
}

/**
 * The run stopped for a reason that concerns every batch (e.g. the API refused the key). Exit code 1.
 * `abortCode` says which (ERR_API_AUTH, ERR_API_MISCONFIGURED, ...), for a caller to branch on.
 */
export class RunAbortedError extends RerankBatchError {
  readonly abortCode: string;

  constructor(abortCode: string, reason: string) {
    super('ERR_RUN_ABORTED', `run aborted: ${reason} (${abortCode})`);
    this.abortCode = abortCode;
  }
}

type RerankJob = Job<RerankJobPayload, RerankJobResult, string>;

/**
 * A spool record from a finished job, read through BullMQ's public Job: its result (the worker echoes the
 * batch, texts left out; checked with the job contract's schema) and the attempts it took.
 */
function scoredRecord(job: RerankJob & { id: string }): { record: ScoredRecord; storedIn: string | undefined } {
  const result = parseRerankJobResult(job.returnvalue);
  const items = result.docs.map(([docId, originalScore, originalRank], i): ScoredRecord['items'][number] => {
    const item: ScoredRecord['items'][number] = [docId, result.unscored ? null : (result.scores[i] as number), originalScore, originalRank];
    const passage = result.passages?.[i];
    if (passage !== undefined && passage !== null) item.push(passage);
    return item;
  });
  const record: ScoredRecord = { t: 'ok', job: job.id, q: result.queryId, query: result.query, items, requests: result.requests, rateLimited: result.rateLimited, attempts: Math.max(1, job.attemptsMade) };
  return { record, storedIn: result.storedIn };
}

/** The cache entries of a scored job: one per document sent (copies and unscored batches have none of their own). */
function cacheEntries(job: RerankJob, record: ScoredRecord, keys: ScoreKeys): CacheEntry[] {
  const data = parseRerankJobPayload(job.data);
  if (data.unscored === true || data.docs.length !== record.items.length) return [];
  const scores = record.items.map(([, score]) => score);
  const passages = record.items.map(([, , , , passage]) => passage ?? null);
  return scoreEntries(keys, data.query, data.docs, scores, passages, job.finishedOn ?? Date.now());
}

function failedRecord(job: RerankJob & { id: string }, reason: { code: string; errorClass: string; message: string }): FailedRecord {
  const data = job.data;
  return {
    t: 'fail',
    job: job.id,
    q: data.queryId,
    query: data.query,
    docs: data.docs.map((doc) => [doc.id, doc.score ?? null, doc.rank ?? null]),
    code: reason.code,
    errorClass: reason.errorClass,
    message: reason.message,
    attempts: job.attemptsMade,
  };
}

function hasId(job: RerankJob | undefined): job is RerankJob & { id: string } {
  return job?.id !== undefined;
}

/**
 * Drains a run's finished jobs from Redis into the local spool while the run goes on, and says when the
 * run is complete. Each scored job is removed from Redis once it is durable on disk and its id is
 * recorded as collected, so Redis holds only pending work; failed jobs stay in Redis for `retry-failed`.
 */
export class Collector {
  private lastFailedCount = -1;
  private lastProgressLog = 0;

  constructor(
    private readonly queue: RerankQueue,
    private readonly store: RunStore,
    private readonly spool: Spool,
    private readonly options: CollectorOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Move what finished since the last call to the spool. Returns how many batches were new. Reads
   * finished jobs through BullMQ's public API only, a page at a time: `getJobs` reads a page of
   * completed jobs (ids and jobs in one call, so a job removed meanwhile is just not in the page).
   */
  async drainOnce(): Promise<number> {
    const pageSize = this.options.pageSize ?? DEFAULT_PAGE_SIZE;
    let added = 0;
    for (;;) {
      const jobs = (await this.queue.getJobs(['completed'], 0, pageSize - 1, true)).filter(hasId);
      if (jobs.length === 0) break;
      const records: SpoolRecord[] = [];
      const entries: CacheEntry[] = [];
      const cache = this.options.cache;
      for (const job of jobs) {
        // Spooled already: a collector stopped after the fsync, before the job left Redis.
        if (this.spool.has(job.id, 'ok')) continue;
        let scored: ReturnType<typeof scoredRecord>;
        try {
          scored = scoredRecord(job);
        } catch (parseError) {
          records.push(failedRecord(job, { code: 'ERR_RESULT_INVALID', errorClass: 'ResultError', message: `worker returned an invalid result: ${String(parseError)}` }));
          continue;
        }
        records.push(scored.record);
        // A worker that stored its scores in this very cache (one of this process) did the work already.
        if (cache !== undefined && scored.storedIn !== cache.store.id) entries.push(...cacheEntries(job, scored.record, cache.scoreKeys));
      }
      // In the cache before the spool: whatever a spool holds, the cache holds too, so a run whose spool
      // and Redis state are lost scores none of it again. Scores a worker stored are flushed to disk here.
      if (cache !== undefined) await cache.store.put(entries);
      // Durable on disk (fsync'd), then recorded as collected, then removed from Redis, in this order:
      // a job is in Redis or in the run's collected set at every moment (see RunStore.collectedOrQueued).
      added += await this.spool.append(records);
      const stats = { pairs: 0, requests: 0, rateLimited: 0 };
      for (const record of records) {
        if (record.t !== 'ok') continue;
        stats.pairs += record.items.length;
        stats.requests += record.requests;
        stats.rateLimited += record.rateLimited;
      }
      const ids = jobs.map((job) => job.id);
      await this.store.markCollected(this.options.runId, ids, stats);
      const removed = await Promise.all(ids.map((id) => this.queue.remove(id)));
      // A page not removed whole (BullMQ refused a job) is read again on the next poll, not in a hot loop.
      if (jobs.length < pageSize || removed.some((n) => n !== 1)) break;
    }
    added += await this.drainCached(pageSize);
    const failedCount = await this.queue.getFailedCount();
    if (failedCount !== this.lastFailedCount) {
      // Ids first (small), then only the failed jobs not in the spool yet, a page at a time: each holds
      // its payload (it stays in Redis for retry-failed).
      const fresh = (await this.queue.getRanges(['failed'], 0, -1, true)).filter((id) => !this.spool.has(id));
      for (let i = 0; i < fresh.length; i += pageSize) {
        const page = await Promise.all(fresh.slice(i, i + pageSize).map((id) => this.queue.getJob(id)));
        // A job queued again meanwhile (retry-failed) is no longer finished: BullMQ clears its finishedOn.
        const failed = page.filter(hasId).filter((job) => job.finishedOn !== undefined && (job.returnvalue === null || job.returnvalue === undefined));
        added += await this.spool.append(failed.map((job) => failedRecord(job, decodeFailure(job.failedReason))));
      }
      this.lastFailedCount = failedCount;
    }
    return added;
  }

  /**
   * Move the cached batches the producer handed over to the spool, a page at a time: spooled (fsync'd),
   * recorded as collected, then trimmed from the run's list, so that one is always in one or the other.
   */
  private async drainCached(pageSize: number): Promise<number> {
    const { runId } = this.options;
    let added = 0;
    for (;;) {
      const page = await this.store.readCached(runId, pageSize);
      if (page.length === 0) return added;
      const records: ScoredRecord[] = [];
      for (const text of page) {
        const batch = cachedBatchSchema.parse(JSON.parse(text));
        if (this.spool.has(batch.id, 'ok')) continue;
        const items = batch.items.map(([docId, score, originalScore, originalRank, passage]): ScoredRecord['items'][number] => (passage === null ? [docId, score, originalScore, originalRank] : [docId, score, originalScore, originalRank, passage]));
        records.push({ t: 'ok', job: batch.id, q: batch.queryId, query: batch.query, items, requests: 0, rateLimited: 0, attempts: 0, cached: true });
      }
      added += await this.spool.append(records);
      const pairs = records.reduce((sum, record) => sum + record.items.length, 0);
      await this.store.markCollected(runId, records.map((record) => record.job), { pairs, requests: 0, rateLimited: 0 });
      await this.store.dropCached(runId, page.length);
      if (page.length < pageSize) return added;
    }
  }

  /** Progress from the spool, given the run's state (for the total). */
  private async progress(state: RunState | undefined): Promise<CollectProgress> {
    const { scored, failed } = this.spool.counts();
    return { scored, failed: failed === 0 ? 0 : await this.stillFailed(), total: state?.totals?.batches };
  }

  /**
   * Failed batches in the spool that are failed for good: not queued again. One queued again
   * (`retry-failed`) is pending until it finishes again, so it must not count as done, else the
   * collector would stop at once and write the old failures. That includes one completed since the last
   * drain and not spooled yet: read in one call with the other states (BullMQ reads them in one script),
   * a job moving from active to completed meanwhile is seen in one or the other. A batch whose job is
   * gone from Redis (its result was unreadable) stays failed.
   */
  private async stillFailed(): Promise<number> {
    const pending = new Set(await this.queue.getRanges(['waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed'], 0, -1));
    return this.spool.failedJobs().filter((id) => !pending.has(id)).length;
  }

  /**
   * Drain until every batch is scored or failed. Throws RunAbortedError when the run was aborted, and
   * stops early (returning the progress so far) when `signal` aborts.
   */
  async collect(signal?: AbortSignal): Promise<CollectProgress> {
    const interval = this.options.pollIntervalMs ?? 50;
    const { guard, runId } = this.options;
    let total: number | undefined;
    for (;;) {
      let added: number;
      let progress: CollectProgress;
      try {
        // A drain is safe to repeat: the spool keeps one record per job, and jobs leave Redis only after.
        added = await guard.run(() => this.drainOnce(), signal);
        const state = await guard.run(() => this.store.get(runId), signal);
        if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `run ${runId} has no state in Redis (cancelled?)`);
        if (state.status === 'aborted') throw new RunAbortedError(state.abortCode ?? 'ERR_RUN_ABORTED', state.abortReason ?? 'unknown reason');
        total = state.totals?.batches;
        progress = await guard.run(() => this.progress(state), signal);
      } catch (err) {
        // Stopped while Redis is down: what is on disk is what there is.
        if (err instanceof OutageWaitStopped) return { ...this.spool.counts(), total };
        throw err;
      }
      this.logProgress(progress);
      if (progress.total !== undefined && progress.scored + progress.failed >= progress.total) return progress;
      if (signal?.aborted === true) return progress;
      if (added === 0) await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }

  private logProgress(progress: CollectProgress): void {
    const now = Date.now();
    if (now - this.lastProgressLog < (this.options.progressIntervalMs ?? 5_000)) return;
    this.lastProgressLog = now;
    // The CLI shows progress from the run-progress event; this is for debugging the collector itself.
    this.logger.debug({ runId: this.options.runId, ...progress }, 'collecting');
  }
}
