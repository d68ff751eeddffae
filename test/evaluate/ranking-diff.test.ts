import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';
import {
  diffQuery,
  diffRankings,
  formatRankingDiff,
  kendallTau,
  rankBiasedOverlap,
  rankingDiffJson,
  topKOverlap,
} from '../../src/evaluate/ranking-diff.js';
import { mulberry32 } from '../../src/mulberry32.js';

const ranks = (ids: readonly string[]): Map<string, number> => new Map(ids.map((id, i) => [id, i + 1]));
const tau = (a: readonly string[], b: readonly string[]): number => kendallTau(a, ranks(b));
const letters = (n: number): string[] => Array.from({ length: n }, (_, i) => `d${i}`);

/** Kendall's tau by its definition, over every pair of shared documents (O(n^2)). */
function bruteTau(a: readonly string[], b: readonly string[]): number {
  const rankB = ranks(b);
  const shared = a.filter((id) => rankB.has(id));
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < shared.length; i++) {
    for (let j = i + 1; j < shared.length; j++) {
      // shared is in A's order, so i is above j in A.
      if ((rankB.get(shared[i] ?? '') ?? 0) < (rankB.get(shared[j] ?? '') ?? 0)) concordant++;
      else discordant++;
    }
  }
  return (concordant - discordant) / (concordant + discordant);
}

/** RBO_ext by eq. 32 of Webber et al. term by term, the overlaps counted with sets at every depth. */
function bruteRbo(a: readonly string[], b: readonly string[], p: number): number {
  const [S, L] = a.length <= b.length ? [a, b] : [b, a];
  const s = S.length;
  const l = L.length;
  const X = (d: number): number => {
    const top = new Set(L.slice(0, d));
    return S.slice(0, d).filter((id) => top.has(id)).length;
  };
  let sum = 0;
  for (let d = 1; d <= l; d++) sum += (X(d) / d) * p ** d;
  for (let d = s + 1; d <= l; d++) sum += ((X(s) * (d - s)) / (s * d)) * p ** d;
  return ((1 - p) / p) * sum + ((X(l) - X(s)) / l + X(s) / s) * p ** l;
}

describe('Kendall tau', () => {
  it('is 1 for identical rankings and -1 for a reversed one', () => {
    const a = letters(12);
    expect(tau(a, a)).toBe(1);
    expect(tau(a, [...a].reverse())).toBe(-1);
  });

  it('counts discordant pairs: one swap among 4 documents gives (5 - 1) / 6', () => {
    expect(tau(['a', 'b', 'c', 'd'], ['b', 'a', 'c', 'd'])).toBeCloseTo(2 / 3, 15);
  });

  it('leaves documents in only one ranking out: only the order of the shared ones counts', () => {
    // Shared: a, b, c; A orders them a b c, B c b a (x and y are ignored, not ranked last).
    expect(tau(['a', 'b', 'c', 'x'], ['c', 'y', 'b', 'a'])).toBe(-1);
    expect(tau(['x', 'a', 'b'], ['a', 'y', 'z', 'b'])).toBe(1);
  });

  it('is NaN with fewer than two shared documents', () => {
    expect(tau(['a', 'b'], ['c', 'd'])).toBeNaN();
    expect(tau(['a', 'b'], ['a', 'c'])).toBeNaN();
    expect(tau([], [])).toBeNaN();
  });

  it('agrees with the O(n^2) definition on random rankings (merge-sort inversion count)', () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 50; trial++) {
      const pool = letters(40);
      const a = pool.filter(() => random() < 0.8).sort(() => random() - 0.5);
      const b = pool.filter(() => random() < 0.8).sort(() => random() - 0.5);
      expect(tau(a, b)).toBeCloseTo(bruteTau(a, b), 12);
    }
  });
});

