import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/state/run-store.js';
import { runLimiter } from '../../workers/worker-host.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

describe('tokens per minute: one budget per run and minute, shared through Redis', () => {
  const prefix = uniquePrefix('tpm');
  const a = new Redis(redisUrl());
  const b = new Redis(redisUrl());
  afterAll(async () => {
    await deletePrefix(redisUrl(), prefix);
    a.disconnect();
    b.disconnect();
  });

  it('grants until the minute is spent, over two connections (two workers), then says how long until the next minute', async () => {
    const one = new RunStore(a, prefix);
    const two = new RunStore(b, prefix);
    const minute = 29_000_000 * 60_000;
    expect(await one.takeTokens('r1', 400, 1000, minute + 1_000)).toBe(0);
    expect(await two.takeTokens('r1', 500, 1000, minute + 2_000)).toBe(0);
    // 400 + 500 + 200 > 1000: refused, nothing taken, wait to the next minute.
    expect(await one.takeTokens('r1', 200, 1000, minute + 10_000)).toBe(50_000);
    expect(await two.takeTokens('r1', 100, 1000, minute + 10_000)).toBe(0);
    // Another run has its own budget; the next minute starts afresh.
    expect(await two.takeTokens('r2', 900, 1000, minute + 10_000)).toBe(0);
    expect(await one.takeTokens('r1', 1000, 1000, minute + 60_000)).toBe(0);
  });

  it('grants a request larger than the whole budget in an unused minute (or it would wait forever), and only then', async () => {
    const store = new RunStore(a, prefix);
    const minute = 29_000_010 * 60_000;
    expect(await store.takeTokens('big', 5000, 1000, minute)).toBe(0);
    expect(await store.takeTokens('big', 1, 1000, minute + 30_000)).toBe(30_000);
  });
});

describe('the run limiter', () => {
  it('is the per-second rate, the per-minute burst, or the stricter of both spread evenly', () => {
    expect(runLimiter({})).toBeUndefined();
    expect(runLimiter({ rateLimit: 5 })).toEqual({ max: 5, duration: 1000 });
    expect(runLimiter({ requestsPerMinute: 600 })).toEqual({ max: 600, duration: 60_000 });
    expect(runLimiter({ rateLimit: 5, requestsPerMinute: 60 })).toEqual({ max: 1, duration: 1000 });
    expect(runLimiter({ rateLimit: 0.5, requestsPerMinute: 600 })).toEqual({ max: 1, duration: 2000 });
  });
});
