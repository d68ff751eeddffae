import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { loggedEvents, startCli, stopChild, workerCompletedCount } from '../helpers/cli.js';
import {
  API_KEY, BATCH_COUNT, deletePrefix, expectEveryPairOnce, expectNoSecret, expectSameOutputs, inputKeys, redisUrl, referenceRun, requestFigures,
  runArgs, spoolRecords, uniquePrefix, waitFor,
} from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

const PER_WORKER = 2;

describe('fault: one of three worker processes is SIGKILLed mid-run', () => {
  it('the other workers take over its jobs (stalled recovery) and the outputs are identical', async () => {
    const tmp = await tempDir('fault-worker');
    cleanups.push(tmp.remove);
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);

    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('worker-crash');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };

    const workers = [0, 1, 2].map(() =>
      startCli(['worker', '--prefix', prefix, '--concurrency', String(PER_WORKER), '--lock-duration-ms', '8000', '--stalled-interval-ms', '2000'], env),
    );
    cleanups.push(async () => {
      for (const w of workers) await stopChild(w.child, 'SIGKILL');
    });
    await waitFor('three workers started', () => workers.every((w) => loggedEvents(w.output()).some((e) => e.event === 'worker-started')));
    const run = startCli(runArgs(out, prefix, server.url, ['--no-workers']), env);
    cleanups.push(() => stopChild(run.child, 'SIGKILL'));
    const exited = new Promise<number | null>((resolve) => run.child.once('exit', (code) => resolve(code)));

    const victim = workers[0];
    if (victim === undefined) throw new Error('no worker');
    // Kill the first worker once it is serving the run and some batches are collected.
    await waitFor('the first worker serving and 60 batches collected', () => loggedEvents(victim.output()).some((e) => e.event === 'worker-serving') && spoolRecords(out) >= 60);
    await stopChild(victim.child, 'SIGKILL');
    const collectedAtKill = spoolRecords(out);
    expect(collectedAtKill).toBeLessThan(BATCH_COUNT);

    const code = await exited;
    expect(code, run.output()).toBe(0);
    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
    const figures = requestFigures(server.stats.requestLog ?? []);
    expect(figures.distinct).toBe(BATCH_COUNT);
    // Only the killed worker's in-flight requests were asked again.
    expect(figures.repeated).toBeLessThanOrEqual(PER_WORKER);

    // The survivors did the rest: each says how many batches it scored when it stops.
    for (const w of workers.slice(1)) await stopChild(w.child);
    const completed = workers.slice(1).map((w) => workerCompletedCount(w.output()));
    expect(completed.every((n) => n > 0), JSON.stringify(completed)).toBe(true);
    console.info(`[worker-crash] batches=${BATCH_COUNT} spooled-at-kill=${collectedAtKill} requests=${figures.total} repeated=${figures.repeated} survivors-completed=${JSON.stringify(completed)}`);

    await expectNoSecret([out], [run.output(), ...workers.map((w) => w.output())], prefix);
  });
});
