import { UsageError } from '../errors/usage-error.js';
import type { AgreementAccumulator } from './agreement.js';

/** Options of calibrateThresholds. */
export interface CalibrationOptions {
  /** The most candidate cut points searched. Default 256. */
  maxCandidates?: number;
}

/** Thresholds calibrated against given labels. */
export interface Calibration {
  /** t1 < ... < t(L-1): labelOf with these gives level i (0..L-1) for the i-th distinct given label. */
  thresholds: number[];
  /** Cohen's kappa between the levels mapped to labels and the given labels. */
  kappa: number;
  /** The distinct given labels, ascending: level i stands for labels[i]. */
  labels: number[];
}

/** Combinations are searched exhaustively up to this many thresholds (C(256, 3) is about 2.8 million). */
const EXHAUSTIVE_MAX_THRESHOLDS = 3;

/**
 * Thresholds t1 < ... < t(L-1) for the L >= 2 distinct given labels that maximise Cohen's kappa between
 * the thresholded score and the given labels. The score's level i (labelOf with these thresholds, the
 * number of thresholds <= score) stands for the i-th distinct given label in ascending order, returned
 * as `labels`; so with labels 0..L-1 the kappa is that of AgreementAccumulator.result with the thresholds.
 *
 * Thresholds are chosen among the candidates of thresholdCandidates (midpoints between consecutive
 * distinct scores, at most maxCandidates), strictly ascending, so every level is given to at least one
 * distinct score. With L - 1 <= 3 every combination is tried, each in O(L) from cumulative label counts
 * per candidate. With more labels it is coordinate ascent: start from the candidates whose share of
 * scores below best matches the cumulative share of the given labels (the quantile start), then move one
 * threshold at a time to its best place between its neighbours, in order, until a full round improves
 * nothing; that is a local, not necessarily global, maximum. Ties between equal kappas go to the
 * combination found first (lowest candidates). Deterministic.
 * @throws UsageError with fewer than 2 distinct labels, fewer than 2 distinct scores, fewer candidates
 * than thresholds needed, or a maxCandidates that is not a positive integer.
 */
export function calibrateThresholds(acc: AgreementAccumulator, options: CalibrationOptions = {}): Calibration {
  const maxCandidates = options.maxCandidates ?? 256;
  if (!Number.isSafeInteger(maxCandidates) || maxCandidates < 1) throw new UsageError(`maxCandidates must be a positive integer, got ${maxCandidates}`);
  const labels = acc.labels();
  const levels = labels.length;
  if (levels < 2) throw new UsageError(`calibrating thresholds needs at least 2 distinct labels, got ${levels}`);
  const sorted = acc.sorted();
  const cuts = cutPositions(sorted.scores, maxCandidates);
  if (cuts.length === 0) throw new UsageError('calibrating thresholds needs at least 2 distinct scores, all scores are equal');
  const wanted = levels - 1;
  if (cuts.length < wanted) {
    throw new UsageError(`calibrating ${wanted} thresholds for ${levels} labels needs at least ${wanted} candidate cut points, found ${cuts.length} (too few distinct scores or maxCandidates)`);
  }
  const table = new CutTable(sorted.labels, labels, cuts);
  const positions = wanted <= EXHAUSTIVE_MAX_THRESHOLDS ? exhaustive(table, wanted) : coordinateAscent(table, wanted);
  return {
    thresholds: positions.map((p) => cutValue(sorted.scores, cuts[p - 1] ?? 0)),
    kappa: table.kappa(positions),
    labels,
  };
}

/**
 * The candidate thresholds for the ascending `sortedScores`: the midpoints between consecutive distinct
 * scores, or, when there are more than maxCandidates (default 256), those nearest to maxCandidates
 * evenly spaced quantiles (j / (maxCandidates + 1) of the scores below, j = 1..maxCandidates),
 * duplicates dropped. Ascending.
 */
export function thresholdCandidates(sortedScores: Float64Array, maxCandidates = 256): number[] {
  return cutPositions(sortedScores, maxCandidates).map((b) => cutValue(sortedScores, b));
}

/** Cut positions b (the number of scores below the cut, sortedScores[b - 1] < sortedScores[b]) of the candidates. */
function cutPositions(sortedScores: Float64Array, maxCandidates: number): number[] {
  const n = sortedScores.length;
  const all: number[] = [];
  for (let b = 1; b < n; b++) if ((sortedScores[b - 1] ?? 0) < (sortedScores[b] ?? 0)) all.push(b);
  if (all.length <= maxCandidates) return all;
  const chosen: number[] = [];
  for (let j = 1; j <= maxCandidates; j++) {
    const target = (j * n) / (maxCandidates + 1);
    const b = nearest(all, target);
    if (chosen[chosen.length - 1] !== b) chosen.push(b);
  }
  return chosen;
}

/** The value in ascending `values` nearest to `target`, the lower one on a tie. */
function nearest(values: readonly number[], target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] ?? Infinity) < target) low = middle + 1;
    else high = middle;
  }
  const above = values[Math.min(low, values.length - 1)] ?? 0;
  const below = values[Math.max(low - 1, 0)] ?? 0;
  return target - below <= above - target ? below : above;
}

