import { UsageError } from '../errors/usage-error.js';
import type { EvaluationResult } from './evaluator.js';
import { isCountMeasure } from './format.js';
import { mulberry32 } from '../mulberry32.js';
import { pairedTTest } from './student-t.js';

/** Options of a comparison of two evaluations. */
export interface ComparisonOptions {
  /** Bootstrap resamples of the query set. Default 10000. */
  bootstrapSamples?: number;
  /** Seed of the bootstrap PRNG (mulberry32). Default 42. */
  seed?: number;
  /** Confidence level of the interval. Default 0.95. */
  confidence?: number;
}

/** How run B differs from run A on one measure, over the queries of the qrels. */
export interface MeasureComparison {
  measure: string;
  /** Mean of A (as EvaluationResult.mean). */
  a: number;
  /** Mean of B. */
  b: number;
  /** b - a. */
  delta: number;
  /** Paired two-sided t-test p-value; 1 when all differences are 0, NaN with fewer than 2 queries. */
  pValue: number;
  /** Bootstrap percentile interval of the mean difference b - a. */
  ciLow: number;
  ciHigh: number;
  /** Queries where B > A, B = A, B < A. */
  wins: number;
  ties: number;
  losses: number;
  /** p after a multiple-testing correction, when one was made (`eval`: see RunComparisonTable). */
  pAdjusted?: number;
  /** pAdjusted below the significance level, when corrected. */
  significant?: boolean;
  /** Cohen's d_z of the per-query differences, when computed (see RunMeasureComparison.effectSize). */
  effectSize?: number;
}

/**
 * Compares two evaluations made against the same qrels (same query set, -c semantics: absent queries
 * count as 0), measure by measure, for the measures both have, in A's order. Count measures (num_q,
 * num_ret, num_rel, num_rel_ret) are left out: their summaries are sums, not means.
 * The bootstrap resamples queries with replacement; the same resampled query sets serve every measure,
 * so the same inputs and seed always give the same intervals. Percentile method: with B samples sorted,
 * the interval is [sample floor(B*(1-c)/2), sample ceil(B*(1+c)/2) - 1] (0-based).
 * @throws UsageError when the two results are over different query sets or options are out of range.
 */
export function compare(a: EvaluationResult, b: EvaluationResult, options: ComparisonOptions = {}): MeasureComparison[] {
  const samples = options.bootstrapSamples ?? 10_000;
  const seed = options.seed ?? 42;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isSafeInteger(samples) || samples < 1) throw new UsageError(`bootstrap samples must be a positive integer, got ${samples}`);
  if (!(confidence > 0 && confidence < 1)) throw new UsageError(`confidence must be between 0 and 1, got ${confidence}`);
  const queryIds = [...a.perQuery.keys()];
  if (queryIds.length !== b.perQuery.size || queryIds.some((q) => !b.perQuery.has(q))) {
    throw new UsageError('cannot compare evaluations over different query sets (evaluate both runs against the same qrels)');
  }
  const n = queryIds.length;
  const lowIndex = Math.min(samples - 1, Math.max(0, Math.floor((samples * (1 - confidence)) / 2)));
  const highIndex = Math.min(samples - 1, Math.max(0, Math.ceil((samples * (1 + confidence)) / 2) - 1));
  const measures = a.measures.filter((measure) => !isCountMeasure(measure) && b.measures.includes(measure));
  const diffs = measures.map((measure) => Float64Array.from(queryIds, (q) => (b.perQuery.get(q)?.[measure] ?? 0) - (a.perQuery.get(q)?.[measure] ?? 0)));
  const bootstrapMeans = bootstrap(diffs, n, samples, seed);
  return measures.map((measure, k) => {
    const d = diffs[k] as Float64Array;
    let wins = 0;
    let ties = 0;
    let losses = 0;
    for (const x of d) {
      if (x > 0) wins++;
      else if (x < 0) losses++;
      else ties++;
    }
    const means = bootstrapMeans[k] as Float64Array;
    means.sort();
    const ciLow = n > 0 ? (means[lowIndex] ?? NaN) : NaN;
    const ciHigh = n > 0 ? (means[highIndex] ?? NaN) : NaN;
    const meanA = a.mean[measure] ?? 0;
    const meanB = b.mean[measure] ?? 0;
    return { measure, a: meanA, b: meanB, delta: meanB - meanA, pValue: pairedTTest(d).pValue, ciLow, ciHigh, wins, ties, losses };
  });
}

/**
 * Mean difference of every measure in every bootstrap resample. Each resample draws its n query
 * indexes once and uses them for all measures; memory is measures x samples, whatever the query count.
 */
function bootstrap(diffs: Float64Array[], n: number, samples: number, seed: number): Float64Array[] {
  const random = mulberry32(seed);
  const means = diffs.map(() => new Float64Array(samples));
  if (n === 0) return means;
  const sums = new Float64Array(diffs.length);
  for (let s = 0; s < samples; s++) {
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const index = Math.floor(random() * n);
      for (let k = 0; k < diffs.length; k++) sums[k] = (sums[k] ?? 0) + ((diffs[k] as Float64Array)[index] ?? 0);
    }
    for (let k = 0; k < diffs.length; k++) (means[k] as Float64Array)[s] = (sums[k] ?? 0) / n;
  }
  return means;
}
