import { describe, expect, it } from 'vitest';
import { isConnectionLoss, untilConnected } from '../../src/redis/connection-loss.js';

/** ioredis's error for a pipeline cut by a closed connection (redis-errors' AbortError). */
function abortError(): Error {
  const error = new Error('Command aborted due to connection close');
  error.name = 'AbortError';
  return error;
}

describe('untilConnected', () => {
  it('tells connection losses from other errors', () => {
    expect(isConnectionLoss(abortError())).toBe(true);
    expect(isConnectionLoss(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionLoss(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isConnectionLoss(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isConnectionLoss('Connection is closed')).toBe(false);
  });

  it('tries again after a lost connection, and reports each retry', async () => {
    let calls = 0;
    const retries: number[] = [];
    const value = await untilConnected(
      async () => {
        calls += 1;
        if (calls < 3) throw abortError();
        return 'done';
      },
      (_error, attempt) => retries.push(attempt),
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('rethrows any other error at once, and a lost connection once the signal has aborted', async () => {
    const other = new Error('WRONGTYPE');
    await expect(untilConnected(() => Promise.reject(other), () => undefined)).rejects.toBe(other);
    const stopped = new AbortController();
    stopped.abort();
    const lost = abortError();
    await expect(untilConnected(() => Promise.reject(lost), () => undefined, stopped.signal)).rejects.toBe(lost);
  });
});
