import type { Job } from 'bullmq';
import { parseRerankJobResult, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import { decodeFailure } from '../../workers/failure-reason.js';
import type { RerankQueue } from '../enqueue/producer.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import type { Logger } from '../logger.js';
import type { RunStore } from '../run/run-store.js';
import type { FailedRecord, ScoredRecord, Spool, SpoolRecord } from './spool.js';

export interface CollectorOptions {
  runId: string;
  /** Pause between drains when nothing new finished, ms. Default 200. */
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

function scoredRecord(job: RerankJob): SpoolRecord {
  const data = job.data;
  try {
    const result = parseRerankJobResult(job.returnvalue, data);
    const items = data.docs.map((doc, i): ScoredRecord['items'][number] => [doc.id, data.unscored === true ? null : (result.scores[i] as number), doc.score ?? null, doc.rank ?? null]);
    return { t: 'ok', job: job.id as string, q: data.queryId, query: data.query, items, requests: result.requests, rateLimited: result.rateLimited, attempts: Math.max(1, job.attemptsStarted) };
  } catch (err) {
    return failedRecord(job, { code: 'ERR_RESULT_INVALID', errorClass: 'ResultError', message: `worker returned an invalid result: ${String(err)}` });
  }
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
    private readonly store: RunStore,
    private readonly spool: Spool,
    private readonly options: CollectorOptions,
    private readonly logger: Logger,
  ) {}

  /** Move what finished since the last call to the spool. Returns how many batches were new. */
  async drainOnce(): Promise<number> {
    const pageSize = this.options.pageSize ?? 500;
    let added = 0;
    for (;;) {
      const jobs = (await this.queue.getJobs(['completed'], 0, pageSize - 1, true)) as RerankJob[];
      const present = jobs.filter((job): job is RerankJob => job !== undefined && job.id !== undefined);
      if (present.length === 0) break;
      const records = present.filter((job) => !this.spool.has(job.id as string, 'ok')).map(scoredRecord);
      added += this.spool.append(records);
      const stats = { pairs: 0, requests: 0, rateLimited: 0 };
      for (const record of records) {
        if (record.t !== 'ok') continue;
        stats.pairs += record.items.length;
        stats.requests += record.requests;
        stats.rateLimited += record.rateLimited;
      }
      await this.store.markCollected(this.options.runId, present.map((job) => job.id as string), stats);
      await Promise.all(present.map((job) => job.remove()));
      if (present.length < pageSize) break;
    }
    const failedCount = await this.queue.getFailedCount();
    if (failedCount !== this.lastFailedCount) {
      const failed = (await this.queue.getJobs(['failed'], 0, -1, true)) as RerankJob[];
      const fresh = failed.filter((job) => job?.id !== undefined && !this.spool.has(job.id));
      added += this.spool.append(fresh.map((job) => failedRecord(job, decodeFailure(job.failedReason))));
      this.lastFailedCount = failedCount;
    }
    return added;
  }

  async progress(): Promise<CollectProgress> {
    const state = await this.store.get(this.options.runId);
    const { scored, failed } = this.spool.counts();
    return { scored, failed: failed === 0 ? 0 : await this.stillFailed(), total: state?.totals?.batches };
  }

  /**
   * Failed batches in the spool that are still failed in Redis. One queued again (`retry-failed`) is
   * pending until it finishes again, so it must not count as done: else the collector would stop at
   * once and write the old failures.
   */
  private async stillFailed(): Promise<number> {
    let count = 0;
    for (const id of new Set(await this.queue.getRanges(['failed'], 0, -1))) if (this.spool.has(id, 'fail')) count += 1;
    return count;
  }

  /**
   * Drain until every batch is scored or failed. Throws RunAbortedError when the run was aborted, and
   * stops early (returning the progress so far) when `signal` aborts.
   */
  async collect(signal?: AbortSignal): Promise<CollectProgress> {
    const interval = this.options.pollIntervalMs ?? 200;
    for (;;) {
      const added = await this.drainOnce();
      const state = await this.store.get(this.options.runId);
      if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `run ${this.options.runId} has no state in Redis (cancelled?)`);
      if (state.status === 'aborted') throw new RunAbortedError(state.abortCode ?? 'ERR_RUN_ABORTED', state.abortReason ?? 'unknown reason');
      const progress = await this.progress();
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
