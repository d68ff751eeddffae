import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { compare, evaluate, formatComparison, mulberry32, pairedTTest, studentTTwoSidedP, type EvaluationResult, type Qrels, type ScoredDoc } from '../../src/evaluate/index.js';

/** Two-sided p by Simpson integration of the t density, an independent check of the incomplete beta. */
function simpsonP(t: number, df: number): number {
  const logC = lgammaRef((df + 1) / 2) - lgammaRef(df / 2) - 0.5 * Math.log(df * Math.PI);
  const pdf = (x: number): number => Math.exp(logC - ((df + 1) / 2) * Math.log1p((x * x) / df));
  const steps = 200_000;
  const h = Math.abs(t) / steps;
  let sum = pdf(0) + pdf(Math.abs(t));
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * pdf(i * h);
  return 1 - 2 * ((sum * h) / 3);
}
/** lgamma for half-integers, exactly from the recurrences (Γ(1)=1, Γ(1/2)=√π). */
function lgammaRef(x: number): number {
  let value = Number.isInteger(x) ? 0 : 0.5 * Math.log(Math.PI);
  for (let y = Number.isInteger(x) ? 1 : 0.5; y < x; y++) value += Math.log(y);
  return value;
}

describe('Student t p-values', () => {
  it('matches closed forms', () => {
    // df = 1 (Cauchy): P(|T| >= 1) = 1/2.
    expect(studentTTwoSidedP(1, 1)).toBeCloseTo(0.5, 12);
    // df = 2: p = 1 - |t| / sqrt(t^2 + 2).
    for (const t of [0.3, 1, 2.5, 10]) expect(studentTTwoSidedP(t, 2)).toBeCloseTo(1 - t / Math.sqrt(t * t + 2), 12);
  });

  it('matches the table: t(0.975, 10) = 2.228139 gives p = 0.05; t(0.995, 30) = 2.749996 gives p = 0.01', () => {
    expect(studentTTwoSidedP(2.228138852, 10)).toBeCloseTo(0.05, 8);
    expect(studentTTwoSidedP(2.749995652, 30)).toBeCloseTo(0.01, 8);
  });

  it('matches numeric integration of the density', () => {
    for (const [t, df] of [[0.5, 3], [2, 10], [3.1, 24], [1.2, 224], [4, 75]] as const) {
      expect(studentTTwoSidedP(t, df), `t=${t} df=${df}`).toBeCloseTo(simpsonP(t, df), 9);
    }
  });

  it('paired t-test on differences [1, 2, 3]: t = 2*sqrt(3), df 2, p = 1 - sqrt(6/7) = 0.0741799', () => {
    const r = pairedTTest([1, 2, 3]);
    expect(r.df).toBe(2);
    expect(r.t).toBeCloseTo(2 * Math.sqrt(3), 12);
    expect(r.pValue).toBeCloseTo(0.0741799002, 9);
  });

  it('edge cases: all zero -> 1, constant non-zero -> 0, one pair -> NaN', () => {
    expect(pairedTTest([0, 0, 0]).pValue).toBe(1);
    expect(pairedTTest([0.1, 0.1, 0.1]).pValue).toBe(0);
    expect(pairedTTest([0.3]).pValue).toBeNaN();
  });
});

