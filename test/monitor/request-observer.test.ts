import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/rerank/client-options.js';
import { RerankClient } from '../../src/rerank/rerank-client.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';

const cleanups = cleanupAfterAll();

describe("the rerank client's request observer (what the metrics record)", () => {
  it('is told of every HTTP request: its status, or network / timeout / aborted, and how long it took', async () => {
    const server = await startRerankServer({ latencyMs: 30 });
    cleanups.push(() => server.close());
    const seen: RequestRecord[] = [];
    const client = new RerankClient({ apiUrl: server.url, timeoutMs: 300, retries: 1, minRetryDelayMs: 0, jitter: false, onRequest: (request) => seen.push(request) });
    cleanups.push(async () => client.close());

    await client.rerank('wing flow', ['a wing', 'a flow']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.status).toBe(200);
    expect(seen[0]?.durationMs).toBeGreaterThanOrEqual(25);

    server.setFaults({ forceStatus: 429, retryAfterSeconds: 0 });
    await expect(client.rerank('q', ['d'])).rejects.toMatchObject({ code: 'ERR_API_RATE_LIMITED' });
    expect(seen.slice(1).map((r) => r.status)).toEqual([429, 429]);

    server.setFaults({ forceStatus: undefined, rateHang: 1 });
    await expect(client.rerank('q', ['d'])).rejects.toMatchObject({ code: 'ERR_API_TIMEOUT' });
    expect(seen.slice(3).map((r) => r.status)).toEqual(['timeout', 'timeout']);
    expect(seen[3]?.durationMs).toBeGreaterThanOrEqual(290);

    server.setFaults({ rateHang: 0, rateReset: 1 });
    await expect(client.rerank('q', ['d'])).rejects.toMatchObject({ code: 'ERR_API_NETWORK' });
    expect(seen.slice(5).map((r) => r.status)).toEqual(['network', 'network']);

    server.setFaults({ rateReset: 0, rateHang: 1 });
    const stop = new AbortController();
    const call = client.rerank('q', ['d'], { signal: stop.signal });
    setTimeout(() => stop.abort(new Error('shutting down')), 50);
    await expect(call).rejects.toThrow('shutting down');
    expect(seen.slice(7).map((r) => r.status)).toEqual(['aborted']);
  });
});
