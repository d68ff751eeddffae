import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRedisServer } from '../../src/redis/redis-server-process.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { startCli, stopChild } from '../helpers/cli.js';
import {
  API_KEY, BATCH_COUNT, expectEveryPairOnce, expectNoSecret, expectSameOutputs, inputKeys, referenceRun, requestFigures, runArgs, spoolRecords,
  uniquePrefix, waitFor,
} from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

const CONCURRENCY = 4;

describe('fault: Redis (AOF) restarts mid-run', () => {
  it('producer, workers and collector reconnect; the run finishes with identical outputs', async () => {
    const tmp = await tempDir('fault-redis');
    cleanups.push(tmp.remove);
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);

    const redis = await startRedisServer({ appendOnly: true });
    cleanups.push(() => redis.stop());
    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('redis-restart');
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, RERANK_API_KEY: API_KEY };
    // --max-pending 100: the producer is still queueing (waiting for room) when Redis goes away.
    const run = startCli(
      runArgs(out, prefix, server.url, ['--redis', redis.url, '--concurrency', String(CONCURRENCY), '--max-pending', '100', '--lock-duration-ms', '3000', '--stalled-interval-ms', '1000']),
      env,
    );
    cleanups.push(() => stopChild(run.child, 'SIGKILL'));
    const exited = new Promise<number | null>((resolve) => run.child.once('exit', (code) => resolve(code)));

    await waitFor('60 batches collected', () => spoolRecords(out) >= 60 || run.child.exitCode !== null);
    expect(run.child.exitCode, run.output()).toBeNull();
    const before = spoolRecords(out);
    await redis.restart();
    const after = spoolRecords(out);
    expect(after).toBeLessThan(BATCH_COUNT);

    const code = await exited;
    expect(code, run.output().slice(-4000)).toBe(0);
    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
    const figures = requestFigures(server.stats.requestLog ?? []);
    expect(figures.distinct).toBe(BATCH_COUNT);
    console.info(`[redis-restart] batches=${BATCH_COUNT} spooled-before-restart=${before} after=${after} requests=${figures.total} repeated=${figures.repeated}`);
    await expectNoSecret([out], [run.output()], prefix, redis.url);
  });
});
