import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { AgreementAccumulator } from '../../src/label/agreement.js';
import { calibrateThresholds, thresholdCandidates } from '../../src/label/calibrate-thresholds.js';
import { labelOf } from '../../src/label/label-rule.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { accumulate, type Pair } from '../helpers/naive-stats.js';

/** Labels a noisy monotone function of the score: scores on a grid of `levels` values in [0, 1] (or continuous). */
function noisyMonotone(seed: number, n: number, labelValues: readonly number[], levels?: number, noise = 0.25): Pair[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const u = random();
    const score = levels === undefined ? u : Math.round(u * (levels - 1)) / (levels - 1);
    const noisy = score + (random() - 0.5) * 2 * noise;
    const index = Math.min(labelValues.length - 1, Math.max(0, Math.floor(noisy * labelValues.length)));
    return { score, label: labelValues[index] ?? 0 };
  });
}

/** Cohen's kappa, from a confusion matrix built by hand, between level labels[labelOf(score)] and the given label. */
function naiveKappa(pairs: readonly Pair[], thresholds: readonly number[], labels: readonly number[]): number {
  const n = pairs.length;
  const index = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (const p of pairs) {
    const row = matrix[index.get(p.label) ?? -1];
    const column = labelOf({ kind: 'thresholds', thresholds }, p.score, 0);
    if (row) row[column] = (row[column] ?? 0) + 1;
  }
  let po = 0;
  let pe = 0;
  labels.forEach((_, i) => {
    po += (matrix[i]?.[i] ?? 0) / n;
    const rowTotal = (matrix[i] ?? []).reduce((s, x) => s + x, 0);
    const columnTotal = matrix.reduce((s, r) => s + (r[i] ?? 0), 0);
    pe += (rowTotal / n) * (columnTotal / n);
  });
  return (po - pe) / (1 - pe);
}

/** Midpoints between consecutive distinct scores, computed directly. */
function naiveMidpoints(pairs: readonly Pair[]): number[] {
  const distinct = [...new Set(pairs.map((p) => p.score))].sort((a, b) => a - b);
  return distinct.slice(1).map((score, i) => ((distinct[i] ?? 0) + score) / 2);
}

/** Every strictly ascending choice of `k` of the candidates. */
function* combinations(candidates: readonly number[], k: number, from = 0, chosen: number[] = []): Generator<number[]> {
  if (chosen.length === k) {
    yield [...chosen];
    return;
  }
  for (let i = from; i <= candidates.length - (k - chosen.length); i++) {
    chosen.push(candidates[i] ?? 0);
    yield* combinations(candidates, k, i + 1, chosen);
    chosen.pop();
  }
}

function bruteForceMax(pairs: readonly Pair[], candidates: readonly number[], labels: readonly number[]): number {
  let best = -Infinity;
  for (const thresholds of combinations(candidates, labels.length - 1)) best = Math.max(best, naiveKappa(pairs, thresholds, labels));
  return best;
}

function expectStrictlyAscendingWithin(thresholds: readonly number[], candidates: readonly number[]): void {
  for (let i = 1; i < thresholds.length; i++) expect(thresholds[i] ?? NaN).toBeGreaterThan(thresholds[i - 1] ?? NaN);
  for (const t of thresholds) expect(candidates).toContain(t);
}