describe('rank-biased overlap (RBO_ext)', () => {
  it('is 1 for identical rankings of any length and 0 for disjoint ones', () => {
    for (const n of [1, 3, 10, 1000]) expect(rankBiasedOverlap(letters(n), letters(n), 0.9)).toBeCloseTo(1, 12);
    expect(rankBiasedOverlap(['a', 'b', 'c'], ['x', 'y', 'z'], 0.9)).toBe(0);
    expect(rankBiasedOverlap(['a', 'b'], ['x', 'y', 'z', 'w'], 0.5)).toBe(0);
  });

  it('matches a value computed by hand for even lengths (eq. 30)', () => {
    // A = a b c, B = b a d, p = 0.9, l = 3. Overlaps: X1 = |{a} ∩ {b}| = 0, X2 = |{a,b} ∩ {b,a}| = 2,
    // X3 = |{a,b,c} ∩ {b,a,d}| = 2.
    // Σ X_d/d p^d = 0·0.9 + (2/2)·0.81 + (2/3)·0.729 = 0.81 + 0.486 = 1.296
    // RBO_ext = (1-p)/p · 1.296 + X3/3 · p^3 = (0.1/0.9)·1.296 + (2/3)·0.729 = 0.144 + 0.486 = 0.630
    expect(rankBiasedOverlap(['a', 'b', 'c'], ['b', 'a', 'd'], 0.9)).toBeCloseTo(0.63, 12);
  });

  it('matches a value computed by hand for uneven lengths (eq. 32)', () => {
    // L = A = a b c d (l = 4), S = B = a c (s = 2), p = 0.9. X1 = |{a} ∩ {a}| = 1, X2 = |{a,c} ∩ {a,b}| = 1,
    // beyond s all of S counts: X3 = |{a,c} ∩ {a,b,c}| = 2, X4 = 2. So X_s = 1, X_l = 2.
    // Σ_{d=1..4} X_d/d p^d = 0.9 + 0.81/2 + (2/3)·0.729 + (2/4)·0.6561 = 0.9 + 0.405 + 0.486 + 0.32805 = 2.11905
    // Σ_{d=3..4} X_s (d-s)/(s d) p^d = 0.729·1/6 + 0.6561·2/8 = 0.1215 + 0.164025 = 0.285525
    // (1-p)/p · (2.11905 + 0.285525) = 2.404575 / 9 = 0.267175
    // ((X_l - X_s)/l + X_s/s) p^l = (1/4 + 1/2)·0.6561 = 0.492075
    // RBO_ext = 0.267175 + 0.492075 = 0.75925
    expect(rankBiasedOverlap(['a', 'b', 'c', 'd'], ['a', 'c'], 0.9)).toBeCloseTo(0.75925, 12);
    expect(rankBiasedOverlap(['a', 'c'], ['a', 'b', 'c', 'd'], 0.9)).toBeCloseTo(0.75925, 12);
  });

  it('is symmetric and agrees with eq. 32 computed term by term on random rankings', () => {
    const random = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const pool = letters(60);
      const a = pool.filter(() => random() < 0.5).sort(() => random() - 0.5);
      const b = pool.filter(() => random() < 0.3).sort(() => random() - 0.5);
      const p = [0.5, 0.9, 0.98][trial % 3] ?? 0.9;
      expect(rankBiasedOverlap(a, b, p)).toBeCloseTo(bruteRbo(a, b, p), 12);
      expect(rankBiasedOverlap(b, a, p)).toBeCloseTo(rankBiasedOverlap(a, b, p), 12);
    }
  });

  it('is 1 for two empty rankings and 0 when only one is empty', () => {
    expect(rankBiasedOverlap([], [], 0.9)).toBe(1);
    expect(rankBiasedOverlap(['a'], [], 0.9)).toBe(0);
  });
});

describe('top-k overlap', () => {
  it('is 1 for identical rankings, 0 for disjoint ones, and always divided by k', () => {
    expect(topKOverlap(letters(20), letters(20), 10)).toBe(1);
    expect(topKOverlap(['a', 'b'], ['c', 'd'], 2)).toBe(0);
    // Only 5 documents each: 5 / 10 even though they are the same.
    expect(topKOverlap(letters(5), letters(5), 10)).toBe(0.5);
    // Same set, other order: the overlap ignores order.
    expect(topKOverlap(['a', 'b', 'c'], ['c', 'b', 'a'], 3)).toBe(1);
  });
});

