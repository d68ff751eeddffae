import type { ProducerTotals } from '../interfaces.js';
import type { RedisConnection } from '../redis/connect.js';
export type { ProducerTotals };
import { runConfigSchema, type RunConfig } from './run-config.js';


/**
 * What `submit` (or `run`) recorded about a run, so that `collect`, `status` and `retry-failed` on any
 * machine can write the same outputs and manifest. Options hold no secret.
 */
export interface Submission {
  /** The normalized run options (see run-options.ts). */
  options: Record<string, unknown>;
  /** Checksums of the input files. */
  inputs: Record<string, { path: string; sha256: string; bytes: number }>;
  /** The last producer pass: rows read, skipped, truncated, deduplicated, jobs added. */
  producer: Record<string, number>;
  submittedAt: string;
}

export type RunStatus = 'running' | 'completed' | 'aborted';

/** What a set of collected batches cost. */
export interface CollectedStats {
  pairs: number;
  requests: number;
  rateLimited: number;
}

export interface RunState {
  config: RunConfig;
  status: RunStatus;
  /** Set once the producer has enqueued every batch. */
  totals: ProducerTotals | undefined;
  /** Why the run was aborted (e.g. the API refused the key), when it was. */
  abortReason: string | undefined;
  abortCode: string | undefined;
  submission: Submission | undefined;
}

/** How long a finished run's state stays in Redis, so that running the same command again redoes nothing. */
export const FINISHED_RUN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The small amount of per-run state rerank-batch keeps in Redis beside BullMQ's queue: the run's
 * config, its totals and status, and the ids of the batches already collected (so a resubmission skips
 * them once their jobs are gone). Results themselves never stay: the collector removes each finished
 * job once it is on the collector's disk.
 */
export class RunStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  private runKey(runId: string): string {
    return `${this.prefix}:rb:run:${runId}`;
  }

  private doneKey(runId: string): string {
    return `${this.prefix}:rb:run:${runId}:done`;
  }

  private get registryKey(): string {
    return `${this.prefix}:rb:runs`;
  }

  /**
   * Record the run and list it as active. An existing run keeps its totals (resume); an aborted or
   * completed one becomes running again. Returns the status it had before, if it existed.
   */
  async register(config: RunConfig): Promise<RunStatus | undefined> {
    const key = this.runKey(config.runId);
    const previous = (await this.redis.hget(key, 'status')) as RunStatus | null;
    await this.redis.hset(key, 'config', JSON.stringify(config), 'status', 'running');
    await this.redis.hdel(key, 'abortCode', 'abortReason');
    await this.redis.persist(key);
    await this.redis.persist(this.doneKey(config.runId));
    await this.redis.sadd(this.registryKey, config.runId);
    return previous ?? undefined;
  }

  async get(runId: string): Promise<RunState | undefined> {
    const fields = await this.redis.hgetall(this.runKey(runId));
    if (fields.config === undefined) return undefined;
    return {
      config: runConfigSchema.parse(JSON.parse(fields.config)),
      status: (fields.status as RunStatus | undefined) ?? 'running',
      totals: fields.totals === undefined ? undefined : (JSON.parse(fields.totals) as ProducerTotals),
      abortReason: fields.abortReason,
      abortCode: fields.abortCode,
      submission: fields.submission === undefined ? undefined : (JSON.parse(fields.submission) as Submission),
    };
  }

  async setTotals(runId: string, totals: ProducerTotals): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'totals', JSON.stringify(totals));
  }

  async setSubmission(runId: string, submission: Submission): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'submission', JSON.stringify(submission));
  }

  /** Stop the run for good (e.g. 401/403): workers stop taking its jobs, the collector reports the reason. */
  async abort(runId: string, code: string, reason: string): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'status', 'aborted', 'abortCode', code, 'abortReason', reason);
    await this.redis.srem(this.registryKey, runId);
  }

  /** Mark a run complete: no worker serves it any more; its state expires after FINISHED_RUN_TTL_SECONDS. */
  async complete(runId: string): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'status', 'completed');
    await this.redis.srem(this.registryKey, runId);
    await this.redis.expire(this.runKey(runId), FINISHED_RUN_TTL_SECONDS);
    await this.redis.expire(this.doneKey(runId), FINISHED_RUN_TTL_SECONDS);
  }

  /** Runs that workers should serve. */
  async activeRuns(): Promise<string[]> {
    return this.redis.smembers(this.registryKey);
  }

  /** Record batches as collected (on the collector's disk), with what they cost, for `status`. */
  async markCollected(runId: string, jobIds: string[], stats: CollectedStats): Promise<void> {
    if (jobIds.length === 0) return;
    const key = this.runKey(runId);
    await this.redis
      .multi()
      .sadd(this.doneKey(runId), ...jobIds)
      .hincrby(key, 'collectedPairs', stats.pairs)
      .hincrby(key, 'apiRequests', stats.requests)
      .hincrby(key, 'rateLimited', stats.rateLimited)
      .hsetnx(key, 'firstCollectedAt', String(Date.now()))
      .exec();
  }

  /** Counters `markCollected` keeps. */
  async collectedStats(runId: string): Promise<CollectedStats & { batches: number; firstCollectedAt: number | undefined }> {
    const [pairs, requests, rateLimited, first] = await this.redis.hmget(this.runKey(runId), 'collectedPairs', 'apiRequests', 'rateLimited', 'firstCollectedAt');
    return {
      batches: await this.collectedCount(runId),
      pairs: Number(pairs ?? 0),
      requests: Number(requests ?? 0),
      rateLimited: Number(rateLimited ?? 0),
      firstCollectedAt: first === null || first === undefined ? undefined : Number(first),
    };
  }

  /**
   * For each job, whether it was collected or its key (`jobKeys[i]`) is still in Redis, read in one
   * MULTI: a job absent from both cannot become collected before it is added again (nothing can score a
   * job that does not exist), whereas two separate reads would let the collector collect and remove it
   * in between, and adding it then would score it twice. The keys share the run's hash tag (one slot).
   */
  async collectedOrQueued(runId: string, jobIds: string[], jobKeys: string[]): Promise<boolean[]> {
    if (jobIds.length === 0) return [];
    const tx = this.redis.multi().smismember(this.doneKey(runId), ...jobIds);
    for (const key of jobKeys) tx.exists(key);
    const replies = (await tx.exec()) ?? [];
    const failed = replies.find(([err]) => err !== null);
    if (failed !== undefined) throw failed[0] as Error;
    const collected = replies[0]?.[1] as number[];
    return jobIds.map((_, i) => collected[i] === 1 || replies[i + 1]?.[1] === 1);
  }

  async collectedCount(runId: string): Promise<number> {
    return this.redis.scard(this.doneKey(runId));
  }

  /** Remove every key of the run that this store owns. */
  async delete(runId: string): Promise<void> {
    await this.redis.del(this.runKey(runId), this.doneKey(runId));
    await this.redis.srem(this.registryKey, runId);
  }
}