describe('calibrateThresholds, exhaustive (up to 3 thresholds)', () => {
  it('four labels 0..3: reaches the brute-force maximum over the same candidates, beating hand-picked thresholds', () => {
    const pairs = noisyMonotone(11, 600, [0, 1, 2, 3], 41);
    const acc = accumulate(pairs);
    const calibration = calibrateThresholds(acc);
    const candidates = naiveMidpoints(pairs);
    expect(candidates.length).toBe(40);
    expect(calibration.labels).toEqual([0, 1, 2, 3]);
    expect(calibration.thresholds).toHaveLength(3);
    expectStrictlyAscendingWithin(calibration.thresholds, candidates);

    expect(calibration.kappa).toBeCloseTo(naiveKappa(pairs, calibration.thresholds, calibration.labels), 12);
    expect(calibration.kappa).toBeCloseTo(bruteForceMax(pairs, candidates, calibration.labels), 12);
    // With labels 0..L-1 the mapping is the identity, so the accumulator's own kappa agrees.
    expect(acc.result({ kind: 'thresholds', thresholds: calibration.thresholds }).kappa).toBeCloseTo(calibration.kappa, 12);
    for (const handPicked of [[0.25, 0.5, 0.75], [0.3, 0.5, 0.7], [0.2, 0.45, 0.8], [0.1, 0.2, 0.3]]) {
      expect(calibration.kappa, JSON.stringify(handPicked)).toBeGreaterThanOrEqual(naiveKappa(pairs, handPicked, calibration.labels));
    }
    expect(calibration.kappa).toBeGreaterThan(0.5);
  });

  it('labels 1, 2, 5 on logit-like scores: level i stands for the i-th label', () => {
    const pairs = noisyMonotone(12, 500, [1, 2, 5], 60).map((p) => ({ score: (p.score - 0.5) * 12, label: p.label }));
    const calibration = calibrateThresholds(accumulate(pairs));
    expect(calibration.labels).toEqual([1, 2, 5]);
    const candidates = naiveMidpoints(pairs);
    expectStrictlyAscendingWithin(calibration.thresholds, candidates);
    expect(calibration.kappa).toBeCloseTo(naiveKappa(pairs, calibration.thresholds, calibration.labels), 12);
    expect(calibration.kappa).toBeCloseTo(bruteForceMax(pairs, candidates, calibration.labels), 12);
  });

  it('binary labels: the best single cut', () => {
    const pairs = noisyMonotone(13, 500, [0, 1], 101, 0.4);
    const calibration = calibrateThresholds(accumulate(pairs));
    const candidates = naiveMidpoints(pairs);
    const kappas = candidates.map((t) => naiveKappa(pairs, [t], [0, 1]));
    const best = Math.max(...kappas);
    expect(calibration.thresholds).toHaveLength(1);
    expectStrictlyAscendingWithin(calibration.thresholds, candidates);
    expect(naiveKappa(pairs, calibration.thresholds, [0, 1])).toBeCloseTo(best, 12);
    expect(calibration.kappa).toBeCloseTo(best, 12);
  });

  it('with more distinct scores than maxCandidates, searches the quantile candidates', () => {
    const pairs = noisyMonotone(14, 500, [0, 1, 2], undefined);
    const sorted = accumulate(pairs).sorted().scores;
    const candidates = thresholdCandidates(sorted, 20);
    // All 500 scores differ, so the cut nearest the quantile j/21 has round(j * 500 / 21) scores below it.
    expect(candidates).toEqual(Array.from({ length: 20 }, (_, k) => {
      const below = Math.round(((k + 1) * 500) / 21);
      return (sorted[below - 1] ?? 0) / 2 + (sorted[below] ?? 0) / 2;
    }));
    const calibration = calibrateThresholds(accumulate(pairs), { maxCandidates: 20 });
    expectStrictlyAscendingWithin(calibration.thresholds, candidates);
    expect(calibration.kappa).toBeCloseTo(bruteForceMax(pairs, candidates, [0, 1, 2]), 12);
    // The default (256 of 499 midpoints) does at least as well here as 20.
    expect(calibrateThresholds(accumulate(pairs)).kappa).toBeGreaterThanOrEqual(calibration.kappa - 1e-12);
  });

  it('candidates are the midpoints themselves when there are few distinct scores', () => {
    const pairs = noisyMonotone(15, 300, [0, 1], 17);
    expect(thresholdCandidates(accumulate(pairs).sorted().scores)).toEqual(naiveMidpoints(pairs));
  });

  it('places cuts between adjacent doubles and between extreme logits', () => {
    const next = 1 + 2 ** -52;
    const adjacent = calibrateThresholds(accumulate([{ score: 1, label: 0 }, { score: next, label: 1 }]));
    expect(adjacent).toEqual({ thresholds: [next], kappa: 1, labels: [0, 1] });
    const extreme = calibrateThresholds(accumulate([{ score: -Number.MAX_VALUE, label: 0 }, { score: Number.MAX_VALUE, label: 1 }]));
    expect(extreme).toEqual({ thresholds: [0], kappa: 1, labels: [0, 1] });
  });
});

