import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { captureLogs } from '../helpers/log-capture.js';
import { hasSharedData, parseTrecEvalAll, sharedData, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cranfield = join(sharedData, 'cranfield');
const cleanups = cleanupAfterAll();

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
      { input: join(cranfield, 'pairs.csv.gz'), qrels: join(cranfield, 'qrels.trec'), out: out.dir, redis: redisUrl(), prefix, concurrency: 8 },
      { logger, env: { ...process.env, RERANK_API_URL: '' } },
    );
    expect(report.outcome).toBe('complete');
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

    // The comparison section and the per-query CSV beside it.
    const comparison = (metrics as unknown as { comparison: Record<string, { baseline: number; reranked: number; delta: number; p_value: number; ci95_low: number; ci95_high: number; wins: number; ties: number; losses: number }> }).comparison;
    const ndcg10 = comparison.ndcg_cut_10;
    expect(ndcg10).toBeDefined();
    expect(ndcg10?.baseline).toBe(metrics.baseline.ndcg_cut_10);
    expect(ndcg10?.delta).toBeCloseTo((ndcg10?.reranked ?? 0) - (ndcg10?.baseline ?? 0), 12);
    expect((ndcg10?.wins ?? 0) + (ndcg10?.ties ?? 0) + (ndcg10?.losses ?? 0)).toBe(225);
    expect(ndcg10?.p_value).toBeGreaterThanOrEqual(0);
    expect(ndcg10?.p_value).toBeLessThanOrEqual(1);
    expect(ndcg10?.ci95_low).toBeLessThanOrEqual(ndcg10?.delta ?? 0);
    expect(ndcg10?.ci95_high).toBeGreaterThanOrEqual(ndcg10?.delta ?? 0);
    const csv = (await readFile(join(out.dir, 'metrics.perquery.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('query_id,measure,baseline,reranked,delta');
    const measures = Object.keys(comparison);
    expect(csv).toHaveLength(1 + 225 * measures.length);
    const row = csv.find((line) => line.startsWith('1,ndcg_cut_10,'))?.split(',');
    expect(Number(row?.[4])).toBeCloseTo(Number(row?.[3]) - Number(row?.[2]), 12);

    const manifest = JSON.parse(await readFile(join(out.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.builtin_server).toBe(true);
    expect((manifest.counts as Record<string, number>).pairs).toBe(22_471);
    expect(await readFile(join(out.dir, 'failures.jsonl'), 'utf8')).toBe('');
  });

  it('builds the pairs from bm25.run, docs.jsonl and queries.tsv (--run-file) with the same baseline', async () => {
    const out = await tempDir('cranfield-runfile');
    const prefix = uniquePrefix('runfile');
    cleanups.push(out.remove, () => deletePrefix(redisUrl(), prefix));
    const { logger } = captureLogs('info');
    const report = await runPipeline(
      {
        runFile: join(cranfield, 'bm25.run'),
        docs: join(cranfield, 'docs.jsonl'),
        queries: join(cranfield, 'queries.tsv'),
        qrels: join(cranfield, 'qrels.trec'),
        out: out.dir,
        redis: redisUrl(),
        prefix,
      },
      { logger, env: { ...process.env, RERANK_API_URL: '' } },
    );
    expect(report.outcome).toBe('complete');
    expect(report.producer.pairs).toBe(22_471);
    const metrics = JSON.parse(await readFile(join(out.dir, 'metrics.json'), 'utf8')) as { baseline: Record<string, number> };
    const reference = parseTrecEvalAll(await readFile(join(cranfield, 'reference', 'bm25.trec_eval.txt'), 'utf8'));
    for (const [measure, value] of reference) expect(asTrecEval(measure, metrics.baseline[measure] as number), measure).toBe(value);
  });
});
