import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { runCli } from '../helpers/cli.js';
import { API_KEY, BATCH_COUNT, PAIR_COUNT, deletePrefix, expectEveryPairOnce, expectNoSecret, inputKeys, redisUrl, runArgs, uniquePrefix } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

const SERVER_MAX_DOCUMENTS = 4;

describe('fault: the API answers 413 to batches larger than it takes', () => {
  it('splits the batches until they fit: every pair scored once, no scored request above the limit, exit 0', async () => {
    const tmp = await tempDir('fault-413');
    cleanups.push(tmp.remove);
    const server = await startRerankServer({ apiKey: API_KEY, maxDocuments: SERVER_MAX_DOCUMENTS, recordRequests: true });
    cleanups.push(() => server.close());
    const prefix = uniquePrefix('413');
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const out = join(tmp.dir, 'out');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY };

    const result = await runCli(runArgs(out, prefix, server.url, ['--concurrency', '8']), env);
    expect(result.code, result.stderr).toBe(0);
    await expectEveryPairOnce(out, inputKeys());
    expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');

    const log = server.stats.requestLog ?? [];
    const scored = log.filter((r) => r.status === 200);
    const refused = log.filter((r) => r.status === 413);
    // The size the API takes is learnt once per worker process: a refusal costs 10 -> 5 -> 3 at most
    // for the batches in flight while it is learnt (concurrency 8), not three requests for every batch.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(8 * 3);
    for (const r of refused) expect(r.documents.length).toBeGreaterThan(SERVER_MAX_DOCUMENTS);
    for (const r of scored) expect(r.documents.length).toBeLessThanOrEqual(SERVER_MAX_DOCUMENTS);
    // Each pair went out in exactly one scored request.
    const sent = scored.flatMap((r) => r.documents.map((d) => `${r.query}\u0000${d}`));
    expect(sent.length).toBe(PAIR_COUNT);
    expect(new Set(sent).size).toBe(PAIR_COUNT);
    expect(server.stats.byStatus).toEqual({ 200: scored.length, 413: refused.length });
    console.info(`[413] batches=${BATCH_COUNT} requests=${log.length} refused-413=${refused.length} scored-requests=${scored.length}`);

    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
    expect(manifest.counts).toMatchObject({ scored_pairs: PAIR_COUNT, failed_pairs: 0, api_requests: log.length });
    await expectNoSecret([out], [result.stdout, result.stderr], prefix);
  });
});