describe('calibrateThresholds, coordinate ascent (more than 3 thresholds)', () => {
  it('six labels: a local maximum over single-threshold moves, deterministic, beating hand-picked thresholds', () => {
    const labels = [0, 1, 2, 3, 4, 5];
    const pairs = noisyMonotone(21, 600, labels, 31, 0.15);
    const acc = accumulate(pairs);
    const calibration = calibrateThresholds(acc);
    const candidates = naiveMidpoints(pairs);
    expect(calibration.labels).toEqual(labels);
    expect(calibration.thresholds).toHaveLength(5);
    expectStrictlyAscendingWithin(calibration.thresholds, candidates);
    expect(calibration.kappa).toBeCloseTo(naiveKappa(pairs, calibration.thresholds, labels), 12);
    expect(calibrateThresholds(acc)).toEqual(calibration);

    calibration.thresholds.forEach((_, i) => {
      const low = calibration.thresholds[i - 1] ?? -Infinity;
      const high = calibration.thresholds[i + 1] ?? Infinity;
      for (const t of candidates.filter((c) => c > low && c < high)) {
        const moved = calibration.thresholds.map((x, j) => (j === i ? t : x));
        expect(naiveKappa(pairs, moved, labels), `threshold ${i} at ${t}`).toBeLessThanOrEqual(calibration.kappa + 1e-12);
      }
    });
    for (const handPicked of [[1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6], [0.1, 0.3, 0.5, 0.7, 0.9], [0.2, 0.35, 0.5, 0.65, 0.8]]) {
      expect(calibration.kappa, JSON.stringify(handPicked)).toBeGreaterThanOrEqual(naiveKappa(pairs, handPicked, labels));
    }
  });

  it('five labels: never above the brute-force maximum over the same candidates', () => {
    const labels = [-1, 0, 1, 2, 3];
    const pairs = noisyMonotone(22, 400, labels, 12, 0.2);
    const calibration = calibrateThresholds(accumulate(pairs));
    const candidates = naiveMidpoints(pairs);
    expect(candidates).toHaveLength(11);
    const best = bruteForceMax(pairs, candidates, labels);
    expect(calibration.kappa).toBeLessThanOrEqual(best + 1e-12);
    expect(calibration.kappa).toBeCloseTo(naiveKappa(pairs, calibration.thresholds, labels), 12);
    expect(calibration.kappa).toBeGreaterThan(0);
  });
});

describe('calibrateThresholds errors', () => {
  it('throws a UsageError with one label, one distinct score, too few candidates or a bad maxCandidates', () => {
    const oneLabel = accumulate([0.1, 0.5, 0.9].map((score) => ({ score, label: 1 })));
    expect(() => calibrateThresholds(oneLabel)).toThrow(UsageError);
    expect(() => calibrateThresholds(oneLabel)).toThrow(/at least 2 distinct labels/);
    expect(() => calibrateThresholds(new AgreementAccumulator())).toThrow(/at least 2 distinct labels/);
    const oneScore = accumulate([0, 1, 0, 1].map((label) => ({ score: 0.5, label })));
    expect(() => calibrateThresholds(oneScore)).toThrow(/at least 2 distinct scores/);
    const threeLabelsTwoScores = accumulate([{ score: 0, label: 0 }, { score: 1, label: 1 }, { score: 1, label: 2 }]);
    expect(() => calibrateThresholds(threeLabelsTwoScores)).toThrow(/needs at least 2 candidate cut points, found 1/);
    const fine = accumulate(noisyMonotone(31, 50, [0, 1, 2], 10));
    expect(() => calibrateThresholds(fine, { maxCandidates: 0 })).toThrow(UsageError);
    expect(() => calibrateThresholds(fine, { maxCandidates: 1.5 })).toThrow(UsageError);
    expect(() => calibrateThresholds(fine, { maxCandidates: 1 })).toThrow(/found 1/);
  });
});
