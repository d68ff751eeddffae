import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolItem, type SpoolRecord } from '../../src/collect/spool.js';
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
});
