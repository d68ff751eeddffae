import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { resultEcho } from '../../jobs/rerank-job.js';
import { Collector } from '../../src/collect/collector.js';
import { Spool } from '../../src/collect/spool.js';
import { JOB_CONTRACT_VERSION, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import { rerankJobId } from '../../jobs/job-id.js';
import { produce } from '../../src/enqueue/producer.js';
import { createLogger } from '../../src/logger.js';
import type { PlannedInput, PlannedJob } from '../../src/plan/plan-ahead.js';
import type { ProducerTotals, ShapingTotals } from '../../src/interfaces.js';
import { RunStore } from '../../src/state/run-store.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

import { OutageGuard } from '../../src/redis/connection-loss.js';
import type { RedisConnection } from '../../src/redis/connect.js';

/** A guard that waits through any outage, as a worker does. */
const unbounded = (connection: RedisConnection): OutageGuard => new OutageGuard(connection, { timeoutMs: undefined });

const cleanups = cleanupAfterAll();

/** What the planner counts for `total` one-document batches of plannedJob: one request and one text each. */
function shapingOf(total: number): ShapingTotals {
  return { requests: total, texts: total, units: total, tokens: total * 3, characters: total * 9, deduplicated: 0, split: 0, passages: 0, passagesCut: 0, textsCut: 0, cacheHits: 0, cacheMisses: 0, requestsSaved: 0 };
}

function plannedJob(runId: string, i: number): PlannedJob {
  const data: RerankJobPayload = { v: JOB_CONTRACT_VERSION, runId, queryId: `q${i}`, query: 'query', docs: [{ id: `d${i}`, text: 'text' }] };
  return { id: rerankJobId(data), data };
}

/**
 * A planned input that yields `first` jobs, then waits for `gate` (or `timeoutMs`) before the rest, as
 * a slow reader would. Records whether the gate opened before the timeout.
 */
function gatedInput(runId: string, total: number, first: number, gate: Promise<void>, timeoutMs: number): PlannedInput & { gateOpened: boolean } {
  const input = {
    gateOpened: false,
    totals: undefined as (ProducerTotals & ShapingTotals) | undefined,
    async *[Symbol.asyncIterator](): AsyncGenerator<PlannedJob> {
      for (let i = 0; i < total; i++) {
        if (i === first) {
          input.gateOpened = await Promise.race([gate.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs))]);
        }
        yield plannedJob(runId, i);
      }
      input.totals = { queries: total, pairs: total, batches: total, ...shapingOf(total) };
    },
  };
  return input;
}

