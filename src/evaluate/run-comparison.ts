import { UsageError } from '../errors/usage-error.js';
import { isCountMeasure } from './format.js';
import { adjustPValues, type Correction } from './multiple-testing.js';
import { SignFlipTest } from './permutation-test.js';
import type { RunScores } from './run-scores.js';
import { pairedTTest } from './student-t.js';
import { wilcoxonSignedRank } from './wilcoxon.js';

/** The paired tests `--test` takes. */
export const PAIRED_TESTS = ['t', 'wilcoxon', 'permutation'] as const;
export type PairedTest = (typeof PAIRED_TESTS)[number];

/** What each test is called in tables. */
export const PAIRED_TEST_NAMES: Record<PairedTest, string> = {
  t: 'paired t-test',
  wilcoxon: 'Wilcoxon signed-rank test',
  permutation: 'randomization (sign-flip permutation) test',
};

/** Below this corrected p, a difference is marked significant. */
export const SIGNIFICANCE_LEVEL = 0.05;

/** Options of a comparison of several runs with one baseline. */
export interface RunComparisonOptions {
  /** Paired test of each run against the baseline, per measure. Default 't'. */
  test?: PairedTest;
  /** Correction over the whole table (runs x measures). Default 'holm'. */
  correction?: Correction;
  /** Significance level of the corrected p-values. Default 0.05. */
  alpha?: number;
  /** Sign flips of the permutation test. Default 10000. */
  permutations?: number;
  /** Seed of the permutation test. Default 42. */
  seed?: number;
}

/** One run against the baseline on one measure. */
export interface RunMeasureComparison {
  run: string;
  measure: string;
  /** The run's mean (trec_eval's), and the baseline's. */
  value: number;
  baselineValue: number;
  /** value - baselineValue. */
  delta: number;
  /** Two-sided p of the paired test; NaN when it cannot be computed (no queries; fewer than 2 for t). */
  pValue: number;
  /** pValue after the correction over every comparison of the table (NaN stays NaN). */
  pAdjusted: number;
  /** pAdjusted < alpha. */
  significant: boolean;
  /**
   * Cohen's d_z: mean of the per-query differences over their standard deviation (n - 1). 0 when every
   * difference is 0, ±Infinity when they are all equal and non-zero, NaN with fewer than 2 queries.
   */
  effectSize: number;
  /** Queries where the run beats, ties and loses to the baseline. */
  wins: number;
  ties: number;
  losses: number;
}

/** Every run against one baseline, over the measures both have. */
export interface RunComparisonTable {
  baseline: string;
  /** Every run, the baseline first, then the others in the order they were added. */
  runs: string[];
  /** Compared measures (count measures left out), in the baseline's order. */
  measures: string[];
  /** Every run's means, the baseline's included: run -> measure -> value. */
  means: Map<string, Readonly<Record<string, number>>>;
  test: PairedTest;
  correction: Correction;
  alpha: number;
  /** Comparisons in the correction's family (those with a p-value). */
  family: number;
  /** With the permutation test: the sign flips used, and whether they were all 2^n of them. */
  flips?: { count: number; exact: boolean };
  /** Measure by measure (in `measures` order), then run by run (in `runs` order, baseline excluded). */
  comparisons: RunMeasureComparison[];
}

/**
 * Compares runs with a baseline as they come: give the baseline's scores, then each other run's; only
 * each comparison's figures are kept, never the runs' per-query values, so memory stays one run's worth
 * whatever the number of runs. Per run and measure: the paired test's p (`test`), Cohen's d_z, wins/ties/
 * losses; `result()` then corrects the p-values over the whole table.
 */
export class RunComparator {
  private readonly test: PairedTest;
  private readonly correction: Correction;
  private readonly alpha: number;
  private readonly flips: SignFlipTest | undefined;
  private readonly measures: string[];
  private readonly baselineIndex: number[];
  private readonly names: string[];
  private readonly means = new Map<string, Readonly<Record<string, number>>>();
  /** Per measure, the comparisons of the runs added so far. */
  private readonly rows: RunMeasureComparison[][];
  private readonly differences: Float64Array;

  /** @throws UsageError for options out of range. */
  constructor(
    private readonly baseline: RunScores,
    options: RunComparisonOptions = {},
  ) {
    this.test = options.test ?? 't';
    this.correction = options.correction ?? 'holm';
    this.alpha = options.alpha ?? SIGNIFICANCE_LEVEL;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new UsageError(`alpha must be between 0 and 1, got ${this.alpha}`);
    const permutations = options.permutations ?? 10_000;
    if (!Number.isSafeInteger(permutations) || permutations < 1) throw new UsageError(`permutations must be a positive integer, got ${permutations}`);
    this.flips = this.test === 'permutation' ? new SignFlipTest(baseline.queryIds.length, { permutations, seed: options.seed ?? 42 }) : undefined;
    this.measures = baseline.measures.filter((measure) => !isCountMeasure(measure));
    this.baselineIndex = this.measures.map((measure) => baseline.measures.indexOf(measure));
    this.names = [baseline.name];
    this.means.set(baseline.name, baseline.mean);
    this.rows = this.measures.map(() => []);
    this.differences = new Float64Array(baseline.queryIds.length);
  }