describe('diffQuery', () => {
  it('counts shared documents and documents in only one ranking, and whether the top k changed', () => {
    const q = diffQuery('q', ['a', 'b', 'c', 'x'], ['c', 'y', 'b', 'a', 'z'], { rboP: 0.9, topK: 2 });
    expect(q).toMatchObject({ docsA: 4, docsB: 5, docsInBoth: 3, docsOnlyInA: 1, docsOnlyInB: 2, kendallTau: -1, topKOverlap: 0, topKChanged: true });
    expect(q.topKOverlap).toBe(topKOverlap(['a', 'b', 'c', 'x'], ['c', 'y', 'b', 'a', 'z'], 2));
    expect(q.rbo).toBeCloseTo(rankBiasedOverlap(['a', 'b', 'c', 'x'], ['c', 'y', 'b', 'a', 'z'], 0.9), 15);
    const same = diffQuery('q', letters(12), letters(12), { rboP: 0.9, topK: 10 });
    expect(same).toMatchObject({ kendallTau: 1, topKOverlap: 1, topKChanged: false, docsOnlyInA: 0, docsOnlyInB: 0 });
    expect(same.rbo).toBeCloseTo(1, 12);
    // The same top 2, changes below: not a top-2 change.
    expect(diffQuery('q', ['a', 'b', 'c', 'd'], ['a', 'b', 'd', 'c'], { rboP: 0.9, topK: 2 }).topKChanged).toBe(false);
  });
});

