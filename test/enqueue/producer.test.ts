import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { JOB_CONTRACT_VERSION, type RerankJobPayload, type RerankJobResult } from '../../jobs/rerank-job.js';
import { rerankJobId } from '../../jobs/job-id.js';
import { produce } from '../../src/enqueue/producer.js';
import { createLogger } from '../../src/logger.js';
import type { PlannedInput, PlannedJob } from '../../src/plan/plan-ahead.js';
import { RunStore, type ProducerTotals } from '../../src/state/run-store.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

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
    totals: undefined as ProducerTotals | undefined,
    async *[Symbol.asyncIterator](): AsyncGenerator<PlannedJob> {
      for (let i = 0; i < total; i++) {
        if (i === first) {
          input.gateOpened = await Promise.race([gate.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs))]);
        }
        yield plannedJob(runId, i);
      }
      input.totals = { queries: total, pairs: total, batches: total };
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
    const report = await produce(input, queue, new RunStore(connection, prefix), { runId, maxPending, bulkSize: 50 }, createLogger({ level: 'silent' }));

    expect(input.gateOpened).toBe(true);
    expect(report).toMatchObject({ batches: 120, enqueued: 120, alreadySubmitted: 0 });
    expect(peakPending).toBeGreaterThan(0);
    expect(peakPending).toBeLessThanOrEqual(maxPending);
  });
});
