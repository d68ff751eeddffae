import { normalTwoSidedP } from './normal-distribution.js';

/** How the p-value of a Wilcoxon signed-rank test was found. */
export type WilcoxonMethod = 'exact' | 'permutation' | 'normal';

/** Result of a two-sided Wilcoxon signed-rank test. */
export interface WilcoxonResult {
  /** min(R+, R-), as scipy.stats.wilcoxon reports it. */
  statistic: number;
  /** Sum of the ranks of the positive differences. */
  rPlus: number;
  /** Differences left after dropping the zeros. */
  n: number;
  /** Standardised R+ of the normal approximation (tie-corrected, no continuity correction); NaN otherwise. */
  z: number;
  method: WilcoxonMethod;
  pValue: number;
}

/** Largest sample scipy's method='auto' treats exactly. */
const EXACT_MAX = 50;
/** Largest sample with ties or zeros whose 2^n sign flips scipy enumerates (2^13 < its 9999 resamples). */
const ENUMERATE_MAX = 13;

/**
 * Two-sided Wilcoxon signed-rank test of paired differences, as scipy.stats.wilcoxon(d) with its defaults
 * (zero_method='wilcox', correction=False, method='auto'; scipy 1.13 to 1.17): zero differences are
 * dropped and the rest ranked by |d| (ties get their average rank). Then, with n the number of
 * differences before dropping zeros:
 * - n <= 50, no ties, no zeros: the exact null distribution of R+, p = 2 min(P(R+ <= r), P(R+ >= r));
 * - n <= 13 with ties or zeros: every one of the 2^n sign flips of the differences, as scipy's
 *   permutation test does then (its resamples exceed 2^n, so it enumerates);
 * - otherwise the normal approximation: z = (R+ - m(m+1)/4) / sqrt((m(m+1)(2m+1) - Σ(t³ - t)/2) / 24)
 *   over the m non-zero differences with tie groups of sizes t, p = 2 P(Z >= |z|).
 * Differences are tied only when exactly equal, as in scipy. Where scipy gives NaN because every
 * difference is zero (n > 13), this gives p = 1, as the paired t-test does; no differences give NaN.
 */
export function wilcoxonSignedRank(differences: ArrayLike<number>): WilcoxonResult {
  const length = differences.length;
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < length; i++) {
    const d = differences[i] ?? 0;
    if (d > 0) positives++;
    else if (d < 0) negatives++;
  }
  const n = positives + negatives;
  if (length === 0) return { statistic: NaN, rPlus: NaN, n, z: NaN, method: 'normal', pValue: NaN };
  // Sorted magnitudes of each sign: merging them ranks every non-zero difference without an index sort.
  const plus = new Float64Array(positives);
  const minus = new Float64Array(negatives);
  for (let i = 0, p = 0, m = 0; i < length; i++) {
    const d = differences[i] ?? 0;
    if (d > 0) plus[p++] = d;
    else if (d < 0) minus[m++] = -d;
  }
  plus.sort();
  minus.sort();
  const ranks = rankBySign(plus, minus);
  const rMinus = (n * (n + 1)) / 2 - ranks.rPlus;
  const statistic = Math.min(ranks.rPlus, rMinus);
  const base = { statistic, rPlus: ranks.rPlus, n };
  if (n === 0) return { ...base, z: NaN, method: 'normal', pValue: 1 };
  const zeros = length - n;
  if (length <= EXACT_MAX && !ranks.ties && zeros === 0) return { ...base, z: NaN, method: 'exact', pValue: exactP(n, ranks.rPlus) };
  if (length <= ENUMERATE_MAX) return { ...base, z: NaN, method: 'permutation', pValue: enumeratedP(plus, minus, ranks.rPlus) };
  const mean = (n * (n + 1)) / 4;
  const se = Math.sqrt((n * (n + 1) * (2 * n + 1) - ranks.tieTerm / 2) / 24);
  const z = (ranks.rPlus - mean) / se;
  return { ...base, z, method: 'normal', pValue: normalTwoSidedP(z) };
}

interface SignedRanks {
  rPlus: number;
  ties: boolean;
  /** Σ(t³ - t) over the tie groups. */
  tieTerm: number;
}

/** Average ranks of the merged magnitudes (both sorted ascending): R+, whether any tie, and the tie term. */
function rankBySign(plus: Float64Array, minus: Float64Array): SignedRanks {
  let rPlus = 0;
  let tieTerm = 0;
  let p = 0;
  let m = 0;
  let rank = 0; // ranks used so far
  while (p < plus.length || m < minus.length) {
    const value = Math.min(plus[p] ?? Infinity, minus[m] ?? Infinity);
    let inPlus = 0;
    let inMinus = 0;
    while (p < plus.length && plus[p] === value) {
      p++;
      inPlus++;
    }
    while (m < minus.length && minus[m] === value) {
      m++;
      inMinus++;
    }
    const t = inPlus + inMinus;
    rPlus += inPlus * (rank + (t + 1) / 2);
    tieTerm += t * t * t - t;
    rank += t;
  }
  return { rPlus, ties: tieTerm > 0, tieTerm };
}

/**
 * Exact two-sided p of R+ = r with n distinct non-zero ranks: counts of the subsets of {1..n} by sum
 * (below 2^50, so exact in doubles), p = 2 min(#(sum <= r), #(sum >= r)) / 2^n, at most 1.
 */
function exactP(n: number, r: number): number {
  const maxSum = (n * (n + 1)) / 2;
  const counts = new Float64Array(maxSum + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = (k * (k + 1)) / 2; s >= k; s--) counts[s] = (counts[s] ?? 0) + (counts[s - k] ?? 0);
  }
  let below = 0;
  let above = 0;
  for (let s = 0; s <= maxSum; s++) {
    if (s <= r) below += counts[s] ?? 0;
    if (s >= r) above += counts[s] ?? 0;
  }
  return Math.min(1, (2 * Math.min(below, above)) / 2 ** n);
}

/**
 * Two-sided p of R+ over all 2^n sign flips of the non-zero differences (flipping a zero changes
 * nothing, so each of these stands for 2^zeros of scipy's, in the same proportion). Ranks stay with
 * their magnitudes, so R+ of a flip is the sum of the ranks it makes positive.
 */
function enumeratedP(plus: Float64Array, minus: Float64Array, observed: number): number {
  const magnitudes = [...plus, ...minus].sort((x, y) => x - y);
  const ranks = magnitudes.map((value) => {
    const first = magnitudes.indexOf(value);
    const last = magnitudes.lastIndexOf(value);
    return (first + last) / 2 + 1;
  });
  const n = ranks.length;
  const gamma = Math.abs(observed) * 100 * Number.EPSILON; // scipy's permutation_test tolerance
  let below = 0;
  let above = 0;
  for (let mask = 0; mask < 2 ** n; mask++) {
    let r = 0;
    for (let i = 0; i < n; i++) if ((mask >>> i) & 1) r += ranks[i] ?? 0;
    if (r <= observed + gamma) below++;
    if (r >= observed - gamma) above++;
  }
  return Math.min(1, (2 * Math.min(below, above)) / 2 ** n);
}
