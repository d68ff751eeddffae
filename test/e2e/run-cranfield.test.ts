import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/run/run-pipeline.js';
import { captureLogs } from '../helpers/log-capture.js';
import { hasSharedData, parseTrecEvalAll, sharedData, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cranfield = join(sharedData, 'cranfield');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanups) await step();
});

/** trec_eval prints counts as integers and everything else with 4 decimals. */
function asTrecEval(measure: string, value: number): string {
  return measure.startsWith('num_') ? String(Math.round(value)) : value.toFixed(4);
}

describe.skipIf(!hasSharedData)('run on the full Cranfield pairs through the built-in server', () => {
  it('ranks every pair once, and the baseline metrics equal trec_eval on bm25.run', async () => {
    const out = await tempDir('cranfield');
    const prefix = uniquePrefix('cranfield');
    cleanups.push(out.remove, () => deletePrefix(redisUrl(), prefix));
    const { logger } = captureLogs('info');

    const report = await runPipeline(
      { input: join(cranfield, 'pairs.csv.gz'), qrels: join(cranfield, 'qrels.trec'), out: out.dir, redisUrl: redisUrl(), prefix, concurrency: 8 },
      logger,
      { ...process.env, RERANK_API_URL: '' },
    );
    expect(report.exitCode).toBe(0);
    expect(report.summary.failedPairs).toBe(0);

    const ranked = (await readFile(join(out.dir, 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(ranked).toHaveLength(22_471);
    const keys = new Set(ranked.map((line) => line.split(' ').slice(0, 3).join(' ')));
    expect(keys.size).toBe(22_471);
    const run = (await readFile(join(cranfield, 'bm25.run'), 'utf8')).trim().split('\n');
    expect(new Set(run.map((line) => line.split(' ').slice(0, 3).join(' ')))).toEqual(keys);

    const metrics = JSON.parse(await readFile(join(out.dir, 'metrics.json'), 'utf8')) as { baseline: Record<string, number>; reranked: Record<string, number> };
    const reference = parseTrecEvalAll(await readFile(join(cranfield, 'reference', 'bm25.trec_eval.txt'), 'utf8'));
    expect(reference.size).toBeGreaterThan(10);
    for (const [measure, value] of reference) {
      expect(metrics.baseline[measure], measure).toBeDefined();
      expect(asTrecEval(measure, metrics.baseline[measure] as number), measure).toBe(value);
    }
    expect(metrics.reranked.ndcg).toBeGreaterThan(0);

    const manifest = JSON.parse(await readFile(join(out.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.builtin_server).toBe(true);
    expect((manifest.counts as Record<string, number>).pairs).toBe(22_471);
    expect(await readFile(join(out.dir, 'failures.jsonl'), 'utf8')).toBe('');
  });
});
