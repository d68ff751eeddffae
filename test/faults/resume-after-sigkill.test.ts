import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import {
  API_KEY, BATCH_COUNT, PAIR_COUNT, deletePrefix, expectEveryPairOnce, expectNoSecret, expectSameOutputs, inputKeys, redisUrl, referenceRun,
  requestFigures, runArgs, spoolRecords, uniquePrefix, waitFor,
} from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

const CONCURRENCY = 4;

describe('fault: the run process is SIGKILLed mid-run', () => {
  it('running the same command again finishes with identical outputs, repeating at most the in-flight requests', async () => {
    const tmp = await tempDir('fault-sigkill');
    cleanups.push(tmp.remove);
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);

    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('sigkill');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };
    // A lock long enough that no job of a live process can lose it on a loaded CI machine (a lost lock
    // means a repeated request); the jobs of the killed process come back once theirs expire.
    const args = runArgs(out, prefix, server.url, ['--concurrency', String(CONCURRENCY), '--lock-duration-ms', '8000', '--stalled-interval-ms', '2000']);

    const first = startCli(args, env);
    cleanups.push(() => stopChild(first.child, 'SIGKILL'));
    await waitFor('100 batches in the spool', () => spoolRecords(out) >= 100 || first.child.exitCode !== null);
    expect(first.child.exitCode, first.output()).toBeNull();
    await stopChild(first.child, 'SIGKILL');
    const collectedAtKill = spoolRecords(out);
    const requestsAtKill = server.stats.requests;
    expect(collectedAtKill).toBeLessThan(BATCH_COUNT);

    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);

    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
    const figures = requestFigures(server.stats.requestLog ?? []);
    // Every batch was asked for, and only the requests in flight at the kill were asked again.
    expect(figures.distinct).toBe(BATCH_COUNT);
    expect(figures.repeated).toBeLessThanOrEqual(CONCURRENCY);
    expect(server.stats.requests).toBeLessThanOrEqual(BATCH_COUNT + CONCURRENCY);
    console.info(`[sigkill] batches=${BATCH_COUNT} spooled-at-kill=${collectedAtKill} requests-at-kill=${requestsAtKill} requests-total=${figures.total} repeated=${figures.repeated}`);

    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { complete: boolean; outcome: string; counts: Record<string, number> };
    expect(manifest.complete).toBe(true);
    expect(manifest.outcome).toBe('complete');
    expect(manifest.counts).toMatchObject({ queries: 225, pairs: PAIR_COUNT, batches: BATCH_COUNT, scored_pairs: PAIR_COUNT, failed_pairs: 0, failed_batches: 0 });

    await expectNoSecret([out], [first.output(), second.stdout, second.stderr], prefix);
  });
});
