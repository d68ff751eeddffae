import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { runCli, startCli, stopChild, workerCompletedCount } from '../helpers/cli.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

describe('distributed commands: submit, 3 workers, a separate collect, status', () => {
  it('give the same outputs as one `run`', async () => {
    const server = await startRerankServer({ latencyMs: 5 });
    const out = await tempDir('distributed');
    const prefix = uniquePrefix('dist');
    const runPrefix = uniquePrefix('dist-run');
    cleanups.push(() => server.close(), out.remove, () => deletePrefix(redisUrl(), prefix), () => deletePrefix(redisUrl(), runPrefix));
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_URL: server.url };
    const input = join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz');
    const qrels = join(repoRoot, 'examples', 'cranfield', 'qrels.trec');

    const submitted = await runCli(['submit', '--input', input, '--prefix', prefix, '--max-docs-per-request', '20'], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const runId = submitted.stdout.trim();
    expect(runId).toMatch(/^r[0-9a-f]{16}$/);

    const before = await runCli(['status', '--run-id', runId, '--prefix', prefix, '--json'], env);
    expect(before.code, before.stderr).toBe(0);
    const status0 = JSON.parse(before.stdout) as { status: string; pairs: number; batches: { total: number; collected: number; waiting: number } };
    expect(status0.status).toBe('running');
    expect(status0.pairs).toBe(4500);
    expect(status0.batches.total).toBe(225);
    expect(status0.batches.collected).toBe(0);
    expect(status0.batches.waiting).toBe(225);

    const workers = [0, 1, 2].map(() => startCli(['worker', '--prefix', prefix, '--concurrency', '2'], env));
    cleanups.push(async () => {
      for (const w of workers) await stopChild(w.child);
    });
    const collected = await runCli(['collect', '--run-id', runId, '--prefix', prefix, '--out', join(out.dir, 'dist'), '--qrels', qrels, '--no-workers'], env);
    expect(collected.code, collected.stderr).toBe(0);
    for (const w of workers) await stopChild(w.child);
    const completed = workers.map((w) => workerCompletedCount(w.output()));
    expect(completed.every((n) => n > 0), JSON.stringify(completed)).toBe(true);
    expect(completed.reduce((a, b) => a + b, 0)).toBe(225);

    const after = JSON.parse((await runCli(['status', '--run-id', runId, '--prefix', prefix, '--json'], env)).stdout) as { status: string; pairsCollected: number; apiRequests: number };
    expect(after.status).toBe('completed');
    expect(after.pairsCollected).toBe(4500);
    expect(after.apiRequests).toBe(225);

    const single = await runCli(['run', '--input', input, '--prefix', runPrefix, '--max-docs-per-request', '20', '--out', join(out.dir, 'run'), '--qrels', qrels], env);
    expect(single.code, single.stderr).toBe(0);
    for (const file of ['ranked.trec', 'ranked.jsonl', 'metrics.json', 'metrics.perquery.csv', 'failures.jsonl']) {
      expect(await readFile(join(out.dir, 'dist', file), 'utf8'), file).toBe(await readFile(join(out.dir, 'run', file), 'utf8'));
    }
  });
});
