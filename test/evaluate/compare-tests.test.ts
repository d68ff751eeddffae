import { describe, expect, it } from 'vitest';
import { erfc, normalTwoSidedP } from '../../src/evaluate/normal-distribution.js';
import { permutationTest, SignFlipTest } from '../../src/evaluate/permutation-test.js';
import { pairedTTest } from '../../src/evaluate/student-t.js';
import { wilcoxonSignedRank } from '../../src/evaluate/wilcoxon.js';

/** |actual - expected| <= `relative` of expected. */
function expectClose(actual: number, expected: number, relative = 1e-9): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative * Math.abs(expected) + 1e-300);
}

describe('normal tail', () => {
  // scipy.special.erfc(x) and 2 * scipy.stats.norm.sf(z), scipy 1.17.1.
  it('erfc matches scipy to 1e-13 relative, far into the tail', () => {
    const cases: [number, number][] = [
      [0.1, 0.8875370839817152],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028516],
      [1.2, 0.08968602177036462],
      [2, 0.004677734981047266],
      [3, 2.2090496998585445e-5],
      [6, 2.1519736712498913e-17],
      [20, 5.395865611607901e-176],
    ];
    for (const [x, expected] of cases) expectClose(erfc(x), expected, 1e-13);
    expectClose(erfc(-1), 2 - 0.15729920705028516, 1e-15);
    expect(erfc(0)).toBe(1);
  });

  it('two-sided p', () => {
    const cases: [number, number][] = [
      [0.3, 0.7641771556220948],
      [1.959963984540054, 0.05],
      [5, 5.733031437583866e-7],
      [10, 1.523970604832094e-23],
      [30, 9.813427854295816e-198],
    ];
    for (const [z, expected] of cases) {
      expectClose(normalTwoSidedP(z), expected, 1e-12);
      expectClose(normalTwoSidedP(-z), expected, 1e-12);
    }
    expect(normalTwoSidedP(0)).toBe(1);
    expect(normalTwoSidedP(NaN)).toBeNaN();
  });
});

describe('Wilcoxon signed-rank, as scipy.stats.wilcoxon(d) with its defaults', () => {
  // Expected values: scipy 1.17.1, stats.wilcoxon(d).pvalue (zero_method='wilcox', correction=False, method='auto').
  it('n <= 50, no ties or zeros: the exact distribution', () => {
    const r = wilcoxonSignedRank([0.3, -0.1, 0.2, 0.5, 0.4, -0.6, 0.7, 0.8]);
    expect(r.method).toBe('exact');
    // R- = 1 + 6 = 7 (ranks of 0.1 and 0.6); of the 256 subsets of {1..8}, 1+1+1+2+2+3+4+5 = 19 sum to
    // 7 or less, so P(R <= 7) = 19/256 and the two-sided p is 38/256.
    expect(r.statistic).toBe(7);
    expect(r.pValue).toBe(0.1484375);
  });

  it('n <= 13 with ties or zeros: all 2^n sign flips, as scipy then does', () => {
    const r = wilcoxonSignedRank([0.5, -0.25, 0.25, 0.75, 0.5, -0.5, 0.25, 0, 1.0, 0.25]);
    expect(r.method).toBe('permutation');
    expect(r.statistic).toBe(8.5);
    expect(r.pValue).toBe(0.12109375);
  });

  it('n > 50: the normal approximation with the tie correction (here 0.0376 and -0.0376 tie)', () => {
    // numpy.random.default_rng(7).normal(0.03, 0.1, 60), rounded to 4 decimals
    const d = [
      0.0301, 0.0599, 0.0026, -0.0591, -0.0155, -0.0692, 0.036, 0.164, -0.0192, -0.032, 0.079, 0.0657, 0.0405, -0.063, 0.0271, 0.0995, -0.1044, -0.0158, -0.1601, -0.099, -0.1542, 0.0065,
      -0.0967, 0.0571, 0.0457, 0.0113, -0.2217, -0.0239, 0.0251, 0.0413, -0.123, -0.0178, -0.0679, -0.0509, 0.1361, -0.0508, 0.0267, 0.1184, -0.0284, 0.0188, 0.041, 0.0364, -0.0925, 0.0376,
      0.1659, -0.1247, 0.1159, 0.0419, -0.0341, 0.23, 0.1062, -0.0899, 0.0375, 0.0877, 0.0111, 0.0983, 0.0233, 0.0967, 0.1739, -0.0376,
    ];
    const r = wilcoxonSignedRank(d);
    expect(r.method).toBe('normal');
    expectClose(r.pValue, 0.37702108493804265);
    // scipy's zstatistic with method='asymptotic' is -|z|.
    expectClose(-Math.abs(r.z), -0.8833983444882081);
    // and the t-test on the same differences: stats.ttest_1samp(d, 0).pvalue
    expectClose(pairedTTest(d).pValue, 0.4333104512771698);
  });

  it('edge cases: all zero -> p 1 (scipy: NaN beyond 13), none -> NaN', () => {
    expect(wilcoxonSignedRank(new Float64Array(20)).pValue).toBe(1);
    expect(wilcoxonSignedRank([]).pValue).toBeNaN();
  });
});

