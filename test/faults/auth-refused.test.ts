import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { runCli } from '../helpers/cli.js';
import { API_KEY, deletePrefix, expectNoSecret, redisUrl, runArgs, uniquePrefix } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

const CONCURRENCY = 4;

describe('fault: the API refuses the key', () => {
  it.each([401, 403])('HTTP %i: the CLI exits 1 within seconds, names RERANK_API_KEY, and sends no retry storm', async (status) => {
    const tmp = await tempDir(`fault-auth-${status}`);
    cleanups.push(tmp.remove);
    const server = await startRerankServer({ apiKey: API_KEY, latencyMs: 20, forceStatus: status });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix(`auth-${status}`);
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };

    const started = Date.now();
    const result = await runCli(runArgs(out, prefix, server.url, ['--concurrency', String(CONCURRENCY)]), env);
    const seconds = (Date.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`HTTP ${status}[^\\n]*check RERANK_API_KEY`));
    expect(seconds).toBeLessThan(10);
    // Only the requests already in flight when the first refusal came back.
    expect(server.stats.requests).toBeGreaterThan(0);
    expect(server.stats.requests).toBeLessThanOrEqual(CONCURRENCY);
    expect(server.stats.byStatus[status]).toBe(server.stats.requests);
    console.info(`[auth ${status}] exit=${result.code} seconds=${seconds.toFixed(2)} requests=${server.stats.requests}`);
    await expectNoSecret([out], [result.stdout, result.stderr], prefix);
  });
});