describe('produce', () => {
  it('queues its first bulk before the reader has planned a whole one, and never holds more than maxPending', async () => {
    const prefix = uniquePrefix('producer');
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    cleanups.push(async () => {
      await deletePrefix(redisUrl(), prefix);
      connection.disconnect();
    });
    const runId = 'r-producer-test';
    const queue = new Queue<RerankJobPayload, RerankJobResult, string>(`rb-${runId}`, { connection, prefix });
    cleanups.push(() => queue.close());

    // The reader plans 8 jobs, then stalls until a worker has taken one: a producer that waited for a
    // whole bulk (20 here: bulkSize is capped at maxPending) would sit on those jobs until the timeout.
    let firstTaken: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (firstTaken = resolve));
    const maxPending = 20;
    let peakPending = 0;
    const workerConnection = connection.duplicate();
    cleanups.push(async () => workerConnection.disconnect());
    const worker = new Worker<RerankJobPayload, RerankJobResult, string>(
      `rb-${runId}`,
      async () => {
        firstTaken();
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
        peakPending = Math.max(peakPending, Object.values(counts).reduce((sum, n) => sum + n, 0));
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { v: JOB_CONTRACT_VERSION, queryId: 'q', query: 'query', docs: [], unscored: true, scores: [], requests: 0, rateLimited: 0 };
      },
      { connection: workerConnection, prefix, concurrency: 2 },
    );
    cleanups.push(() => worker.close());

    const input = gatedInput(runId, 120, 8, taken, 5_000);
    const report = await produce(input, queue, new RunStore(connection, prefix), { runId, maxPending, bulkSize: 50, guard: unbounded(connection) });

    expect(input.gateOpened).toBe(true);
    expect(report).toMatchObject({ batches: 120, enqueued: 120, alreadySubmitted: 0 });
    // The shaping counts come back apart from the three totals the run keeps.
    expect(report.shaping).toEqual(shapingOf(120));
    expect(report).not.toHaveProperty('requests');
    expect(peakPending).toBeGreaterThan(0);
    expect(peakPending).toBeLessThanOrEqual(maxPending);
  });

  it('does not add again a job the collector collects and removes while a resubmission checks it', async () => {
    const prefix = uniquePrefix('producer-resubmit');
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const dir = await mkdtemp(join(tmpdir(), 'rb-resubmit-'));
    cleanups.push(async () => {
      await deletePrefix(redisUrl(), prefix);
      connection.disconnect();
      await rm(dir, { recursive: true, force: true });
    });
    const runId = 'r-producer-resubmit';
    const queue = new Queue<RerankJobPayload, RerankJobResult, string>(`rb-${runId}`, { connection, prefix });
    cleanups.push(() => queue.close());
    const store = new RunStore(connection, prefix);
    const logger = createLogger({ level: 'silent' });
    const total = 12;
    const input = (): PlannedInput => {
      const jobs = Array.from({ length: total }, (_, i) => plannedJob(runId, i));
      return {
        totals: { queries: total, pairs: total, batches: total, ...shapingOf(total) },
        async *[Symbol.asyncIterator](): AsyncGenerator<PlannedJob> {
          yield* jobs;
        },
      };
    };

    // First submission: every job is scored by a real worker, and stays in Redis as completed.
    expect(await produce(input(), queue, store, { runId, guard: unbounded(connection) })).toMatchObject({ enqueued: total, alreadySubmitted: 0 });
    let scored = 0;
    const workerConnection = connection.duplicate();
    cleanups.push(async () => workerConnection.disconnect());
    const worker = new Worker<RerankJobPayload, RerankJobResult, string>(
      `rb-${runId}`,
      async (job) => {
        scored += 1;
        return { ...resultEcho(job.data), scores: job.data.docs.map(() => 0.5), requests: 1, rateLimited: 0 };
      },
      { connection: workerConnection, prefix, concurrency: 4 },
    );
    cleanups.push(() => worker.close());
    for (let i = 0; (await queue.getCompletedCount()) < total; i++) {
      if (i > 1500) throw new Error('jobs did not complete');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Resubmission, with the worst interleaving: right before the producer asks the queue about a job,
    // the collector spools it, records it collected and removes it from Redis.
    const spool = await Spool.open(join(dir, `${runId}.spool`));
    cleanups.push(async () => spool.close());
    const collector = new Collector(queue, store, spool, { runId, pageSize: 1, guard: unbounded(connection) }, logger);
    let interleaved = 0;
    let draining: Promise<unknown> = Promise.resolve();
    const racing = new Proxy(queue, {
      get(target, property, receiver) {
        if (property !== 'getJobState') return Reflect.get(target, property, receiver) as unknown;
        return async (jobId: string) => {
          // One drain at a time, as the collector runs; each drains until the job has left Redis.
          const drained = draining.then(async () => {
            if ((await target.getJobState(jobId)) !== 'completed') return;
            interleaved += 1;
            while ((await target.getJobState(jobId)) === 'completed') await collector.drainOnce();
          });
          draining = drained;
          await drained;
          return target.getJobState(jobId);
        };
      },
    });
    const again = await produce(input(), racing, store, { runId, guard: unbounded(connection) });
    expect(interleaved).toBeGreaterThan(0);
    expect(again).toMatchObject({ enqueued: 0, alreadySubmitted: total });
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed')).toEqual({ waiting: 0, active: 0, delayed: 0, prioritized: 0, paused: 0, failed: 0 });

    // Everything collected and gone from Redis: a third submission still adds nothing, and nothing was scored twice.
    await collector.drainOnce();
    expect(await store.collectedCount(runId)).toBe(total);
    expect(await produce(input(), queue, store, { runId, guard: unbounded(connection) })).toMatchObject({ enqueued: 0, alreadySubmitted: total });
    expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, delayed: 0, prioritized: 0, paused: 0, completed: 0, failed: 0 });
    expect(scored).toBe(total);
  });
});
