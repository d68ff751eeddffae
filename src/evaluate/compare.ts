import { UsageError } from '../errors/usage-error.js';
import type { EvaluationResult } from './evaluator.js';
import { isCountMeasure } from './format.js';
import { mulberry32 } from './random.js';
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
  const resamples = drawResamples(n, samples, seed);
  const lowIndex = Math.min(samples - 1, Math.max(0, Math.floor((samples * (1 - confidence)) / 2)));
  const highIndex = Math.min(samples - 1, Math.max(0, Math.ceil((samples * (1 + confidence)) / 2) - 1));
  const comparisons: MeasureComparison[] = [];
  for (const measure of a.measures) {
    if (isCountMeasure(measure) || !b.measures.includes(measure)) continue;
    const diffs = queryIds.map((q) => (b.perQuery.get(q)?.[measure] ?? 0) - (a.perQuery.get(q)?.[measure] ?? 0));
    let wins = 0;
    let ties = 0;
    let losses = 0;
    for (const d of diffs) {
      if (d > 0) wins++;
      else if (d < 0) losses++;
      else ties++;
    }
    let ciLow = NaN;
    let ciHigh = NaN;
    if (n > 0) {
      const means = new Float64Array(samples);
      for (let s = 0; s < samples; s++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += diffs[resamples[s * n + i] ?? 0] ?? 0;
        means[s] = sum / n;
      }
      means.sort();
      ciLow = means[lowIndex] ?? NaN;
      ciHigh = means[highIndex] ?? NaN;
    }
    const meanA = a.mean[measure] ?? 0;
    const meanB = b.mean[measure] ?? 0;
    comparisons.push({ measure, a: meanA, b: meanB, delta: meanB - meanA, pValue: pairedTTest(diffs).pValue, ciLow, ciHigh, wins, ties, losses });
  }
  return comparisons;
}

/** Query indexes of every bootstrap resample, `samples` rows of `n`. */
function drawResamples(n: number, samples: number, seed: number): Uint32Array {
  const random = mulberry32(seed);
  const indexes = new Uint32Array(n * samples);
  for (let i = 0; i < indexes.length; i++) indexes[i] = Math.floor(random() * n);
  return indexes;
}
