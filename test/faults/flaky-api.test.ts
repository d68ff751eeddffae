import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import {
  API_KEY, BATCH_COUNT, MAX_DOCS, PAIRS, QRELS, deletePrefix, expectEveryPairOnce, expectNoSecret, expectSameOutputs, inputKeys, redisUrl,
  referenceRun, uniquePrefix,
} from '../helpers/faults.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

describe('fault: a flaky API (5xx, 429, hangs, resets, malformed and incomplete answers)', () => {
  it('completes with exit code 0 and outputs identical to a fault-free run', async () => {
    const tmp = await tempDir('fault-flaky');
    cleanups.push(tmp.remove);
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);

    const server = await startRerankServer({
      apiKey: API_KEY, seed: 7, rate5xx: 0.1, rate429: 0.05, retryAfterSeconds: 1, rateHang: 0.02, rateReset: 0.03, rateMalformed: 0.02, rateMissingResult: 0.02,
    });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('flaky');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const logs = captureLogs('debug');
    const started = Date.now();
    const report = await runPipeline(
      {
        input: PAIRS, qrels: QRELS, out, redis: redisUrl(), prefix, apiUrl: server.url, maxDocsPerRequest: MAX_DOCS, concurrency: 8,
        timeoutMs: 1000, minRetryDelayMs: 20, maxRetryDelayMs: 200, retries: 8,
      },
      { logger: logs.logger, env: { ...process.env, RERANK_API_KEY: API_KEY } },
    );
    const seconds = (Date.now() - started) / 1000;
    expect(report.outcome).toBe('complete');
    expect(report.summary.failedPairs).toBe(0);
    // The faults really happened, and were retried.
    const { stats } = server;
    const errors = Object.entries(stats.byStatus).filter(([status]) => Number(status) >= 400).reduce((sum, [, n]) => sum + n, 0);
    expect(stats.resets).toBeGreaterThan(0);
    expect(stats.hangs).toBeGreaterThan(0);
    expect(stats.byStatus[429] ?? 0).toBeGreaterThan(0);
    expect(stats.requests).toBeGreaterThan(BATCH_COUNT + 50);
    expect(report.summary.apiRequests).toBeGreaterThan(BATCH_COUNT);
    console.info(`[flaky] batches=${BATCH_COUNT} requests=${stats.requests} errors(4xx/5xx)=${errors} resets=${stats.resets} hangs=${stats.hangs} byStatus=${JSON.stringify(stats.byStatus)} seconds=${seconds.toFixed(1)}`);

    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
    await expectNoSecret([out], [logs.text()], prefix);
  });
});
