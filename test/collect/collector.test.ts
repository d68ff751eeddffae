import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { encodeFailure } from '../../jobs/failure-reason.js';
import { rerankJobId } from '../../jobs/job-id.js';
import { JOB_CONTRACT_VERSION, resultEcho, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import { Collector } from '../../src/collect/collector.js';
import { Spool, type SpoolRecord } from '../../src/collect/spool.js';
import { produce } from '../../src/enqueue/producer.js';
import { createLogger } from '../../src/logger.js';
import type { PlannedInput, PlannedJob } from '../../src/plan/plan-ahead.js';
import { runConfigSchema } from '../../src/state/run-config.js';
import { RunStore, type CollectedStats } from '../../src/state/run-store.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

import { OutageGuard } from '../../src/redis/connection-loss.js';
import type { RedisConnection } from '../../src/redis/connect.js';

/** A guard that waits through any outage, as a worker does. */
const unbounded = (connection: RedisConnection): OutageGuard => new OutageGuard(connection, { timeoutMs: undefined });

const cleanups = cleanupAfterAll();
const logger = createLogger({ level: 'silent' });

type RerankJob = Job<RerankJobPayload, RerankJobResult, string>;

/** Scores that JSON must carry exactly (shortest round-trip decimal forms, extremes). */
const AWKWARD = [0.30000000000000004, 1e-300, -2.5e-8, 123456.789, 5e-324, 0.1, -7];

/** What the fake API scores document `i` of a batch: deterministic, so the test knows what to expect. */
function scoreOf(i: number, queryId: string): number {
  return (AWKWARD[i % AWKWARD.length] as number) + queryId.length * 1e-3;
}

function payload(runId: string, i: number, docs = 3): RerankJobPayload {
  return {
    v: JOB_CONTRACT_VERSION,
    runId,
    queryId: `q${i}`,
    query: `query ${i}`,
    docs: Array.from({ length: docs }, (_, d) => ({ id: `d${i}-${d}`, text: `text ${i} ${d} ${'x'.repeat(200)}`, score: 10 - d / 3, rank: d + 1 })),
  };
}

function planned(jobs: RerankJobPayload[]): PlannedInput {
  const list: PlannedJob[] = jobs.map((data) => ({ id: rerankJobId(data), data }));
  const pairs = list.reduce((n, job) => n + job.data.docs.length, 0);
  const characters = list.reduce((n, job) => n + job.data.query.length + job.data.docs.reduce((c, doc) => c + doc.text.length, 0), 0);
  return {
    // What the planner would count for these batches: one request each, every document sent, billed per request.
    totals: {
      queries: list.length, pairs, batches: list.length,
      requests: list.length, texts: pairs, units: list.length, tokens: Math.ceil(characters / 4), characters,
      deduplicated: 0, split: 0, passages: 0, passagesCut: 0, textsCut: 0, cacheHits: 0, cacheMisses: 0, requestsSaved: 0,
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<PlannedJob> {
      yield* list;
    },
  };
}

interface Setup {
  runId: string;
  prefix: string;
  connection: Redis;
  queue: Queue<RerankJobPayload, RerankJobResult, string>;
  store: RunStore;
  spoolPath: string;
  /** Calls of the processor, by job id (every attempt). */
  calls: Map<string, number>;
  /** Query ids the fake API refuses for good (422); delete one to "fix the API". */
  refused: Set<string>;
  startWorker: () => Worker<RerankJobPayload, RerankJobResult, string>;
}

/** A run's queue and store under a prefix of its own, a spool file in a temp dir, a real BullMQ worker on demand. */
async function setup(name: string): Promise<Setup> {
  const prefix = uniquePrefix(name);
  const runId = `r-${name}`;
  const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const dir = await mkdtemp(join(tmpdir(), `rb-${name}-`));
  cleanups.push(async () => {
    await deletePrefix(redisUrl(), prefix);
    connection.disconnect();
    await rm(dir, { recursive: true, force: true });
  });
  const queue = new Queue<RerankJobPayload, RerankJobResult, string>(`run-${runId}`, { connection, prefix });
  cleanups.push(() => queue.close());
  const calls = new Map<string, number>();
  const refused = new Set(['q-bad']);
  const startWorker = (): Worker<RerankJobPayload, RerankJobResult, string> => {
    const workerConnection = connection.duplicate();
    const worker = new Worker<RerankJobPayload, RerankJobResult, string>(
      `run-${runId}`,
      async (job: RerankJob) => {
        const id = job.id ?? '';
        calls.set(id, (calls.get(id) ?? 0) + 1);
        const data = job.data;
        if (data.queryId === 'q-flaky' && job.attemptsMade === 0) throw new Error(encodeFailure('ERR_API_UNAVAILABLE', 'RetryableApiError', 'try again'));
        if (refused.has(data.queryId)) throw new UnrecoverableError(encodeFailure('ERR_API_UNPROCESSABLE', 'PermanentApiError', 'the API refused this batch'));
        return { ...resultEcho(data), scores: data.docs.map((_, i) => scoreOf(i, data.queryId)), requests: 1 + (data.queryId === 'q-flaky' ? 2 : 0), rateLimited: data.queryId === 'q-flaky' ? 1 : 0 };
      },
      { connection: workerConnection, prefix, concurrency: 4 },
    );
    cleanups.push(async () => {
      await worker.close();
      workerConnection.disconnect();
    });
    return worker;
  };
  return { runId, prefix, connection, queue, store: new RunStore(connection, prefix), spoolPath: join(dir, `${runId}.spool`), calls, refused, startWorker };
}

async function spoolLines(path: string): Promise<SpoolRecord[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text === '' ? [] : text.trimEnd().split('\n').map((line) => JSON.parse(line) as SpoolRecord);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Collector (real Redis, real BullMQ worker)', () => {
  it('collects every finished job exactly once through the public API: scores and attempts round-trip, failed jobs stay for retry-failed', async () => {
    const s = await setup('collector');
    const batches = Array.from({ length: 40 }, (_, i) => payload(s.runId, i));
    const flaky: RerankJobPayload = { ...payload(s.runId, 100), queryId: 'q-flaky' };
    const bad: RerankJobPayload = { ...payload(s.runId, 101), queryId: 'q-bad' };
    await produce(planned(batches), s.queue, s.store, { runId: s.runId, guard: unbounded(s.connection) });
    // The flaky batch fails its first attempt; BullMQ retries it (no backoff here, to keep the test short).
    for (const data of [flaky, bad]) await s.queue.add('rerank', data, { jobId: rerankJobId(data), attempts: 3, backoff: { type: 'fixed', delay: 10 }, removeOnComplete: false, removeOnFail: false });
    const spool = await Spool.open(s.spoolPath);
    cleanups.push(async () => spool.close());
    // Small pages, drained while the worker runs: pages, a job finishing mid-drain, a job collected twice.
    const collector = new Collector(s.queue, s.store, spool, { runId: s.runId, pageSize: 7, guard: unbounded(s.connection) }, logger);
    s.startWorker();
    const all = batches.length + 2;
    await until('every batch spooled', async () => {
      await collector.drainOnce();
      const { scored, failed } = spool.counts();
      return scored + failed === all;
    });
    expect(await collector.drainOnce()).toBe(0);

    const records = await spoolLines(s.spoolPath);
    // One line a batch: nothing spooled twice.
    expect(records.length).toBe(all);
    expect(new Set(records.map((r) => r.job)).size).toBe(all);
    for (const data of batches) {
      const record = records.find((r) => r.job === rerankJobId(data));
      expect(record).toEqual({
        t: 'ok',
        job: rerankJobId(data),
        q: data.queryId,
        query: data.query,
        items: data.docs.map((doc, i) => [doc.id, scoreOf(i, data.queryId), doc.score, doc.rank]),
        requests: 1,
        rateLimited: 0,
        attempts: 1,
      });
    }
    // Attempts are BullMQ's attempts started: 2 for the batch that failed once.
    const flakyRecord = records.find((r) => r.job === rerankJobId(flaky));
    expect(flakyRecord).toMatchObject({ t: 'ok', q: 'q-flaky', requests: 3, rateLimited: 1, attempts: 2 });
    expect(s.calls.get(rerankJobId(flaky))).toBe(2);
    expect(records.find((r) => r.job === rerankJobId(bad))).toEqual({
      t: 'fail',
      job: rerankJobId(bad),
      q: 'q-bad',
      query: bad.query,
      docs: bad.docs.map((doc) => [doc.id, doc.score, doc.rank]),
      code: 'ERR_API_UNPROCESSABLE',
      errorClass: 'PermanentApiError',
      message: 'the API refused this batch',
      attempts: 1,
    });
    // Scored jobs left Redis and are recorded as collected; the failed one stays for retry-failed.
    expect(await s.queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toMatchObject({ completed: 0, failed: 1, waiting: 0, active: 0, delayed: 0 });
    expect(await s.queue.getJobState(rerankJobId(bad))).toBe('failed');
    expect(await s.store.collectedCount(s.runId)).toBe(batches.length + 1);
    const stats = await s.store.collectedStats(s.runId);
    expect({ pairs: stats.pairs, requests: stats.requests, rateLimited: stats.rateLimited }).toEqual({ pairs: (batches.length + 1) * 3, requests: batches.length + 3, rateLimited: 1 });
    // Every batch was scored once (the flaky one twice: its failed attempt and its retry).
    expect([...s.calls.values()].reduce((a, b) => a + b, 0)).toBe(all + 1);
  });

  it('a collector stopped after the fsync, before its jobs left Redis, does not spool them twice when restarted', async () => {
    const s = await setup('collector-restart');
    const batches = Array.from({ length: 5 }, (_, i) => payload(s.runId, i));
    await produce(planned(batches), s.queue, s.store, { runId: s.runId, guard: unbounded(s.connection) });
    s.startWorker();
    await until('every job completed', async () => (await s.queue.getCompletedCount()) === batches.length);

    // The first collector dies between its fsync and recording the jobs collected.
    class DyingStore extends RunStore {
      override async markCollected(_runId: string, _jobIds: string[], _stats: CollectedStats): Promise<void> {
        throw new Error('killed');
      }
    }
    const first = await Spool.open(s.spoolPath);
    await expect(new Collector(s.queue, new DyingStore(s.connection, s.prefix), first, { runId: s.runId, guard: unbounded(s.connection) }, logger).drainOnce()).rejects.toThrow('killed');
    first.close();
    expect((await spoolLines(s.spoolPath)).length).toBe(batches.length);
    expect(await s.queue.getCompletedCount()).toBe(batches.length);

    // Restarted: the spool is read back, the jobs are recorded and removed, nothing is written twice.
    const second = await Spool.open(s.spoolPath);
    cleanups.push(async () => second.close());
    expect(await new Collector(s.queue, s.store, second, { runId: s.runId, guard: unbounded(s.connection) }, logger).drainOnce()).toBe(0);
    expect((await spoolLines(s.spoolPath)).length).toBe(batches.length);
    expect(await s.queue.getCompletedCount()).toBe(0);
    expect(await s.store.collectedCount(s.runId)).toBe(batches.length);
  });

  it('spools a job whose result is invalid as a failure, with its batch from the job\'s payload', async () => {
    const s = await setup('collector-invalid');
    const good = payload(s.runId, 1);
    const broken = payload(s.runId, 2);
    await produce(planned([good, broken]), s.queue, s.store, { runId: s.runId, guard: unbounded(s.connection) });
    const workerConnection = s.connection.duplicate();
    const worker = new Worker<RerankJobPayload, RerankJobResult, string>(
      `run-${s.runId}`,
      // One score short for the broken batch: the collector must not take it.
      async (job: RerankJob) => ({ ...resultEcho(job.data), scores: job.data.docs.slice(job.data.queryId === broken.queryId ? 1 : 0).map((_, i) => i / 10), requests: 1, rateLimited: 0 }),
      { connection: workerConnection, prefix: s.prefix },
    );
    cleanups.push(async () => {
      await worker.close();
      workerConnection.disconnect();
    });
    await until('both jobs completed', async () => (await s.queue.getCompletedCount()) === 2);
    const spool = await Spool.open(s.spoolPath);
    cleanups.push(async () => spool.close());
    expect(await new Collector(s.queue, s.store, spool, { runId: s.runId, guard: unbounded(s.connection) }, logger).drainOnce()).toBe(2);
    const records = await spoolLines(s.spoolPath);
    expect(records.find((r) => r.job === rerankJobId(good))).toMatchObject({ t: 'ok', q: good.queryId, items: good.docs.map((doc, i) => [doc.id, i / 10, doc.score, doc.rank]) });
    expect(records.find((r) => r.job === rerankJobId(broken))).toMatchObject({ t: 'fail', q: broken.queryId, code: 'ERR_RESULT_INVALID', errorClass: 'ResultError', docs: broken.docs.map((doc) => [doc.id, doc.score, doc.rank]) });
  });

  it('does not count as failed for good a failed batch queued again (retry-failed) that completed since the last drain', async () => {
    const s = await setup('collector-retried');
    await s.store.register(
      runConfigSchema.parse({ runId: s.runId, apiUrl: 'http://127.0.0.1:9/rerank', builtinServer: false, model: 'm', template: 'none', instruction: '', timeoutMs: 1000, retries: 0, minRetryDelayMs: 0, maxRetryDelayMs: 0 }),
    );
    const bad: RerankJobPayload = { ...payload(s.runId, 7), queryId: 'q-bad' };
    await produce(planned([bad]), s.queue, s.store, { runId: s.runId, guard: unbounded(s.connection) });
    s.startWorker();
    await until('the batch failed', async () => (await s.queue.getFailedCount()) === 1);
    const spool = await Spool.open(s.spoolPath);
    cleanups.push(async () => spool.close());
    await new Collector(s.queue, s.store, spool, { runId: s.runId, guard: unbounded(s.connection) }, logger).drainOnce();
    expect(spool.counts()).toEqual({ scored: 0, failed: 1 });

    // The API is fixed and retry-failed queues the batch again: this time it is scored.
    s.refused.delete('q-bad');
    await s.queue.retryJobs({ state: 'failed' });
    await until('the batch completed', async () => (await s.queue.getJobState(rerankJobId(bad))) === 'completed');
    // The collector's drain ran just before the job completed: it is completed in Redis, not spooled yet.
    class DrainedJustBefore extends Collector {
      override async drainOnce(): Promise<number> {
        return 0;
      }
    }
    const progress = await new DrainedJustBefore(s.queue, s.store, spool, { runId: s.runId, guard: unbounded(s.connection) }, logger).collect(AbortSignal.abort());
    expect(progress.failed).toBe(0);
    expect(progress.total).toBe(1);
  });
});