/** A threshold between sortedScores[b - 1] and sortedScores[b]: greater than the first, at most the second. */
function cutValue(sortedScores: Float64Array, b: number): number {
  const below = sortedScores[b - 1] ?? 0;
  const above = sortedScores[b] ?? 0;
  // Halves first, so logits near ±Number.MAX_VALUE cannot overflow; between adjacent doubles the
  // midpoint rounds to one end, and only `above` keeps `below` on the lower level.
  const middle = below / 2 + above / 2;
  return middle > below && middle <= above ? middle : above;
}

/**
 * Cumulative label counts at every candidate, so the kappa of any thresholds costs O(L). Position 0 is
 * below every score, positions 1..m the candidates, m + 1 above every score.
 */
class CutTable {
  readonly candidates: number;
  private readonly levels: number;
  private readonly n: number;
  /** below[p]: scores below position p. */
  private readonly below: Float64Array;
  /** cumulative[p * L + l]: scores below position p whose label is the l-th. */
  private readonly cumulative: Float64Array;
  /** labelTotals[l]: scores whose label is the l-th. */
  readonly labelTotals: Float64Array;

  constructor(sortedLabels: Float64Array, labels: readonly number[], cuts: readonly number[]) {
    const levels = labels.length;
    const n = sortedLabels.length;
    const level = new Map(labels.map((label, i) => [label, i]));
    this.candidates = cuts.length;
    this.levels = levels;
    this.n = n;
    this.below = Float64Array.from([0, ...cuts, n]);
    this.cumulative = new Float64Array((cuts.length + 2) * levels);
    const running = new Float64Array(levels);
    let next = 0;
    for (let p = 1; p <= cuts.length + 1; p++) {
      const end = this.below[p] ?? n;
      for (; next < end; next++) {
        const l = level.get(sortedLabels[next] ?? 0) ?? 0;
        running[l] = (running[l] ?? 0) + 1;
      }
      this.cumulative.set(running, p * levels);
    }
    this.labelTotals = running;
  }

  /** Scores below candidate position p. */
  scoresBelow(p: number): number {
    return this.below[p] ?? 0;
  }

  /** Kappa of thresholds at the ascending candidate positions (1..m), L - 1 of them. */
  kappa(positions: ArrayLike<number>): number {
    const { levels, n } = this;
    let agreeing = 0;
    let chance = 0;
    let previous = 0;
    for (let i = 0; i < levels; i++) {
      const next = i < levels - 1 ? (positions[i] ?? 0) : this.candidates + 1;
      agreeing += (this.cumulative[next * levels + i] ?? 0) - (this.cumulative[previous * levels + i] ?? 0);
      chance += ((this.below[next] ?? 0) - (this.below[previous] ?? 0)) * (this.labelTotals[i] ?? 0);
      previous = next;
    }
    // With at least two labels given, chance < n^2, so the denominator is positive.
    return (n * agreeing - chance) / (n * n - chance);
  }
}

/** The best of every ascending combination of `wanted` candidate positions, the first on ties. */
function exhaustive(table: CutTable, wanted: number): number[] {
  const m = table.candidates;
  const positions = new Int32Array(wanted);
  let best: number[] = [];
  let bestKappa = -Infinity;
  const visit = (depth: number, from: number): void => {
    if (depth === wanted) {
      const kappa = table.kappa(positions);
      if (kappa > bestKappa) {
        bestKappa = kappa;
        best = Array.from(positions);
      }
      return;
    }
    for (let p = from; p <= m - (wanted - depth - 1); p++) {
      positions[depth] = p;
      visit(depth + 1, p + 1);
    }
  };
  visit(0, 1);
  return best;
}

/** Coordinate ascent from the quantile start (see calibrateThresholds). */
function coordinateAscent(table: CutTable, wanted: number): number[] {
  const m = table.candidates;
  const below = Array.from({ length: m }, (_, k) => table.scoresBelow(k + 1));
  const positions: number[] = [];
  let givenBelow = 0;
  for (let i = 0; i < wanted; i++) {
    givenBelow += table.labelTotals[i] ?? 0;
    const p = below.indexOf(nearest(below, givenBelow)) + 1;
    positions.push(Math.min(Math.max(p, (positions[i - 1] ?? 0) + 1), m - wanted + i + 1));
  }
  let bestKappa = table.kappa(positions);
  for (let improved = true; improved; ) {
    improved = false;
    for (let i = 0; i < wanted; i++) {
      const current = positions[i] ?? 0;
      const low = (positions[i - 1] ?? 0) + 1;
      const high = (positions[i + 1] ?? m + 1) - 1;
      let bestPosition = current;
      for (let p = low; p <= high; p++) {
        positions[i] = p;
        const kappa = table.kappa(positions);
        if (kappa > bestKappa) {
          bestKappa = kappa;
          bestPosition = p;
          improved = true;
        }
      }
      positions[i] = bestPosition;
    }
  }
  return positions;
}