describe('diffRankings on files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rerank-diff-'));
  const trecA = join(dir, 'a.run');
  // q1: a b c d; q2: a b c; q3 only here. Ranks in the file are ignored: the scores rank.
  writeFileSync(trecA, ['1 Q0 a 9 4 x', '1 Q0 b 9 3 x', '2 Q0 a 1 3 x', '1 Q0 c 9 2 x', '1 Q0 d 9 1 x', '2 Q0 b 2 2 x', '2 Q0 c 3 1 x', '3 Q0 a 1 1 x', ''].join('\n'));
  const jsonlB = join(dir, 'b.jsonl');
  // q1: b and a tied (trec_eval order: doc ids descending, so b then a), then c d: one swap of 6 pairs.
  // q2: reversed. q4 only here.
  const line = (queryId: string, results: [string, number][]): string =>
    JSON.stringify({ query_id: queryId, query: 't', results: results.map(([doc_id, score], i) => ({ doc_id, score, rank: i + 1 })) });
  writeFileSync(
    jsonlB,
    [
      line('1', [['a', 5], ['b', 5], ['c', 2], ['d', 1]]),
      line('2', [['c', 3], ['b', 2], ['a', 1]]),
      line('4', [['z', 1]]),
      '',
    ].join('\n'),
  );

  it('reads a TREC run and a ranked.jsonl, orders ties as trec_eval, and summarises', async () => {
    const diff = await diffRankings({ a: trecA, b: jsonlB, topK: 2 });
    expect(diff.perQuery.map((q) => q.queryId)).toEqual(['1', '2', '3', '4']);
    const [q1, q2, q3, q4] = diff.perQuery;
    expect(q1).toMatchObject({ inA: true, inB: true, docsInBoth: 4, topKOverlap: 1, topKChanged: true });
    expect(q1?.kendallTau).toBeCloseTo(2 / 3, 15);
    expect(q1?.rbo).toBeCloseTo(rankBiasedOverlap(['a', 'b', 'c', 'd'], ['b', 'a', 'c', 'd'], 0.9), 15);
    expect(q2).toMatchObject({ kendallTau: -1, topKChanged: true, topKOverlap: 0.5 });
    expect(q3).toMatchObject({ inA: true, inB: false, docsOnlyInA: 1, rbo: 0, topKOverlap: 0, topKChanged: false });
    expect(q3?.kendallTau).toBeNaN();
    expect(q4).toMatchObject({ inA: false, inB: true, docsOnlyInB: 1 });
    expect(diff.summary).toMatchObject({
      queries: 4,
      queriesInBoth: 2,
      queriesOnlyInA: ['3'],
      queriesOnlyInB: ['4'],
      topKChanged: 2,
      tauQueries: 2,
      meanTopKOverlap: 0.75,
      meanDocsOnlyInA: 0,
      meanDocsOnlyInB: 0,
    });
    expect(diff.summary.meanKendallTau).toBeCloseTo((2 / 3 - 1) / 2, 15);
    expect(diff.summary.meanRbo).toBeCloseTo(((q1?.rbo ?? 0) + (q2?.rbo ?? 0)) / 2, 15);
    // Lowest RBO first: the reversed query 2.
    expect(diff.mostMoved.map((q) => q.queryId)).toEqual(['2', '1']);
    expect((await diffRankings({ a: trecA, b: jsonlB, mostMoved: 1 })).mostMoved.map((q) => q.queryId)).toEqual(['2']);
  });

  it('gives JSON with NaN as null, and text with the summary first', async () => {
    const diff = await diffRankings({ a: trecA, b: trecA });
    const json = rankingDiffJson(diff) as { summary: { mean: Record<string, number | null> }; per_query: Record<string, Record<string, unknown>> };
    expect(json.summary.mean).toMatchObject({ kendall_tau: 1, docs_only_in_a: 0 });
    // Query 3 has one document: no pair to order.
    expect(json.per_query['3']).toMatchObject({ kendall_tau: null, in_a: true, in_b: true });
    const text = formatRankingDiff(diff);
    expect(text.split('\n').slice(0, 3)).toEqual([`A = ${trecA}`, `B = ${trecA}`, 'summary']);
    expect(text).toMatch(/^queries in both\s+3$/m);
    expect(text).toMatch(/^mean kendall_tau\s+1\.0000 \(2 queries with 2\+ shared documents\)$/m);
    expect(text).toMatch(/^query\s+kendall_tau\s+rbo\s+overlap@10\s+only A\s+only B\s+docs A\s+docs B$/m);
  });

  it('refuses bad options and bad files with coded errors', async () => {
    await expect(diffRankings({ a: trecA, b: jsonlB, rboP: 1 })).rejects.toBeInstanceOf(UsageError);
    await expect(diffRankings({ a: trecA, b: jsonlB, rboP: 0 })).rejects.toBeInstanceOf(UsageError);
    await expect(diffRankings({ a: trecA, b: jsonlB, topK: 0 })).rejects.toBeInstanceOf(UsageError);
    await expect(diffRankings({ a: trecA, b: jsonlB, mostMoved: -1 })).rejects.toBeInstanceOf(UsageError);
    await expect(diffRankings({ a: '', b: jsonlB })).rejects.toBeInstanceOf(UsageError);
    const twice = join(dir, 'twice.jsonl');
    writeFileSync(twice, `${line('1', [['a', 1]])}\n${line('1', [['b', 1]])}\n`);
    await expect(diffRankings({ a: trecA, b: twice })).rejects.toMatchObject({ code: 'ERR_RUN_DUPLICATE_QUERY', line: 2 });
    await expect(diffRankings({ a: twice, b: trecA })).rejects.toMatchObject({ code: 'ERR_RUN_DUPLICATE_QUERY', file: twice });
    await expect(diffRankings({ a: join(dir, 'missing.run'), b: trecA })).rejects.toMatchObject({ code: 'ERR_INPUT_FILE' });
    const bad = join(dir, 'bad.run');
    writeFileSync(bad, '1 Q0 a 1 x y\n');
    await expect(diffRankings({ a: trecA, b: bad })).rejects.toBeInstanceOf(InputError);
  });
});
