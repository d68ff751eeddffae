import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { AgreementAccumulator, type Agreement } from '../../src/label/agreement.js';
import { labelOf, parseThresholds, ruleLabels, type LabelRule } from '../../src/label/label-rule.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { accumulate, naiveAuc, naiveKendallTauB, naiveSpearman, type Pair } from '../helpers/naive-stats.js';

/**
 * Pairs with many ties on both sides: scores on a grid of `scoreLevels` values, labels drawn from
 * `labelValues` by a noisy monotone function of the score.
 */
function randomPairs(seed: number, n: number, scoreLevels: number, labelValues: readonly number[]): Pair[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const level = Math.floor(random() * scoreLevels);
    const noisy = level / scoreLevels + (random() - 0.5) * 0.6;
    const index = Math.min(labelValues.length - 1, Math.max(0, Math.floor(noisy * labelValues.length)));
    return { score: level * 0.25 - 3, label: labelValues[index] ?? 0 };
  });
}

/**
 * Cohen's kappa and quadratic-weighted kappa from a confusion matrix built by hand over the union of the
 * given values and the rule's levels 0..maxLevel (weights: squared distance of positions in that union).
 */
function naiveKappas(given: readonly number[], predicted: readonly number[], levels: readonly number[]): { kappa: number | null; weighted: number | null } {
  const categories = [...new Set([...given, ...levels])].sort((a, b) => a - b);
  const k = categories.length;
  const matrix = categories.map(() => categories.map(() => 0));
  given.forEach((g, i) => {
    const row = matrix[categories.indexOf(g)];
    const column = categories.indexOf(predicted[i] ?? 0);
    if (row) row[column] = (row[column] ?? 0) + 1 / given.length;
  });
  const rows = matrix.map((r) => r.reduce((s, x) => s + x, 0));
  const columns = categories.map((_, c) => matrix.reduce((s, r) => s + (r[c] ?? 0), 0));
  let po = 0;
  let pe = 0;
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    po += matrix[i]?.[i] ?? 0;
    pe += (rows[i] ?? 0) * (columns[i] ?? 0);
    for (let j = 0; j < k; j++) {
      observed += (i - j) ** 2 * (matrix[i]?.[j] ?? 0);
      expected += (i - j) ** 2 * (rows[i] ?? 0) * (columns[j] ?? 0);
    }
  }
  return { kappa: pe === 1 ? null : (po - pe) / (1 - pe), weighted: expected === 0 ? null : 1 - observed / expected };
}

function median(sorted: readonly number[]): number {
  const h = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[h] ?? 0) : ((sorted[h - 1] ?? 0) + (sorted[h] ?? 0)) / 2;
}

function expectClose(actual: number | null, expected: number | null, message: string): void {
  if (expected === null) expect(actual, message).toBeNull();
  else {
    expect(actual, message).not.toBeNull();
    expect(Math.abs((actual ?? NaN) - expected), `${message}: ${actual} vs ${expected}`).toBeLessThan(1e-12);
  }
}

