import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { runCli } from '../helpers/cli.js';
import {
  API_KEY, PAIR_COUNT, deletePrefix, expectEveryPairOnce, expectNoSecret, expectSameOutputs, inputKeys, redisUrl, referenceRun, runArgs,
  runIdFromLogs, uniquePrefix,
} from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

/** Queries 111, 185, 190 and 191 (20 candidates each) mention panel flutter. */
const POISON = /<Query>: [^\n]*panel flutter/;
const POISONED_QUERIES = ['111', '185', '190', '191'];

interface FailureLine {
  query_id: string;
  doc_ids: string[];
  code: string;
  message: string;
  attempts: number;
}

describe('fault: the API answers 422 to some batches', () => {
  it('lists exactly those pairs in failures.jsonl and exits 1; retry-failed then scores them into the same outputs', async () => {
    const tmp = await tempDir('fault-422');
    cleanups.push(tmp.remove);
    const reference = join(tmp.dir, 'reference');
    await referenceRun(reference);

    const server = await startRerankServer({ apiKey: API_KEY, failQueriesMatching: POISON, failQueriesStatus: 422, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('422');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };

    const first = await runCli(runArgs(out, prefix, server.url, ['--concurrency', '8']), env);
    expect(first.code, first.stderr).toBe(1);
    const failures = (await readFile(join(out, 'failures.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as FailureLine);
    const failedKeys = failures.flatMap((f) => f.doc_ids.map((d) => `${f.query_id} ${d}`));
    const expectedKeys = [...inputKeys()].filter((k) => POISONED_QUERIES.includes(k.split(' ')[0] as string));
    expect(expectedKeys).toHaveLength(80);
    expect(new Set(failedKeys)).toEqual(new Set(expectedKeys));
    expect(failedKeys).toHaveLength(expectedKeys.length);
    for (const f of failures) {
      expect(f.code).toBe('ERR_API_UNPROCESSABLE');
      expect(f.message).toMatch(/HTTP 422.*query refused/);
      expect(f.attempts).toBe(1);
    }
    // A 422 is not retried: one request per failed batch.
    const refused = (server.stats.requestLog ?? []).filter((r) => r.status === 422);
    expect(refused).toHaveLength(failures.length);
    // The rest is scored.
    const ranked = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(ranked).toHaveLength(PAIR_COUNT - expectedKeys.length);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { outcome: string; counts: Record<string, number> };
    expect(manifest.outcome).toBe('failures');
    expect(manifest.counts).toMatchObject({ failed_pairs: 80, failed_batches: failures.length, scored_pairs: PAIR_COUNT - 80 });

    // The API is fixed; retry-failed scores the failed batches and merges them into the same outputs.
    server.setFaults({ failQueriesMatching: undefined });
    const runId = runIdFromLogs(first.stderr + first.stdout);
    const retry = await runCli(['retry-failed', '--run-id', runId, '--out', out, '--prefix', prefix], env);
    expect(retry.code, retry.stderr).toBe(0);
    expect(server.stats.requests).toBe(450 + failures.length);
    await expectSameOutputs(out, reference);
    await expectEveryPairOnce(out, inputKeys());
    console.info(`[422] failed-batches=${failures.length} failed-pairs=${failedKeys.length} requests=${server.stats.requests}`);
    await expectNoSecret([out], [first.stdout, first.stderr, retry.stdout, retry.stderr], prefix);
  });
});
