import { Cluster } from 'ioredis';
import type { ProducerTotals } from '../interfaces.js';
import type { RedisConnection } from '../redis/connect.js';
export type { ProducerTotals };
import { runConfigSchema, type RunConfig } from './run-config.js';
import { inputReadSchema, producerTotalsSchema, runStatusSchema, submissionSchema, type InputRead, type StoredSubmission, type Submission, type RUN_STATUSES } from './submission.js';

export type { StoredSubmission, Submission };

export type RunStatus = (typeof RUN_STATUSES)[number];

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
  /** Until then, how far it has read the input (a pairs file; none for a run file). */
  reading?: InputRead | undefined;
  /** Why the run was aborted (e.g. the API refused the key), when it was. */
  abortReason: string | undefined;
  abortCode: string | undefined;
  submission: StoredSubmission | undefined;
}

/** What collectedOrQueued asks of the run's queue: a job's state, 'unknown' when the queue holds no such job (a BullMQ Queue). */
export interface JobStateReader {
  getJobState(jobId: string): Promise<string>;
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

  private cachedKey(runId: string): string {
    return `${this.prefix}:rb:run:${runId}:cached`;
  }

  private tokensKey(runId: string, minute: number): string {
    return `${this.prefix}:rb:run:${runId}:tpm:${minute}`;
  }

  /**
   * Take `tokens` from the run's budget of this minute, shared by every worker of the run on any machine
   * (a fixed window per minute). Returns 0 when granted, else the ms until the next minute (nothing is
   * taken). A request larger than the whole budget is granted in an unused minute, or it would wait forever.
   */
  async takeTokens(runId: string, tokens: number, perMinute: number, now: number = Date.now()): Promise<number> {
    const minute = Math.floor(now / 60_000);
    const key = this.tokensKey(runId, minute);
    const replies = await this.redis.multi().incrby(key, tokens).pexpire(key, 120_000).exec();
    const used = replies?.[0]?.[1];
    if (typeof used !== 'number') throw new Error(`INCRBY ${key} answered ${String(used)}`);
    if (used <= perMinute || used === tokens) return 0;
    await this.redis.decrby(key, tokens);
    return (minute + 1) * 60_000 - now;
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
    const previousText = await this.redis.hget(key, 'status');
    const previous = previousText === null ? undefined : runStatusSchema.parse(previousText);
    await this.redis.hset(key, 'config', JSON.stringify(config), 'status', 'running');
    await this.redis.hdel(key, 'abortCode', 'abortReason');
    await this.redis.persist(key);
    await this.redis.persist(this.doneKey(config.runId));
    await this.redis.sadd(this.registryKey, config.runId);
    return previous;
  }

  async get(runId: string): Promise<RunState | undefined> {
    const fields = await this.redis.hgetall(this.runKey(runId));
    if (fields.config === undefined) return undefined;
    return {
      config: runConfigSchema.parse(JSON.parse(fields.config)),
      status: fields.status === undefined ? 'running' : runStatusSchema.parse(fields.status),
      totals: fields.totals === undefined ? undefined : producerTotalsSchema.parse(JSON.parse(fields.totals)),
      reading: fields.reading === undefined ? undefined : inputReadSchema.parse(JSON.parse(fields.reading)),
      abortReason: fields.abortReason,
      abortCode: fields.abortCode,
      submission: fields.submission === undefined ? undefined : submissionSchema.parse(JSON.parse(fields.submission)),
    };
  }

  /** How far the producer has read the input (for `status` and progress estimates until the totals are set). */
  async setReading(runId: string, reading: InputRead): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'reading', JSON.stringify(inputReadSchema.parse(reading)));
  }

  async setTotals(runId: string, totals: ProducerTotals): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'totals', JSON.stringify(totals));
  }

  async setSubmission(runId: string, submission: Submission): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'submission', JSON.stringify(submissionSchema.parse(submission)));
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

  /**
   * Every run whose state is still in Redis: the active ones, aborted ones, and finished ones until their
   * state expires (FINISHED_RUN_TTL_SECONDS). A SCAN of the keyspace (of each master of a cluster), so for
   * an occasional listing such as the dashboard's, never a hot path.
   */
  async listedRuns(): Promise<string[]> {
    const base = this.runKey('');
    const pattern = `${base.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const ids = new Set<string>();
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        // The run's other keys (`<id>:done`, `<id>:tpm:<minute>`...) share the pattern; run ids hold no ':'.
        for (const id of keys.map((key) => key.slice(base.length))) if (id !== '' && !id.includes(':')) ids.add(id);
      } while (cursor !== '0');
    }
    return [...ids];
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
   * For each job, whether it was collected or is still held by the run's queue. Never false for a job
   * the collector may be moving: it spools a job, adds its id to the collected set, and only then removes
   * it from the queue (BullMQ never removes a finished one itself: removeOnComplete/removeOnFail false),
   * so from the moment a job is added it is in the queue or in the set (or both), and ids leave the set
   * only with the run. The queue is asked first (BullMQ's public `getJobState`; each answer atomic)
   * and the set second, once those answers are in: a job not in the queue at the first read and not in
   * the set at the second was never added before the first read (had it been, it would have been in the
   * set then, and still be), so it cannot have been collected in between, and adding it scores it once.
   * The other order would race: a set read, then the job collected and removed, then a queue read would
   * find it nowhere, and adding it again would score it twice.
   */
  async collectedOrQueued(runId: string, jobIds: string[], queue: JobStateReader): Promise<boolean[]> {
    if (jobIds.length === 0) return [];
    const states = await Promise.all(jobIds.map((id) => queue.getJobState(id)));
    const absent = jobIds.filter((_, i) => states[i] === 'unknown');
    const collected = absent.length === 0 ? [] : await this.redis.smismember(this.doneKey(runId), ...absent);
    const collectedIds = new Set(absent.filter((_, i) => collected[i] === 1));
    return jobIds.map((id, i) => states[i] !== 'unknown' || collectedIds.has(id));
  }

  /**
   * Hand cached batches (JSON, see jobs/cached-batch.ts) to the collector: appended to the run's list,
   * which the collector reads from the head and trims once what it read is on its disk. Those collected
   * already (a resumed producer) are left out.
   */
  async pushCached(runId: string, batches: { id: string; json: string }[]): Promise<number> {
    if (batches.length === 0) return 0;
    const collected = await this.redis.smismember(this.doneKey(runId), ...batches.map((batch) => batch.id));
    const fresh = batches.filter((_, i) => collected[i] !== 1).map((batch) => batch.json);
    if (fresh.length > 0) await this.redis.rpush(this.cachedKey(runId), ...fresh);
    return fresh.length;
  }

  /** The first `count` cached batches not yet collected (JSON text, to be parsed with the contract's schema). */
  async readCached(runId: string, count: number): Promise<string[]> {
    return this.redis.lrange(this.cachedKey(runId), 0, count - 1);
  }

  /** Drop the first `count` cached batches: they are on the collector's disk. */
  async dropCached(runId: string, count: number): Promise<void> {
    await this.redis.ltrim(this.cachedKey(runId), count, -1);
  }

  /** Cached batches waiting for the collector. */
  async cachedWaiting(runId: string): Promise<number> {
    return this.redis.llen(this.cachedKey(runId));
  }

  async collectedCount(runId: string): Promise<number> {
    return this.redis.scard(this.doneKey(runId));
  }

  /** Remove every key of the run that this store owns. */
  async delete(runId: string): Promise<void> {
    await this.redis.del(this.runKey(runId), this.doneKey(runId), this.cachedKey(runId));
    await this.redis.srem(this.registryKey, runId);
  }
}