  /**
   * Compares one more run with the baseline.
   * @throws UsageError when its name is taken, or it was evaluated over other queries or lacks a measure.
   */
  add(run: RunScores): void {
    if (this.means.has(run.name)) throw new UsageError(`two runs are named "${run.name}"`);
    const queries = this.baseline.queryIds;
    if (run.queryIds.length !== queries.length || run.queryIds.some((q, i) => q !== queries[i])) {
      throw new UsageError(`cannot compare ${run.name} with ${this.baseline.name}: evaluations over different query sets (evaluate both runs against the same qrels)`);
    }
    const columns = this.measures.map((measure) => {
      const k = run.measures.indexOf(measure);
      if (k < 0) throw new UsageError(`cannot compare ${run.name} with ${this.baseline.name}: ${run.name} has no ${measure}`);
      return run.values[k] as Float64Array;
    });
    this.names.push(run.name);
    this.means.set(run.name, run.mean);
    const d = this.differences;
    this.measures.forEach((measure, k) => {
      const mine = columns[k] as Float64Array;
      const theirs = this.baseline.values[this.baselineIndex[k] ?? 0] as Float64Array;
      for (let i = 0; i < d.length; i++) d[i] = (mine[i] as number) - (theirs[i] as number);
      const value = run.mean[measure] ?? 0;
      const baselineValue = this.baseline.mean[measure] ?? 0;
      (this.rows[k] as RunMeasureComparison[]).push({
        run: run.name,
        measure,
        value,
        baselineValue,
        delta: value - baselineValue,
        pValue: this.pValue(d),
        pAdjusted: NaN,
        significant: false,
        ...differenceSummary(d),
      });
    });
  }

  /** The table so far, its p-values corrected over every comparison in it. */
  result(): RunComparisonTable {
    const comparisons = this.rows.flat().map((c) => ({ ...c }));
    const adjusted = adjustPValues(
      comparisons.map((c) => c.pValue),
      this.correction,
    );
    comparisons.forEach((c, i) => {
      c.pAdjusted = adjusted[i] ?? NaN;
      c.significant = c.pAdjusted < this.alpha;
    });
    return {
      baseline: this.baseline.name,
      runs: [...this.names],
      measures: [...this.measures],
      means: new Map(this.means),
      test: this.test,
      correction: this.correction,
      alpha: this.alpha,
      family: comparisons.filter((c) => !Number.isNaN(c.pValue)).length,
      ...(this.flips === undefined ? {} : { flips: { count: this.flips.flips, exact: this.flips.exact } }),
      comparisons,
    };
  }

  private pValue(d: Float64Array): number {
    if (this.flips !== undefined) return this.flips.pValue(d);
    if (this.test === 'wilcoxon') return wilcoxonSignedRank(d).pValue;
    return pairedTTest(d).pValue;
  }
}

/**
 * Compares every run with the baseline (see RunComparator).
 * @param baseline the baseline's name; default the first run.
 * @throws UsageError for an unknown baseline, runs over different query sets, or bad options.
 */
export function compareRuns(runs: readonly RunScores[], options: RunComparisonOptions & { baseline?: string } = {}): RunComparisonTable {
  const base = options.baseline === undefined ? runs[0] : runs.find((run) => run.name === options.baseline);
  if (base === undefined) {
    throw new UsageError(runs.length === 0 ? 'no runs to compare' : `no run is named "${options.baseline ?? ''}" (runs: ${runs.map((run) => run.name).join(', ')})`);
  }
  const comparator = new RunComparator(base, options);
  for (const run of runs) if (run !== base) comparator.add(run);
  return comparator.result();
}

/** Effect size and wins/ties/losses of paired differences. */
function differenceSummary(d: Float64Array): Pick<RunMeasureComparison, 'effectSize' | 'wins' | 'ties' | 'losses'> {
  const n = d.length;
  let wins = 0;
  let ties = 0;
  let losses = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = d[i] as number;
    sum += x;
    if (x > 0) wins++;
    else if (x < 0) losses++;
    else ties++;
  }
  if (n < 2) return { effectSize: NaN, wins, ties, losses };
  if (ties === n) return { effectSize: 0, wins, ties, losses };
  const mean = sum / n;
  let squares = 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    squares += ((d[i] as number) - mean) ** 2;
    if (d[i] !== d[0]) constant = false;
  }
  // Equal non-zero differences have no spread (rounding in the mean would fake a tiny one).
  const effectSize = constant ? (mean > 0 ? Infinity : -Infinity) : mean / Math.sqrt(squares / (n - 1));
  return { effectSize, wins, ties, losses };
}
