import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { runQueueName } from '../../jobs/names.js';
import { describe, expect, it } from 'vitest';
import { Lifecycle } from '../../src/lifecycle-events.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { RunStore } from '../../src/state/run-store.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { PAIRS, expectEveryPairOnce, inputKeys, waitFor } from '../helpers/faults.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

/** Wait, when the minute is about to turn, until it has: the test spends this minute's budget and watches it hold. */
async function awayFromMinuteEnd(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));
}

describe('--tokens-per-minute over all workers', () => {
  it("sends nothing while the minute's budget is spent, and spends no attempt of a batch; the run goes on without the cap", async () => {
    const server = await startRerankServer({ recordRequests: true });
    cleanups.push(() => server.close());
    const dir = await tempDir('tpm');
    const prefix = uniquePrefix('tpm');
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const redis = new Redis(redisUrl());
    cleanups.push(async () => redis.disconnect());
    const runId = 'tpm-budget-spent';
    const out = join(dir.dir, 'out');

    await awayFromMinuteEnd();
    // Another worker of the run has spent this minute's budget already.
    expect(await new RunStore(redis, prefix).takeTokens(runId, 50_000, 50_000)).toBe(0);

    const stop = new AbortController();
    const events = new Lifecycle();
    let queued = false;
    events.on('input-queued', () => (queued = true));
    const { logger } = captureLogs('warn');
    const first = runPipeline(
      { input: PAIRS, out, redis: redisUrl(), prefix, runId, apiUrl: server.url, tokensPerMinute: 50_000, concurrency: 4, shutdownGraceMs: 0 },
      { logger, events, signal: stop.signal, env: { ...process.env, RERANK_API_URL: '' } },
    );
    await waitFor('the input queued', () => queued, 20_000);
    // Workers have taken jobs and given them back for three seconds: none reached the API.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(server.stats.requests).toBe(0);
    stop.abort();
    expect((await first).outcome).toBe('interrupted');
    // Taken and given back (BullMQ's manual rate limit), never failed: no attempt of any batch was spent.
    const queue = new Queue(runQueueName(runId), { connection: redis, prefix });
    cleanups.push(() => queue.close());
    const jobs = await queue.getJobs(['wait', 'prioritized', 'delayed', 'paused', 'active', 'failed']);
    expect(jobs.length).toBe(225);
    expect(jobs.filter((job) => job.attemptsMade > 0 || job.failedReason !== undefined)).toEqual([]);

    // The same run without the cap scores every batch.
    const second = await runPipeline({ input: PAIRS, out, redis: redisUrl(), prefix, runId, apiUrl: server.url, concurrency: 4 }, { logger, env: { ...process.env, RERANK_API_URL: '' } });
    expect(second.outcome).toBe('complete');
    expect(second.summary.failedPairs).toBe(0);
    // Taken and given back is no retry: the manifest counts only requests tried again.
    expect(second.summary.jobRetries).toBe(0);
    expect(server.stats.requests).toBe(225);
    await expectEveryPairOnce(out, inputKeys());
  });
});
