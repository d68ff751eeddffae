import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerProcess } from '../../src/redis/redis-server-process.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { loggedEvents, runCli, startCli, stopChild } from '../helpers/cli.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import {
  API_KEY, BATCH_COUNT, expectEveryPairOnce, expectSameOutputs, inputKeys, referenceRun, runArgs, spoolRecords, uniquePrefix, waitFor,
} from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();
const GRACE_MS = 2_000;
const env = { ...process.env, RERANK_API_KEY: API_KEY };

/** Exit code and seconds from `since` to the child's exit. */
function exitOf(child: import('node:child_process').ChildProcess): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
}

async function setup(name: string) {
  const tmp = await tempDir(`fault-outage-${name}`);
  const redis = await startRedisServer({ appendOnly: true });
  const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 30 });
  cleanups.push(tmp.remove, () => server.close(), () => redis.stop());
  return { tmp, redis, server, prefix: uniquePrefix(`outage-${name}`), out: join(tmp.dir, 'out') };
}

/** Bring a stopped Redis back on its port and AOF directory. */
async function bringBack(redis: RedisServerProcess): Promise<void> {
  const again = await startRedisServer({ port: redis.port, dir: redis.dir, appendOnly: true });
  cleanups.push(() => again.stop());
}

describe('fault: Redis unreachable', () => {
  it('SIGTERM during an outage: run exits 130 within the grace period, keeps what was collected, and the same command resumes to identical outputs', async () => {
    const { tmp, redis, server, prefix, out } = await setup('sigterm');
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);
    const args = runArgs(out, prefix, server.url, ['--redis', redis.url, '--concurrency', '4', '--shutdown-grace-ms', String(GRACE_MS), '--lock-duration-ms', '3000', '--stalled-interval-ms', '1000']);
    const run = startCli(args, env);
    cleanups.push(() => stopChild(run.child, 'SIGKILL'));
    const exited = exitOf(run.child);
    await waitFor('60 batches collected', () => spoolRecords(out) >= 60 || run.child.exitCode !== null);
    await redis.stop({ keepDir: true });
    await waitFor('the outage noticed', () => loggedEvents(run.output()).some((e) => e.event === 'redis-down'));
    const collected = spoolRecords(out);
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code, run.output().slice(-3000)).toBe(130);
    // The grace period, the forced close (3 s) and on a loaded machine at worst the last-resort exit
    // 10 s later: never the minutes an outage may last.
    expect(at - signalled).toBeLessThan(GRACE_MS + 3_000 + 10_000 + 2_000);
    expect(spoolRecords(out)).toBeGreaterThanOrEqual(collected);
    expect(run.output()).not.toContain('Unhandled error event');

    await bringBack(redis);
    const again = await runCli(args, env);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
  });

  it('an outage longer than --redis-outage-timeout: exit 1 with ERR_REDIS_UNAVAILABLE, saying how long it waited and that the command resumes', async () => {
    const { redis, server, prefix, out } = await setup('budget');
    const run = startCli(runArgs(out, prefix, server.url, ['--redis', redis.url, '--concurrency', '4', '--redis-outage-timeout', '3s']), env);
    cleanups.push(() => stopChild(run.child, 'SIGKILL'));
    const exited = exitOf(run.child);
    await waitFor('30 batches collected', () => spoolRecords(out) >= 30 || run.child.exitCode !== null);
    const stopped = Date.now();
    await redis.stop({ keepDir: true });
    const { code, at } = await exited;
    expect(code, run.output().slice(-3000)).toBe(1);
    expect(at - stopped).toBeLessThan(15_000);
    expect(run.output()).toMatch(/rerank-batch: error ERR_REDIS_UNAVAILABLE: Redis has been unreachable for \d+ s .*run the same command again/);
    expect(run.output()).not.toContain('Unhandled error event');
    const events = loggedEvents(run.output()).map((e) => e.event);
    expect(events.filter((e) => e === 'redis-down')).toHaveLength(1);
    expect(spoolRecords(out)).toBeLessThan(BATCH_COUNT);
  });

  it('SIGTERM during an outage ends worker and collect processes promptly with 130', async () => {
    const { redis, server, prefix, out } = await setup('parts');
    const submit = await runCli(['submit', ...runArgs(out, prefix, server.url, ['--redis', redis.url]).slice(1).filter((a, i, all) => a !== '-o' && all[i - 1] !== '-o' && a !== '--qrels' && all[i - 1] !== '--qrels')], env);
    expect(submit.code, submit.stderr).toBe(0);
    const runId = submit.stdout.trim();
    const worker = startCli(['worker', '--redis', redis.url, '--prefix', prefix, '--concurrency', '2', '--shutdown-grace-ms', String(GRACE_MS)], env);
    const collect = startCli(['collect', '--run-id', runId, '--out', out, '--redis', redis.url, '--prefix', prefix, '--no-workers'], env);
    cleanups.push(() => stopChild(worker.child, 'SIGKILL'), () => stopChild(collect.child, 'SIGKILL'));
    const [workerExit, collectExit] = [exitOf(worker.child), exitOf(collect.child)];
    await waitFor('20 batches collected', () => spoolRecords(out) >= 20);
    await redis.stop({ keepDir: true });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    collect.child.kill('SIGTERM');
    const [w, c] = await Promise.all([workerExit, collectExit]);
    expect(w.code, worker.output().slice(-2000)).toBe(130);
    expect(c.code, collect.output().slice(-2000)).toBe(130);
    expect(Math.max(w.at, c.at) - signalled).toBeLessThan(GRACE_MS + 3_000 + 10_000 + 2_000);
    expect(worker.output() + collect.output()).not.toContain('Unhandled error event');
  });
});
