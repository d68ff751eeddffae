import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { startCli, stopChild, workerCompletedCount } from '../helpers/cli.js';
import { captureLogs } from '../helpers/log-capture.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

describe('worker processes started separately (as on other machines)', () => {
  it('take the jobs of a run started with --no-workers, and give the same ranking as in-process workers', async () => {
    const server = await startRerankServer({ latencyMs: 5 });
    const out = await tempDir('remote');
    const prefix = uniquePrefix('remote');
    cleanups.push(() => server.close(), out.remove, () => deletePrefix(redisUrl(), prefix));
    const env = { ...process.env, REDIS_URL: redisUrl() };
    const workers = [0, 1].map(() => startCli(['worker', '--prefix', prefix, '--concurrency', '4'], env));
    cleanups.push(async () => {
      for (const w of workers) await stopChild(w.child);
    });
    const { logger } = captureLogs('info');
    const input = join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz');
    const remote = await runPipeline({ input, out: join(out.dir, 'remote'), redis: redisUrl(), prefix, apiUrl: server.url, workers: false }, { logger, env: env });
    expect(remote.outcome).toBe('complete');
    // Both worker processes took part: each says how many batches it scored when it stops.
    for (const w of workers) await stopChild(w.child);
    const completed = workers.map((w) => workerCompletedCount(w.output()));
    expect(completed.every((n) => n > 0), JSON.stringify(completed)).toBe(true);
    expect(completed.reduce((a, b) => a + b, 0)).toBe(remote.producer.batches);

    const localPrefix = uniquePrefix('local');
    cleanups.push(() => deletePrefix(redisUrl(), localPrefix));
    const local = await runPipeline({ input, out: join(out.dir, 'local'), redis: redisUrl(), prefix: localPrefix, apiUrl: server.url }, { logger, env: env });
    expect(local.outcome).toBe('complete');
    expect(await readFile(join(out.dir, 'remote', 'ranked.trec'), 'utf8')).toBe(await readFile(join(out.dir, 'local', 'ranked.trec'), 'utf8'));
  });
});
