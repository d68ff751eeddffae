import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolItem, type SpoolRecord } from '../../src/collect/spool.js';
import { compare, evaluate, type Qrels, type ScoredDoc } from '../../src/evaluate/index.js';
import { BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED } from '../../src/write/metrics.js';
import { writeOutputs } from '../../src/write/write-outputs.js';
import { tempDir } from '../helpers/paths.js';

let remove: (() => Promise<void>) | undefined;
afterEach(async () => {
  await remove?.();
  remove = undefined;
});

function scored(job: string, queryId: string, items: [string, number][]): SpoolRecord {
  return { t: 'ok', job, q: queryId, query: `query ${queryId}`, items: items.map(([docId, score]) => [docId, score, null, null]), requests: 1, rateLimited: 0, attempts: 1 };
}

describe('writeOutputs', () => {
  it('writes a candidate scored in two batches once, with its best score, whatever the collection order', async () => {
    const outputs: string[] = [];
    for (const order of [
      ['b-1', 'b-2'],
      ['b-2', 'b-1'],
    ]) {
      const temp = await tempDir('write-outputs');
      remove = temp.remove;
      const spool = await Spool.open(join(temp.dir, 'run.spool'));
      // The reader could not see that (q1, a) came back far from its first block: it was scored twice.
      const records: Record<string, SpoolRecord> = {
        'b-1': scored('b-1', 'q1', [['a', 0.5], ['b', 0.25]]),
        'b-2': scored('b-2', 'q1', [['c', 0.75], ['a', 0.625]]),
      };
      for (const job of order) await spool.append([records[job] as SpoolRecord]);
      const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't' });
      spool.close();
      expect(summary.scoredPairs).toBe(3);
      expect(summary.repeatsDropped).toBe(1);
      outputs.push(await readFile(join(temp.dir, 'ranked.trec'), 'utf8'));
      await temp.remove();
      remove = undefined;
    }
    expect(outputs[0]).toBe(outputs[1]);
    expect(outputs[0]?.trim().split('\n').map((line) => line.split(' ').slice(2, 4).join(' '))).toEqual(['c 1', 'a 2', 'b 3']);
    expect(outputs[0]).toContain('q1 Q0 a 2 0.625 t');
  });

  it('leaves the summary without repeatsDropped when there were none', async () => {
    const temp = await tempDir('write-outputs');
    remove = temp.remove;
    const spool = await Spool.open(join(temp.dir, 'run.spool'));
    await spool.append([scored('b-1', 'q1', [['a', 1], ['b', 2]])]);
    const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't' });
    spool.close();
    expect(summary).not.toHaveProperty('repeatsDropped');
    expect(summary.scoredPairs).toBe(2);
  });

  it('writes ranked.jsonl lines byte for byte as JSON.stringify would, with ranks from the first stage', async () => {
    const temp = await tempDir('write-outputs');
    remove = temp.remove;
    const spool = await Spool.open(join(temp.dir, 'run.spool'));
    const query = 'naïve "quoted" \\ query\twith 🙂 and \u2028';
    await spool.append([
      {
        t: 'ok',
        job: 'b-1',
        q: 'q "1"',
        query,
        // Scores and first-stage values that print differently: exponents, tiny, negative zero, nulls.
        items: [
          ['dé"1', 1e21, 12.5, 1],
          ['d\\2', 5e-7, null, 3],
          ['d3', -0, -1.25, null],
          ['d4', 0.1 + 0.2, 7, 2],
          ['d5', null, 1, 4],
        ],
        requests: 1,
        rateLimited: 0,
        attempts: 1,
      },
    ]);
    await writeOutputs(spool, { outDir: temp.dir, runTag: 'tag' });
    spool.close();
    const jsonl = await readFile(join(temp.dir, 'ranked.jsonl'), 'utf8');
    const results = [
      { doc_id: 'dé"1', score: 1e21, rank: 1, original_rank: 1, original_score: 12.5 },
      { doc_id: 'd4', score: 0.1 + 0.2, rank: 2, original_rank: 2, original_score: 7 },
      { doc_id: 'd\\2', score: 5e-7, rank: 3, original_rank: 3, original_score: null },
      // No first-stage rank of its own: its place in the first-stage order is missing too, since not every
      // candidate has a score or a rank.
      { doc_id: 'd3', score: -0, rank: 4, original_rank: null, original_score: -1.25 },
      // Unscored (empty text): below every API score.
      { doc_id: 'd5', score: -1, rank: 5, original_rank: 4, original_score: 1 },
    ];
    expect(jsonl).toBe(`${JSON.stringify({ query_id: 'q "1"', query, results })}\n`);
    const trec = await readFile(join(temp.dir, 'ranked.trec'), 'utf8');
    expect(trec.split('\n').slice(0, 3)).toEqual(['q "1" Q0 dé"1 1 1e+21 tag', 'q "1" Q0 d4 2 0.30000000000000004 tag', 'q "1" Q0 d\\2 3 5e-7 tag']);
  });

  it('ranks the first stage by its scores when the input had no ranks, and leaves original_rank null when it had neither', async () => {
    const temp = await tempDir('write-outputs');
    remove = temp.remove;
    const spool = await Spool.open(join(temp.dir, 'run.spool'));
    const item = (docId: string, score: number, originalScore: number | null): [string, number, number | null, null] => [docId, score, originalScore, null];
    await spool.append([
      // Query 1: first-stage scores only (a BM25 run without ranks); ties broken by doc id as trec_eval does.
      { t: 'ok', job: 'b-1', q: '1', query: 'one', items: [item('a', 0.1, 3), item('b', 0.9, 5)], requests: 1, rateLimited: 0, attempts: 1 },
      { t: 'ok', job: 'b-2', q: '1', query: 'one', items: [item('c', 0.5, 5), item('d', 0.7, 1)], requests: 1, rateLimited: 0, attempts: 1 },
      // Query 2: one candidate without a first-stage score, so there is no first-stage order.
      { t: 'ok', job: 'b-3', q: '2', query: 'two', items: [item('x', 0.2, 2), item('y', 0.4, null)], requests: 1, rateLimited: 0, attempts: 1 },
    ]);
    await writeOutputs(spool, { outDir: temp.dir, runTag: 'tag' });
    spool.close();
    const lines = (await readFile(join(temp.dir, 'ranked.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { results: { doc_id: string; original_rank: number | null }[] });
    expect(lines.map((line) => line.results.map((r) => [r.doc_id, r.original_rank]))).toEqual([
      [['b', 2], ['d', 4], ['c', 1], ['a', 3]],
      [['y', null], ['x', null]],
    ]);
  });

  it('ranks an empty-text candidate last in a query of 150,000 candidates (no spread of every score)', async () => {
    const temp = await tempDir('write-outputs');
    remove = temp.remove;
    const spool = await Spool.open(join(temp.dir, 'run.spool'));
    const items: SpoolItem[] = Array.from({ length: 150_000 }, (_, i): SpoolItem => [`d${i}`, i / 1000, null, null]);
    items.push(['empty', null, null, null]);
    await spool.append([{ t: 'ok', job: 'b-1', q: 'q', query: 'big', items, requests: 1, rateLimited: 0, attempts: 1 }]);
    const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't' });
    spool.close();
    expect(summary).toMatchObject({ scoredPairs: 150_000, unscoredPairs: 1 });
    const trec = (await readFile(join(temp.dir, 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(trec).toHaveLength(150_001);
    expect(trec.at(-1)).toBe('q Q0 empty 150001 -1 t');
  });

  describe('with a query that has no first-stage order', () => {
    // Qrels: q1, q2, q3 in the run; q4 judged but absent from the run (scores 0 under -c, for both).
    const qrels: Qrels = new Map([
      ['q1', new Map([['a', 2], ['b', 0], ['c', 1]])],
      ['q2', new Map([['d', 1], ['e', 1]])],
      ['q3', new Map([['g', 3], ['h', 1]])],
      ['q4', new Map([['z', 1]])],
    ]);
    // [docId, reranked score, first-stage score, first-stage rank]
    const items: Record<string, SpoolItem[]> = {
      q1: [['a', 0.9, 1, null], ['b', 0.5, 3, null], ['c', 0.1, 2, null]],
      q2: [['d', 0.2, null, 2], ['e', 0.3, null, 3], ['f', 0.8, null, 1]],
      // h has neither a first-stage score nor a rank: q3 has no first-stage order.
      q3: [['g', 0.7, 5, 1], ['h', 0.6, null, null]],
    };
    const record = (queryId: string): SpoolRecord => ({ t: 'ok', job: `b-${queryId}`, q: queryId, query: queryId, items: items[queryId] ?? [], requests: 1, rateLimited: 0, attempts: 1 });
    const run = (pick: (item: SpoolItem) => number, queryIds: string[]): Map<string, ScoredDoc[]> =>
      new Map(queryIds.map((queryId) => [queryId, (items[queryId] ?? []).map((item) => ({ docId: item[0], score: pick(item) }))]));
    const baselineOrder = (item: SpoolItem): number => item[2] ?? -(item[3] ?? Number.NaN);
    const rerankedScore = (item: SpoolItem): number => item[1] ?? Number.NaN;
    const without = (queryId: string): Qrels => new Map([...qrels].filter(([id]) => id !== queryId));

    interface MetricsJson {
      reranked: Record<string, number>;
      baseline?: Record<string, number>;
      comparison?: Record<string, { baseline: number; reranked: number; delta: number; wins: number; ties: number; losses: number }>;
      baseline_queries?: number;
      queries_without_baseline: number;
    }

    it('keeps the baseline over the queries that have one, compares over those, and says how many were left out', async () => {
      const temp = await tempDir('write-outputs');
      remove = temp.remove;
      const spool = await Spool.open(join(temp.dir, 'run.spool'));
      await spool.append(['q1', 'q2', 'q3'].map(record));
      const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't', qrels });
      spool.close();
      expect(summary.queriesWithoutBaseline).toBe(1);

      const metrics = JSON.parse(await readFile(join(temp.dir, 'metrics.json'), 'utf8')) as MetricsJson;
      // Reranked: every qrels query, as before.
      const reranked = evaluate(qrels, run(rerankedScore, ['q1', 'q2', 'q3']));
      expect(metrics.reranked).toEqual(reranked.mean);
      // Baseline: the qrels without q3, exactly as the evaluator computes it over those queries.
      const baseline = evaluate(without('q3'), run(baselineOrder, ['q1', 'q2']));
      expect(metrics.baseline).toEqual(baseline.mean);
      expect(metrics.baseline?.['num_q']).toBe(3);
      expect(metrics.baseline?.['num_rel']).toBe(5); // q1: a, c; q2: d, e; q4: z (q3's g, h left out)
      expect(summary.metrics?.baseline?.mean).toEqual(baseline.mean);
      expect(metrics.baseline_queries).toBe(3);
      expect(metrics.queries_without_baseline).toBe(1);
      // Comparison: reranked against baseline over the same three queries.
      const rerankedOnBaselineQueries = evaluate(without('q3'), run(rerankedScore, ['q1', 'q2']));
      const expected = compare(baseline, rerankedOnBaselineQueries, { seed: BOOTSTRAP_SEED, bootstrapSamples: BOOTSTRAP_SAMPLES });
      for (const c of expected) {
        expect(metrics.comparison?.[c.measure], c.measure).toMatchObject({ baseline: c.a, reranked: c.b, delta: c.delta, wins: c.wins, ties: c.ties, losses: c.losses });
      }
      expect(metrics.comparison?.['map']?.wins).toBe(1);

      // Per query: q3 has its reranked values, and no baseline or difference.
      const csv = (await readFile(join(temp.dir, 'metrics.perquery.csv'), 'utf8')).trim().split('\n');
      expect(csv).toContain(`q3,map,,${reranked.perQuery.get('q3')?.['map']},`);
      const [b1, r1] = [baseline.perQuery.get('q1')?.['map'] ?? Number.NaN, reranked.perQuery.get('q1')?.['map'] ?? Number.NaN];
      expect(csv).toContain(`q1,map,${b1},${r1},${r1 - b1}`);
    });

    it('reports no query without a baseline when every query has a first-stage order', async () => {
      const temp = await tempDir('write-outputs');
      remove = temp.remove;
      const spool = await Spool.open(join(temp.dir, 'run.spool'));
      await spool.append(['q1', 'q2'].map(record));
      const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't', qrels });
      spool.close();
      expect(summary).not.toHaveProperty('queriesWithoutBaseline');
      const metrics = JSON.parse(await readFile(join(temp.dir, 'metrics.json'), 'utf8')) as MetricsJson;
      expect(metrics.baseline).toEqual(evaluate(qrels, run(baselineOrder, ['q1', 'q2'])).mean);
      expect(metrics.baseline_queries).toBe(4);
      expect(metrics.queries_without_baseline).toBe(0);
    });

    it('writes no baseline when no qrels query has a first-stage order, and says so', async () => {
      const temp = await tempDir('write-outputs');
      remove = temp.remove;
      const spool = await Spool.open(join(temp.dir, 'run.spool'));
      await spool.append([record('q3')]);
      const only3: Qrels = new Map([['q3', qrels.get('q3') ?? new Map<string, number>()]]);
      const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't', qrels: only3 });
      spool.close();
      expect(summary.queriesWithoutBaseline).toBe(1);
      expect(summary.metrics?.baseline).toBeUndefined();
      const metrics = JSON.parse(await readFile(join(temp.dir, 'metrics.json'), 'utf8')) as MetricsJson;
      expect(metrics).not.toHaveProperty('baseline');
      expect(metrics).not.toHaveProperty('comparison');
      expect(metrics.queries_without_baseline).toBe(1);
    });
  });
});
