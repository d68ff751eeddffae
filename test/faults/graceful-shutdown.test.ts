import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import {
  API_KEY, BATCH_COUNT, PAIR_COUNT, deletePrefix, expectEveryPairOnce, expectNoSecret, expectSameOutputs, inputKeys, redisUrl, referenceRun,
  requestFigures, runArgs, runIdFromLogs, spoolRecords, uniquePrefix, waitFor,
} from '../helpers/faults.js';
import { dumpPrefix } from '../helpers/redis.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

const CONCURRENCY = 4;
const GRACE_MS = 5_000;

function exitOf(child: ReturnType<typeof startCli>['child']): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
}

describe('fault: SIGTERM to a running `run`', () => {
  it('exits 130 within the grace period with partial outputs; running again completes identically', async () => {
    const tmp = await tempDir('fault-sigterm');
    cleanups.push(tmp.remove);
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);

    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('sigterm');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };
    const args = runArgs(out, prefix, server.url, ['--concurrency', String(CONCURRENCY), '--shutdown-grace-ms', String(GRACE_MS), '--lock-duration-ms', '3000', '--stalled-interval-ms', '1000']);

    const first = startCli(args, env);
    cleanups.push(() => stopChild(first.child, 'SIGKILL'));
    const exited = exitOf(first.child);
    await waitFor('60 batches collected', () => spoolRecords(out) >= 60 || first.child.exitCode !== null);
    expect(first.child.exitCode, first.output()).toBeNull();
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const { code, at } = await exited;
    const stopMs = at - signalledAt;
    expect(code, first.output().slice(-3000)).toBe(130);
    expect(stopMs).toBeLessThan(GRACE_MS + 3_000);

    const partial = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { complete: boolean; outcome: string; counts: Record<string, number> };
    expect(partial.complete).toBe(false);
    expect(partial.outcome).toBe('interrupted');
    const partialLines = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n').length;
    expect(partialLines).toBeGreaterThan(0);
    expect(partialLines).toBeLessThan(PAIR_COUNT);
    expect(partial.counts.scored_pairs).toBe(partialLines);

    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { complete: boolean; outcome: string };
    expect(manifest).toMatchObject({ complete: true, outcome: 'complete' });
    const figures = requestFigures(server.stats.requestLog ?? []);
    expect(figures.distinct).toBe(BATCH_COUNT);
    expect(figures.repeated).toBeLessThanOrEqual(CONCURRENCY);
    console.info(`[sigterm] stop-ms=${stopMs} partial-pairs=${partialLines} requests=${figures.total} repeated=${figures.repeated}`);
    await expectNoSecret([out], [first.output(), second.stdout, second.stderr], prefix);
  });

  it('a second signal exits at once; cancel then removes every Redis key of the run', async () => {
    const tmp = await tempDir('fault-sigterm2');
    cleanups.push(tmp.remove);
    // Answers take 30 s: the first signal's graceful stop would wait for the whole grace period.
    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30_000 });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('sigterm2');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };

    const run = startCli(runArgs(out, prefix, server.url, ['--concurrency', String(CONCURRENCY), '--shutdown-grace-ms', '30000']), env);
    cleanups.push(() => stopChild(run.child, 'SIGKILL'));
    const exited = exitOf(run.child);
    await waitFor('requests in flight', () => server.stats.requests >= CONCURRENCY || run.child.exitCode !== null);
    run.child.kill('SIGTERM');
    await waitFor('the first signal taken', () => run.output().includes('signal again to exit at once') || run.child.exitCode !== null);
    expect(run.child.exitCode).toBeNull();
    const secondAt = Date.now();
    run.child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(130);
    // Far below the 30 s the graceful stop would wait (under parallel test load the exit still takes ~1 s).
    expect(at - secondAt).toBeLessThan(5_000);

    const runId = runIdFromLogs(run.output());
    const before = await dumpPrefix(redisUrl(), prefix);
    expect(before).toContain(runId);
    const cancel = await runCli(['cancel', '--run-id', runId, '--prefix', prefix], env);
    expect(cancel.code, cancel.stderr).toBe(0);
    const after = await dumpPrefix(redisUrl(), prefix);
    expect(after.includes(runId), after.slice(0, 2000)).toBe(false);
    console.info(`[sigterm twice] exit-after-second-signal-ms=${at - secondAt} keys-before-cancel=${before.split('\n').filter((l) => l.startsWith(prefix)).length}`);
    await expectNoSecret([out], [run.output(), cancel.stdout, cancel.stderr], prefix);
  });
});
