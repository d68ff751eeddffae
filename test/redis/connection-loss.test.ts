import { describe, expect, it } from 'vitest';
import { RerankBatchError } from '../../src/errors/rerank-batch-error.js';
import { openConnection } from '../../src/redis/connect.js';
import { isConnectionLoss, OutageGuard, OutageWaitStopped, type OutageReport } from '../../src/redis/connection-loss.js';
import { startRedisServer } from '../../src/redis/redis-server-process.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';

const cleanups = cleanupAfterAll();

/** ioredis's error for a pipeline cut by a closed connection (redis-errors' AbortError). */
function abortError(): Error {
  const error = new Error('Command aborted due to connection close');
  error.name = 'AbortError';
  return error;
}

/** A real redis-server, a connection to it, and a guard with `timeoutMs`, recording its reports. */
async function setup(timeoutMs: number | undefined) {
  const server = await startRedisServer();
  const connection = openConnection(server.url);
  const reports: OutageReport[] = [];
  const guard = new OutageGuard(connection, { timeoutMs, onOutage: (report) => reports.push(report), progressMs: 300 });
  cleanups.push(async () => {
    guard.close();
    connection.disconnect();
    await server.stop().catch(() => undefined);
  });
  await connection.ping();
  return { server, connection, guard, reports };
}

describe('OutageGuard', () => {
  it('tells connection losses from other errors', () => {
    expect(isConnectionLoss(abortError())).toBe(true);
    expect(isConnectionLoss(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionLoss(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isConnectionLoss(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isConnectionLoss('Connection is closed')).toBe(false);
  });

  it('tries again what a lost connection cut, and rethrows any other error at once', async () => {
    const { guard } = await setup(undefined);
    let calls = 0;
    const value = await guard.run(async () => {
      calls += 1;
      if (calls < 3) throw abortError();
      return 'done';
    });
    expect([value, calls]).toEqual(['done', 3]);
    const other = new Error('WRONGTYPE');
    await expect(guard.run(() => Promise.reject(other))).rejects.toBe(other);
  });

  it('waits through a Redis restart, reporting the outage once when it starts and once when it ends', async () => {
    const { server, connection, guard, reports } = await setup(undefined);
    await connection.set('k', 'v');
    await server.stop({ keepDir: true });
    const pending = guard.run(() => connection.ping());
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const again = await startRedisServer({ port: server.port, dir: server.dir });
    cleanups.push(() => again.stop());
    expect(await pending).toBe('PONG');
    expect(reports[0]?.phase).toBe('started');
    expect(reports.at(-1)?.phase).toBe('ended');
    expect(reports.filter((r) => r.phase === 'ongoing').length).toBeGreaterThanOrEqual(1);
  });

  it('gives up past the outage budget with ERR_REDIS_UNAVAILABLE saying how long it waited and that the command resumes', async () => {
    const { server, connection, guard } = await setup(1_500);
    await server.stop();
    const started = Date.now();
    const error = await guard.run(() => connection.ping()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RerankBatchError);
    expect((error as RerankBatchError).code).toBe('ERR_REDIS_UNAVAILABLE');
    expect((error as Error).message).toMatch(/unreachable for \d+ s .*run the same command again/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops waiting at once when the signal aborts during an outage', async () => {
    const { server, connection, guard } = await setup(undefined);
    await server.stop();
    const stop = new AbortController();
    const pending = guard.run(() => connection.ping(), stop.signal).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const aborted = Date.now();
    stop.abort();
    expect(await pending).toBeInstanceOf(OutageWaitStopped);
    expect(Date.now() - aborted).toBeLessThan(1_000);
  });
});
