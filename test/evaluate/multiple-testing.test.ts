import { describe, expect, it } from 'vitest';
import { adjustPValues } from '../../src/evaluate/multiple-testing.js';

// Five p-values, given out of order; sorted: 0.005 (index 3), 0.01 (0), 0.03 (2), 0.04 (1), 0.2 (4).
const P = [0.01, 0.04, 0.03, 0.005, 0.2];

describe('multiple-testing corrections', () => {
  it('bonferroni: min(1, m p)', () => {
    // 5 x [0.01, 0.04, 0.03, 0.005, 0.2] = [0.05, 0.2, 0.15, 0.025, 1]
    expect(adjustPValues(P, 'bonferroni').map((p) => +p.toFixed(12))).toEqual([0.05, 0.2, 0.15, 0.025, 1]);
  });

  it('holm: step-down, (m - i + 1) p(i), kept monotone', () => {
    // 0.005 x 5 = 0.025; 0.01 x 4 = 0.04; 0.03 x 3 = 0.09; 0.04 x 2 = 0.08 -> max(0.09, 0.08) = 0.09; 0.2 x 1 = 0.2
    expect(adjustPValues(P, 'holm').map((p) => +p.toFixed(12))).toEqual([0.04, 0.09, 0.09, 0.025, 0.2]);
  });

  it('bh: step-up, m p(i) / i, kept monotone from the top', () => {
    // i=5: 0.2 x 5/5 = 0.2; i=4: 0.04 x 5/4 = 0.05; i=3: 0.03 x 5/3 = 0.05 -> min(0.05, 0.05) = 0.05;
    // i=2: 0.01 x 5/2 = 0.025; i=1: 0.005 x 5/1 = 0.025 -> min(0.025, 0.025) = 0.025
    expect(adjustPValues(P, 'bh').map((p) => +p.toFixed(12))).toEqual([0.025, 0.05, 0.05, 0.025, 0.2]);
    // A case where the step-up minimum bites: [0.01, 0.02, 0.021]: 3 x 0.021 / 3 = 0.021; 3 x 0.02 / 2 = 0.03 -> 0.021;
    // 3 x 0.01 / 1 = 0.03 -> 0.021
    expect(adjustPValues([0.02, 0.01, 0.021], 'bh').map((p) => +p.toFixed(12))).toEqual([0.021, 0.021, 0.021]);
  });

  it('none; NaN stays NaN and is not counted in m; ties keep their order; caps at 1', () => {
    expect(adjustPValues(P, 'none')).toEqual(P);
    // m = 2: holm 0.01 x 2 = 0.02, max(0.02, 0.03 x 1) = 0.03
    const holm = adjustPValues([0.03, NaN, 0.01], 'holm');
    expect(holm[1]).toBeNaN();
    expect([holm[0], holm[2]].map((p) => +(p ?? NaN).toFixed(12))).toEqual([0.03, 0.02]);
    expect(adjustPValues([0.5, 0.5, 0.5], 'holm')).toEqual([1, 1, 1]);
    expect(adjustPValues([0.5, 0.5, 0.5], 'bh')).toEqual([0.5, 0.5, 0.5]);
    expect(adjustPValues([], 'holm')).toEqual([]);
  });
});