describe('compare', () => {
  // Four queries, one relevant document each; A and B rank it differently.
  const qrels: Qrels = new Map(['q1', 'q2', 'q3', 'q4'].map((q) => [q, new Map([['rel', 1]])]));
  const ranking = (relRank: number): ScoredDoc[] => ['x1', 'x2', 'x3'].map((d, i) => ({ docId: d, score: 10 - i - (i >= relRank - 1 ? 1 : 0) })).concat([{ docId: 'rel', score: 10 - relRank + 1 }]);
  // recip_rank per query, A: 1, 1/2, 1/3, 1 ; B: 1, 1, 1, 1/2 (q4 missing from B's run would be 0; here it ranks 2nd)
  const a = evaluate(qrels, new Map([['q1', ranking(1)], ['q2', ranking(2)], ['q3', ranking(3)], ['q4', ranking(1)]]), { measures: ['num_q', 'recip_rank', 'P.1'] });
  const b = evaluate(qrels, new Map([['q1', ranking(1)], ['q2', ranking(1)], ['q3', ranking(1)], ['q4', ranking(2)]]), { measures: ['num_q', 'recip_rank', 'P.1'] });

  it('counts wins, ties and losses per query (b vs a) and skips count measures', () => {
    expect(a.perQuery.get('q3')?.['recip_rank']).toBeCloseTo(1 / 3, 12);
    const [rr, p1] = compare(a, b);
    expect(compare(a, b).map((c) => c.measure)).toEqual(['recip_rank', 'P_1']);
    expect(rr).toMatchObject({ wins: 2, ties: 1, losses: 1 });
    expect(rr?.delta).toBeCloseTo((0 + 0.5 + 2 / 3 - 0.5) / 4, 12);
    expect(p1).toMatchObject({ a: 0.5, b: 0.75, wins: 2, ties: 1, losses: 1 });
    // P_1 differences [0, 1, 1, -1]: mean 1/4, sd = sqrt(11/12), t = 0.25 / (sd/2) = 0.522233, df 3
    expect(p1?.pValue).toBeCloseTo(studentTTwoSidedP(0.25 / (Math.sqrt(11 / 12) / 2), 3), 12);
  });

  it('bootstrap interval is deterministic for a seed and brackets the delta', () => {
    const first = compare(a, b, { bootstrapSamples: 2000, seed: 7 });
    const again = compare(a, b, { bootstrapSamples: 2000, seed: 7 });
    expect(again).toEqual(first);
    for (const c of first) {
      expect(c.ciLow).toBeLessThanOrEqual(c.delta);
      expect(c.ciHigh).toBeGreaterThanOrEqual(c.delta);
    }
  });

  it('bootstrap percentile interval: seeded, near the normal interval, changes with the seed', () => {
    // 60 synthetic queries; B = A + 0.05 + noise.
    const random = mulberry32(1);
    const synthetic = (shift: number): EvaluationResult => {
      const perQuery = new Map<string, Record<string, number>>();
      for (let i = 0; i < 60; i++) perQuery.set(`q${i}`, { map: i / 60 + shift * (0.5 + random()) });
      const mean = [...perQuery.values()].reduce((s, v) => s + (v['map'] ?? 0), 0) / 60;
      return { measures: ['map'], mean: { map: mean }, perQuery, ignoredRunQueries: [] };
    };
    const x = synthetic(0);
    const y = synthetic(0.05);
    const [c] = compare(x, y, { seed: 3 });
    const [again] = compare(x, y, { seed: 3 });
    const [other] = compare(x, y, { seed: 4 });
    expect(again).toEqual(c);
    expect([other?.ciLow, other?.ciHigh]).not.toEqual([c?.ciLow, c?.ciHigh]);
    // Normal approximation: delta +- 1.96 * sd / sqrt(n); the percentile interval should be close.
    const diffs = [...x.perQuery.keys()].map((q) => (y.perQuery.get(q)?.['map'] ?? 0) - (x.perQuery.get(q)?.['map'] ?? 0));
    const mean = diffs.reduce((s, d) => s + d, 0) / 60;
    const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / 59);
    expect(c?.ciLow).toBeCloseTo(mean - (1.96 * sd) / Math.sqrt(60), 2);
    expect(c?.ciHigh).toBeCloseTo(mean + (1.96 * sd) / Math.sqrt(60), 2);
    expect(c?.wins).toBe(60);
  });

  it('identical runs: p = 1, interval [0, 0], all ties', () => {
    const [rr] = compare(a, a);
    expect(rr).toMatchObject({ delta: 0, pValue: 1, ciLow: 0, ciHigh: 0, wins: 0, ties: 4, losses: 0 });
    expect(formatComparison(compare(a, a))).toContain('recip_rank');
  });

  it('refuses results over different query sets', () => {
    const c = evaluate(new Map([['q1', new Map([['rel', 1]])]]), new Map(), { measures: ['recip_rank'] });
    expect(() => compare(a, c)).toThrow(UsageError);
  });
});