describe('randomization test (sign flips)', () => {
  // map of r3 minus the baseline over the first 16 queries of test/evaluate/compare-runs.test.ts.
  const d = [
    0.05980000000000002, -0.08410000000000001, 0.1812, 0.0018000000000000238, -0.025900000000000034, 0.16299999999999998, -0.08710000000000007, -0.03979999999999995, -0.007199999999999998,
    -0.07679999999999998, -0.027200000000000002, 0.046599999999999975, 0.013600000000000001, -0.0039000000000000146, 0.07909999999999995, 0.15089999999999992,
  ];

  /** Every one of the 2^16 sign assignments, counted directly: the exact randomization p. */
  function enumerated(values: readonly number[]): number {
    const observed = Math.abs(values.reduce((s, v) => s + v, 0));
    let extreme = 0;
    for (let mask = 0; mask < 2 ** values.length; mask++) {
      let sum = 0;
      values.forEach((v, i) => (sum += (mask >>> i) & 1 ? -v : v));
      if (Math.abs(sum) >= observed - 1e-12) extreme++;
    }
    return extreme / 2 ** values.length;
  }

  it('enumerates exactly when 2^n <= permutations; the same as scipy.stats.permutation_test', () => {
    // scipy: permutation_test((d,), np.mean, permutation_type='samples', n_resamples=np.inf).pvalue
    // = 0.332489013671875 = 21790 / 65536.
    const exact = enumerated(d);
    expect(exact).toBe(21790 / 65536);
    const test = new SignFlipTest(16, { permutations: 65536 });
    expect(test.exact).toBe(true);
    expect(test.pValue(d)).toBe(exact);
  });

  it('random flips: reproducible for a seed, within Monte-Carlo error of the exact p', () => {
    const exact = 21790 / 65536;
    const flips = 20_000;
    const p = permutationTest(d, { permutations: flips, seed: 1 });
    expect(permutationTest(d, { permutations: flips, seed: 1 })).toBe(p);
    const se = Math.sqrt((exact * (1 - exact)) / flips); // 0.0033
    for (const seed of [1, 2, 3, 42]) {
      const estimate = permutationTest(d, { permutations: flips, seed });
      expect(Math.abs(estimate - exact), `seed ${seed}: ${estimate}`).toBeLessThan(4 * se);
    }
    expect(permutationTest(d, { permutations: flips, seed: 2 })).not.toBe(p);
  });

  it('one set of flips serves every comparison; all-zero differences give 1, a huge shift the least p', () => {
    const test = new SignFlipTest(16, { permutations: 999, seed: 9 });
    expect(test.exact).toBe(false);
    expect(test.pValue(new Float64Array(16))).toBe(1);
    expect(test.pValue(new Float64Array(16).fill(0.5))).toBe(1 / 1000);
    expect(test.pValue(d)).toBe(test.pValue(Float64Array.from(d)));
    expect(() => test.pValue([1, 2])).toThrow(RangeError);
  });

  it('a query count that is no multiple of 8: enumeration agrees; differences summing to zero give 1', () => {
    const symmetric = Float64Array.from({ length: 1002 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + (i >> 1)));
    expect(permutationTest(symmetric, { permutations: 500 })).toBe(1);
    const eleven = d.slice(0, 11);
    expect(new SignFlipTest(11, { permutations: 4096 }).pValue(eleven)).toBe(enumerated(eleven));
  });
});
