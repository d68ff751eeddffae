import type { Job } from 'bullmq';
import { parseRerankJobResult, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import { decodeFailure } from '../../jobs/failure-reason.js';
import type { RerankQueue } from '../../jobs/rerank-queue.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connect.js';
import { untilConnected } from '../redis/connection-loss.js';
import type { RunState, RunStore } from '../state/run-store.js';
import type { FailedRecord, ScoredRecord, Spool, SpoolRecord } from './spool.js';

export interface CollectorOptions {
  runId: string;
  /** Pause between drains when nothing new finished, ms. Default 50: the last batch of a run is seen soon after it finishes, for 2 Redis round trips a poll. */
  pollIntervalMs?: number;
  /** Finished jobs fetched per Redis round trip. Default 500. */
  pageSize?: number;
  /** Log progress at most this often, ms. Default 5000. */
  progressIntervalMs?: number;
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

/** The run stopped for a reason that concerns every batch (e.g. the API refused the key). Exit code 1. */
export class RunAbortedError extends RerankBatchError {
  constructor(code: string, reason: string) {
    super('ERR_RUN_ABORTED', `run aborted: ${reason} (${code})`);
  }
}

type RerankJob = Job<RerankJobPayload, RerankJobResult, string>;

/** A spool record from a finished job's result (the worker echoes the batch, texts left out). */
function scoredRecord(jobId: string, returnvalue: string, attemptsStarted: number): ScoredRecord {
  const result = parseRerankJobResult(JSON.parse(returnvalue));
  const items = result.docs.map(([docId, originalScore, originalRank], i): ScoredRecord['items'][number] => [
    docId,
    result.unscored ? null : (result.scores[i] as number),
    originalScore,
    originalRank,
  ]);
  return { t: 'ok', job: jobId, q: result.queryId, query: result.query, items, requests: result.requests, rateLimited: result.rateLimited, attempts: Math.max(1, attemptsStarted) };
}

function failedRecord(job: RerankJob, reason: { code: string; errorClass: string; message: string }): FailedRecord {
  const data = job.data;
  return {
    t: 'fail',
    job: job.id as string,
    q: data.queryId,
    query: data.query,
    docs: data.docs.map((doc) => [doc.id, doc.score ?? null, doc.rank ?? null]),
    code: reason.code,
    errorClass: reason.errorClass,
    message: reason.message,
    attempts: job.attemptsMade,
  };
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
    /** The connection the queue uses (same Redis; a cluster pipeline works since keys share a slot). */
    private readonly redis: RedisConnection,
    private readonly store: RunStore,
    private readonly spool: Spool,
    private readonly options: CollectorOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Move what finished since the last call to the spool. Returns how many batches were new. Reads only
   * each job's result (one pipelined HMGET per page), never its payload.
   */
  async drainOnce(): Promise<number> {
    const pageSize = this.options.pageSize ?? 500;
    let added = 0;
    for (;;) {
      const ids = await this.queue.getRanges(['completed'], 0, pageSize - 1, true);
      if (ids.length === 0) break;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hmget(this.queue.toKey(id), 'returnvalue', 'ats');
      const replies = (await pipeline.exec()) ?? [];
      const records: SpoolRecord[] = [];
      for (const [i, id] of ids.entries()) {
        if (this.spool.has(id, 'ok')) continue;
        const [err, fields] = replies[i] ?? [];
        if (err !== null && err !== undefined) throw err;
        const [returnvalue, ats] = (fields ?? []) as (string | null)[];
        if (returnvalue === null || returnvalue === undefined) continue;
        try {
          records.push(scoredRecord(id, returnvalue, Number(ats ?? 1)));
        } catch (parseError) {
          const job = (await this.queue.getJob(id)) as RerankJob | undefined;
          if (job !== undefined) records.push(failedRecord(job, { code: 'ERR_RESULT_INVALID', errorClass: 'ResultError', message: `worker returned an invalid result: ${String(parseError)}` }));
        }
      }
      added += await this.spool.append(records);
      const stats = { pairs: 0, requests: 0, rateLimited: 0 };
      for (const record of records) {
        if (record.t !== 'ok') continue;
        stats.pairs += record.items.length;
        stats.requests += record.requests;
        stats.rateLimited += record.rateLimited;
      }
      await this.store.markCollected(this.options.runId, ids, stats);
      await Promise.all(ids.map((id) => this.queue.remove(id)));
      if (ids.length < pageSize) break;
    }
    const failedCount = await this.queue.getFailedCount();
    if (failedCount !== this.lastFailedCount) {
      const failed = (await this.queue.getJobs(['failed'], 0, -1, true)) as RerankJob[];
      const fresh = failed.filter((job) => job?.id !== undefined && !this.spool.has(job.id));
      added += await this.spool.append(fresh.map((job) => failedRecord(job, decodeFailure(job.failedReason))));
      this.lastFailedCount = failedCount;
    }
    return added;
  }

  /** Progress from the spool, given the run's state (for the total). */
  private async progress(state: RunState | undefined): Promise<CollectProgress> {
    const { scored, failed } = this.spool.counts();
    return { scored, failed: failed === 0 ? 0 : await this.stillFailed(), total: state?.totals?.batches };
  }

  /**
   * Failed batches in the spool that are failed for good: not queued again. One queued again
   * (`retry-failed`) is pending until it finishes again, so it must not count as done, else the
   * collector would stop at once and write the old failures. A batch whose job is gone from Redis (its
   * result was unreadable) stays failed.
   */
  private async stillFailed(): Promise<number> {
    const pending = new Set(await this.queue.getRanges(['waiting', 'active', 'delayed', 'prioritized', 'paused'], 0, -1));
    return this.spool.failedJobs().filter((id) => !pending.has(id)).length;
  }

  /**
   * Drain until every batch is scored or failed. Throws RunAbortedError when the run was aborted, and
   * stops early (returning the progress so far) when `signal` aborts.
   */
  async collect(signal?: AbortSignal): Promise<CollectProgress> {
    const interval = this.options.pollIntervalMs ?? 50;
    const onRetry = (err: Error, attempt: number): void => {
      if (attempt === 1 || attempt % 10 === 0) this.logger.warn({ runId: this.options.runId, err: err.message, attempt }, 'Redis connection lost while collecting; trying again');
    };
    for (;;) {
      // A drain is safe to repeat: the spool keeps one record per job, and jobs leave Redis only after.
      const added = await untilConnected(() => this.drainOnce(), onRetry);
      const state = await untilConnected(() => this.store.get(this.options.runId), onRetry);
      if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `run ${this.options.runId} has no state in Redis (cancelled?)`);
      if (state.status === 'aborted') throw new RunAbortedError(state.abortCode ?? 'ERR_RUN_ABORTED', state.abortReason ?? 'unknown reason');
      const progress = await this.progress(state);
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
    this.logger.info({ runId: this.options.runId, ...progress }, 'collecting');
  }
}