describe('label rules', () => {
  it('thresholds count the thresholds <= score; top-k labels ranks 1..k as 1', () => {
    const rule: LabelRule = { kind: 'thresholds', thresholds: [0.2, 0.5, 0.8] };
    expect([-1, 0.19, 0.2, 0.49, 0.5, 0.79, 0.8, 5].map((s) => labelOf(rule, s, 1))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(ruleLabels(rule)).toEqual([0, 1, 2, 3]);
    // Levels that name their labels (calibrated thresholds): level 2 is label 7.
    const named: LabelRule = { kind: 'thresholds', thresholds: [0.2, 0.5], labels: [1, 2, 7] };
    expect([0.1, 0.3, 0.9].map((s) => labelOf(named, s, 1))).toEqual([1, 2, 7]);
    expect(ruleLabels(named)).toEqual([1, 2, 7]);
    const topK: LabelRule = { kind: 'top-k', k: 2 };
    expect([1, 2, 3].map((r) => labelOf(topK, 0, r))).toEqual([1, 1, 0]);
    expect(ruleLabels(topK)).toEqual([0, 1]);
  });

  it('parses ascending finite thresholds and rejects anything else with a UsageError', () => {
    expect(parseThresholds(['0.2', ' .5', '8e-1'])).toEqual([0.2, 0.5, 0.8]);
    expect(parseThresholds(['-1.5'])).toEqual([-1.5]);
    for (const bad of [[], [''], ['abc'], ['Infinity'], ['NaN'], ['0x10'], ['1e999'], ['0.5', '0.5'], ['0.8', '0.2']]) {
      expect(() => parseThresholds(bad), JSON.stringify(bad)).toThrow(UsageError);
    }
    expect(() => parseThresholds(['0.8', '0.2'])).toThrow(/strictly ascending/);
  });
});

describe('AgreementAccumulator: tiny hand-worked examples', () => {
  // scores [1, 2, 3, 3], labels [0, 1, 0, 1]; the 6 pairs (by item number):
  // (1,2) C, (1,3) label tie, (1,4) C, (2,3) D, (2,4) label tie, (3,4) score tie.
  const tiny = [
    { score: 1, label: 0 },
    { score: 2, label: 1 },
    { score: 3, label: 0 },
    { score: 3, label: 1 },
  ];

  it('Kendall tau-b = (C - D) / sqrt((n0 - score ties)(n0 - label ties)) = (2 - 1) / sqrt(5 * 4) = 1/sqrt(20)', () => {
    expect(accumulate(tiny).result().kendallTauB).toBeCloseTo(1 / Math.sqrt(20), 14); // 0.2236067977
  });

  it('Spearman = Pearson of ranks [1, 2, 3.5, 3.5] and [1.5, 3.5, 1.5, 3.5] = 1 / sqrt(4.5 * 4)', () => {
    // Centred at 2.5: dx = [-1.5, -0.5, 1, 1], dy = [-1, 1, -1, 1]; sxy = 1.5 - 0.5 - 1 + 1 = 1, sxx = 4.5, syy = 4.
    expect(accumulate(tiny).result().spearman).toBeCloseTo(1 / Math.sqrt(18), 14); // 0.2357022604
  });

  it('AUC = U / (n1 n0) = (1 + 0 + 1 + 1/2) / 4 = 0.625', () => {
    // Positives score 2 and 3, negatives 1 and 3: 2>1 (1), 2<3 (0), 3>1 (1), 3=3 (1/2).
    expect(accumulate(tiny).result().auc).toBe(0.625);
  });

  it('kappa 0.5 and quadratic-weighted kappa 0.75 with thresholds [0.35, 0.65]', () => {
    const pairs = [0.1, 0.3, 0.4, 0.7, 0.6, 0.9].map((score, i) => ({ score, label: Math.floor(i / 2) }));
    // Predicted [0, 0, 1, 2, 1, 2] against given [0, 0, 1, 1, 2, 2]: rows given 0..2, columns predicted 0..2
    // [[2,0,0],[0,1,1],[0,1,1]]. po = 4/6; every margin is 1/3, so pe = 3 * 1/9 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 1/2.
    // Weighted: observed sum w*p = (1 + 1) / 6 = 1/3; expected = (1/9) * sum (i-j)^2 over 3x3 = 12/9; 1 - (1/3)/(4/3) = 3/4.
    const result = accumulate(pairs).result({ kind: 'thresholds', thresholds: [0.35, 0.65] });
    expect(result.kappa).toBeCloseTo(0.5, 14);
    expect(result.weightedKappa).toBeCloseTo(0.75, 14);
    expect(result.confusion).toEqual({ given: [0, 1, 2], predicted: [0, 1, 2], counts: [[2, 0, 0], [0, 1, 1], [0, 1, 1]] });
  });

  it('summarises the scores of each label', () => {
    const result = accumulate([...tiny, { score: 10, label: 0 }]).result();
    // Label 0: scores 1, 3, 10: mean 14/3; deviations -11/3, -5/3, 16/3; sd = sqrt((121 + 25 + 256) / 9 / 2) = sqrt(67/3).
    expect(result.byLabel[0]).toMatchObject({ label: 0, count: 3, min: 1, median: 3, max: 10 });
    expect(result.byLabel[0]?.mean).toBeCloseTo(14 / 3, 14);
    expect(result.byLabel[0]?.sd).toBeCloseTo(Math.sqrt(67 / 3), 14);
    expect(result.byLabel[1]).toMatchObject({ label: 1, count: 2, mean: 2.5, min: 2, median: 2.5, max: 3 });
  });
});

describe('AgreementAccumulator against naive computations', () => {
  const cases: { name: string; pairs: Pair[] }[] = [
    { name: 'labels 0..3, 12 score levels', pairs: randomPairs(1, 500, 12, [0, 1, 2, 3]) },
    { name: 'labels -1..2, 40 score levels', pairs: randomPairs(2, 517, 40, [-1, 0, 1, 2]) },
    { name: 'labels 0, 2, 7, 5 score levels', pairs: randomPairs(3, 480, 5, [0, 2, 7]) },
    { name: 'binary labels, 8 score levels', pairs: randomPairs(4, 503, 8, [0, 1]) },
    { name: 'binary labels 1 and 3, 30 score levels', pairs: randomPairs(5, 499, 30, [1, 3]) },
  ];

  for (const { name, pairs } of cases) {
    it(`matches on ${name}`, () => {
      const acc = accumulate(pairs);
      const rules: LabelRule[] = [
        { kind: 'thresholds', thresholds: [-2, -1, 0] },
        { kind: 'thresholds', thresholds: [-1.25] },
        { kind: 'thresholds', thresholds: [-2.5, -2, -0.5, 0.75, 4] },
        { kind: 'thresholds', thresholds: [-2, -1, 0], labels: [-1, 0, 2, 7] },
      ];
      const distinct = [...new Set(pairs.map((p) => p.label))].sort((a, b) => a - b);
      expect(acc.size).toBe(pairs.length);
      expect(acc.labels()).toEqual(distinct);

      const plain = acc.result();
      expect(plain.pairs).toBe(pairs.length);
      expectClose(plain.spearman, naiveSpearman(pairs), 'spearman');
      expectClose(plain.kendallTauB, naiveKendallTauB(pairs), 'kendall');
      expectClose(plain.auc, distinct.length === 2 ? naiveAuc(pairs, distinct[1] ?? 0) : null, 'auc');
      expect(plain.kappa).toBeNull();
      expect(plain.weightedKappa).toBeNull();
      expect(plain.confusion).toBeUndefined();

      expect(plain.byLabel.map((s) => s.label)).toEqual(distinct);
      for (const stats of plain.byLabel) {
        const scores = pairs.filter((p) => p.label === stats.label).map((p) => p.score).sort((a, b) => a - b);
        const mean = scores.reduce((s, x) => s + x, 0) / scores.length;
        const sd = Math.sqrt(scores.reduce((s, x) => s + (x - mean) ** 2, 0) / (scores.length - 1));
        expect(stats.count).toBe(scores.length);
        expectClose(stats.mean, mean, 'mean');
        expectClose(stats.sd, sd, 'sd');
        expect([stats.min, stats.median, stats.max]).toEqual([scores[0], median(scores), scores[scores.length - 1]]);
      }

      for (const rule of rules) {
        const result: Agreement = acc.result(rule);
        const predicted = pairs.map((p) => labelOf(rule, p.score, 0));
        const expected = naiveKappas(pairs.map((p) => p.label), predicted, ruleLabels(rule));
        expectClose(result.kappa, expected.kappa, `kappa ${JSON.stringify(rule)}`);
        expectClose(result.weightedKappa, expected.weighted, `weighted kappa ${JSON.stringify(rule)}`);
        const columns = ruleLabels(rule);
        expect(result.confusion).toEqual({
          given: distinct,
          predicted: columns,
          counts: distinct.map((g) => columns.map((c) => pairs.filter((p, i) => p.label === g && predicted[i] === c).length)),
        });
        expect(result.spearman).toBe(plain.spearman);
      }
    });
  }

  it('sorted() gives the scores ascending, each with its own label', () => {
    const pairs = randomPairs(6, 300, 9, [0, 1, 2]);
    const { scores, labels } = accumulate(pairs).sorted();
    const key = (score: number, label: number): string => `${score}/${label}`;
    expect([...scores].map((s, i) => key(s, labels[i] ?? NaN)).sort()).toEqual(pairs.map((p) => key(p.score, p.label)).sort());
    for (let i = 1; i < scores.length; i++) expect(scores[i] ?? 0).toBeGreaterThanOrEqual(scores[i - 1] ?? 0);
  });
});

describe('AgreementAccumulator edge cases', () => {
  it('constant labels: spearman, kendall and auc are null; constant scores too', () => {
    const constantLabel = accumulate([1, 2, 3, 4].map((score) => ({ score, label: 2 }))).result();
    expect([constantLabel.spearman, constantLabel.kendallTauB, constantLabel.auc]).toEqual([null, null, null]);
    const constantScore = accumulate([0, 1, 2, 1].map((label) => ({ score: 0.5, label }))).result();
    expect([constantScore.spearman, constantScore.kendallTauB, constantScore.auc]).toEqual([null, null, null]);
  });

  it('auc only with exactly two labels', () => {
    expect(accumulate([{ score: 1, label: 0 }, { score: 2, label: 1 }]).result().auc).toBe(1);
    expect(accumulate([{ score: 1, label: 0 }, { score: 2, label: 1 }, { score: 3, label: 2 }]).result().auc).toBeNull();
  });

  it('kappa is null with a top-k rule, and when both sides are one and the same category', () => {
    const acc = accumulate([{ score: 1, label: 0 }, { score: 2, label: 1 }]);
    const topK = acc.result({ kind: 'top-k', k: 1 });
    expect([topK.kappa, topK.weightedKappa, topK.confusion]).toEqual([null, null, undefined]);
    const same = accumulate([{ score: 0, label: 0 }, { score: 0.1, label: 0 }]).result({ kind: 'thresholds', thresholds: [0.5] });
    expect([same.kappa, same.weightedKappa]).toEqual([null, null]);
  });

  it('empty and single-pair accumulators', () => {
    const empty = new AgreementAccumulator().result({ kind: 'thresholds', thresholds: [0] });
    expect(empty).toMatchObject({ pairs: 0, byLabel: [], spearman: null, kendallTauB: null, auc: null, kappa: null, weightedKappa: null });
    const one = accumulate([{ score: 3, label: 1 }]).result();
    expect(one.byLabel).toEqual([{ label: 1, count: 1, mean: 3, sd: 0, min: 3, median: 3, max: 3 }]);
    expect([one.spearman, one.kendallTauB]).toEqual([null, null]);
  });

  it('rejects non-finite scores and labels with a RangeError', () => {
    const acc = new AgreementAccumulator();
    for (const [score, label] of [[NaN, 0], [Infinity, 0], [0, NaN], [0, -Infinity]] as const) {
      expect(() => acc.add(score, label)).toThrow(RangeError);
    }
    expect(acc.size).toBe(0);
  });

  it('scores tied exactly as the labels, in the same or the reverse order, give ±1', () => {
    const pairs = Array.from({ length: 100 }, (_, i) => ({ score: Math.floor(i / 25) / 10, label: Math.floor(i / 25) }));
    const up = accumulate(pairs).result();
    const down = accumulate(pairs.map((p) => ({ score: -p.score, label: p.label }))).result();
    expect([up.spearman, up.kendallTauB, down.spearman, down.kendallTauB].map((x) => Number((x ?? NaN).toFixed(12)))).toEqual([1, 1, -1, -1]);
  });
});
