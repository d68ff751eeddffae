import { labelOf, ruleLabels, type LabelRule } from './label-rule.js';

/** The scores of the pairs given one label. */
export interface LabelScores {
  label: number;
  count: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 when count is 1. */
  sd: number;
  min: number;
  median: number;
  max: number;
}

/** How well scores agree with given labels. */
export interface Agreement {
  pairs: number;
  /** Per given label, ascending. */
  byLabel: LabelScores[];
  /** Spearman's rho between score and label, ties given average ranks (Pearson of the ranks); null when either side is constant. */
  spearman: number | null;
  /** Kendall's tau-b, O(n log n) (Knight's algorithm), ties handled; null when either side is constant. */
  kendallTauB: number | null;
  /** Only when exactly two distinct labels: ROC AUC of score for the higher label (Mann-Whitney U / (n1 n0), ties count 1/2). Else null. */
  auc: number | null;
  /**
   * With a thresholds rule: Cohen's (unweighted) kappa between labelOf(rule, score) and the given label,
   * over the union of the values on both sides. null without a rule, with a top-k rule (ranks are not
   * known here), or when undefined (expected agreement 1, or no pairs).
   */
  kappa: number | null;
  /**
   * Quadratic-weighted kappa, same conditions as kappa. The categories are the sorted union of the given
   * labels and the rule's levels 0..max (all of them, predicted or not); the weight of a cell is the
   * squared distance of the positions of its two values there (as scikit-learn's cohen_kappa_score with
   * those labels), so gaps between label values do not count: with integer labels covering a range
   * without gaps it is the squared difference of the values.
   */
  weightedKappa: number | null;
  /** The confusion matrix behind kappa: rows given labels (ascending), columns the rule's labels (ruleLabels). */
  confusion?: { given: number[]; predicted: number[]; counts: number[][] };
}

const INITIAL_CAPACITY = 64;

/**
 * Collects (score, given label) pairs and measures, exactly (no binning), how well the scores agree with
 * the labels. Scores and labels are kept in two growable Float64Arrays whose capacity doubles when full:
 * about 16 bytes a pair (up to 32 just after a growth). result() needs about 40 bytes a pair more while
 * it runs. Pair counts are exact in doubles while n(n-1)/2 < 2^53, i.e. below about 134 million pairs.
 */
export class AgreementAccumulator {
  private scores = new Float64Array(INITIAL_CAPACITY);
  private givenLabels = new Float64Array(INITIAL_CAPACITY);
  private count = 0;

  /**
   * Adds one pair.
   * @throws RangeError when the score or the label is not a finite number.
   */
  add(score: number, label: number): void {
    if (!Number.isFinite(score)) throw new RangeError(`score must be a finite number, got ${score}`);
    if (!Number.isFinite(label)) throw new RangeError(`label must be a finite number, got ${label}`);
    if (this.count === this.scores.length) this.grow();
    // + 0 turns -0 into 0, so labels() never lists -0.
    this.scores[this.count] = score + 0;
    this.givenLabels[this.count] = label + 0;
    this.count++;
  }

  /** The number of pairs added. */
  get size(): number {
    return this.count;
  }

  /** Sorted distinct given labels. */
  labels(): number[] {
    const sorted = this.givenLabels.slice(0, this.count).sort();
    const distinct: number[] = [];
    for (const label of sorted) if (distinct.length === 0 || distinct[distinct.length - 1] !== label) distinct.push(label);
    return distinct;
  }

  /** For calibration: scores ascending with their labels (ties in score ordered by label). */
  sorted(): { scores: Float64Array; labels: Float64Array } {
    const { scores, labels } = this.views();
    const order = sortedIndexes(scores, labels);
    return { scores: Float64Array.from(order, (i) => scores[i] ?? 0), labels: Float64Array.from(order, (i) => labels[i] ?? 0) };
  }

  /** The statistics of the pairs so far; kappa and its confusion matrix only with a thresholds rule. */
  result(predicted?: LabelRule): Agreement {
    const { scores, labels } = this.views();
    const n = this.count;
    const byScore = sortedIndexes(scores, labels);
    const byLabel = sortedIndexes(labels, scores);
    const groups = labelGroups(byLabel, scores, labels);
    const kappas = predicted?.kind === 'thresholds' ? cohenKappa(predicted, scores, labels, groups) : undefined;
    return {
      pairs: n,
      byLabel: groups.map((group) => group.scores),
      spearman: spearman(byScore, byLabel, scores, labels),
      kendallTauB: kendallTauB(byScore, byLabel, scores, labels),
      auc: groups.length === 2 ? rocAuc(byScore, scores, labels, groups[1]?.scores.label ?? 0) : null,
      kappa: kappas?.kappa ?? null,
      weightedKappa: kappas?.weightedKappa ?? null,
      ...(kappas ? { confusion: kappas.confusion } : {}),
    };
  }

  private views(): { scores: Float64Array; labels: Float64Array } {
    return { scores: this.scores.subarray(0, this.count), labels: this.givenLabels.subarray(0, this.count) };
  }

  private grow(): void {
    const scores = new Float64Array(this.scores.length * 2);
    scores.set(this.scores);
    this.scores = scores;
    const labels = new Float64Array(this.givenLabels.length * 2);
    labels.set(this.givenLabels);
    this.givenLabels = labels;
  }
}

/** Indexes of the pairs ordered by `primary`, ties by `secondary`. */
function sortedIndexes(primary: Float64Array, secondary: Float64Array): Uint32Array {
  const order = new Uint32Array(primary.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // Values are finite, so the differences are never NaN (at worst ±Infinity, still the right sign).
  return order.sort((a, b) => (primary[a] ?? 0) - (primary[b] ?? 0) || (secondary[a] ?? 0) - (secondary[b] ?? 0));
}

/** One given label: where its pairs are in the label order, and the summary of their scores. */
interface LabelGroup {
  start: number;
  end: number;
  scores: LabelScores;
}

/** Groups of equal labels in `byLabel` order (labels, then scores, ascending). */
function labelGroups(byLabel: Uint32Array, scores: Float64Array, labels: Float64Array): LabelGroup[] {
  const groups: LabelGroup[] = [];
  for (let start = 0; start < byLabel.length; ) {
    const label = labels[byLabel[start] ?? 0] ?? 0;
    let end = start + 1;
    while (end < byLabel.length && labels[byLabel[end] ?? 0] === label) end++;
    const count = end - start;
    const scoreAt = (k: number): number => scores[byLabel[start + k] ?? 0] ?? 0;
    let sum = 0;
    for (let k = 0; k < count; k++) sum += scoreAt(k);
    const mean = sum / count;
    let squares = 0;
    for (let k = 0; k < count; k++) squares += (scoreAt(k) - mean) ** 2;
    const half = count >>> 1;
    const median = count % 2 === 1 ? scoreAt(half) : (scoreAt(half - 1) + scoreAt(half)) / 2;
    const sd = count > 1 ? Math.sqrt(squares / (count - 1)) : 0;
    groups.push({ start, end, scores: { label, count, mean, sd, min: scoreAt(0), median, max: scoreAt(count - 1) } });
    start = end;
  }
  return groups;
}

/** 1-based ranks of the values in `order`, tied values sharing their average rank. */
function averageRanks(order: Uint32Array, values: Float64Array): Float64Array {
  const ranks = new Float64Array(order.length);
  for (let start = 0; start < order.length; ) {
    const value = values[order[start] ?? 0];
    let end = start + 1;
    while (end < order.length && values[order[end] ?? 0] === value) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] ?? 0] = rank;
    start = end;
  }
  return ranks;
}

function spearman(byScore: Uint32Array, byLabel: Uint32Array, scores: Float64Array, labels: Float64Array): number | null {
  const n = byScore.length;
  const scoreRanks = averageRanks(byScore, scores);
  const labelRanks = averageRanks(byLabel, labels);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (scoreRanks[i] ?? 0) - mean;
    const dy = (labelRanks[i] ?? 0) - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Ranks are multiples of 1/2, so the sums of squares are exactly 0 only when a side is constant.
  if (sxx === 0 || syy === 0) return null;
  return clampUnit(sxy / Math.sqrt(sxx * syy));
}

/** Pairs among runs of equal values: the sum of t(t-1)/2 over the runs of `values` in `order`. */
function tiedPairs(order: Uint32Array, values: Float64Array, alsoEqual?: Float64Array): number {
  let pairs = 0;
  let run = 1;
  for (let k = 1; k <= order.length; k++) {
    const i = order[k] ?? 0;
    const j = order[k - 1] ?? 0;
    const same = k < order.length && values[i] === values[j] && (alsoEqual === undefined || alsoEqual[i] === alsoEqual[j]);
    if (same) run++;
    else {
      pairs += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return pairs;
}

/**
 * Knight (1966): with the pairs sorted by score then label, the discordant pairs are exactly the
 * inversions of the label sequence, counted by a merge sort. tau-b = (n0 - n1 - n2 + n3 - 2 swaps) /
 * sqrt((n0 - n1)(n0 - n2)), n1/n2 pairs tied in score/label, n3 tied in both.
 */
function kendallTauB(byScore: Uint32Array, byLabel: Uint32Array, scores: Float64Array, labels: Float64Array): number | null {
  const n = byScore.length;
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(byScore, scores);
  const n2 = tiedPairs(byLabel, labels);
  const n3 = tiedPairs(byScore, scores, labels);
  if (n0 - n1 === 0 || n0 - n2 === 0) return null;
  const swaps = countInversions(Float64Array.from(byScore, (i) => labels[i] ?? 0));
  return clampUnit((n0 - n1 - n2 + n3 - 2 * swaps) / Math.sqrt((n0 - n1) * (n0 - n2)));
}

/** Pairs i < j with values[i] > values[j], by a bottom-up merge sort (overwrites `values`). */
function countInversions(values: Float64Array): number {
  const n = values.length;
  let source: Float64Array = values;
  let target: Float64Array = new Float64Array(n);
  let swaps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let low = 0; low < n; low += 2 * width) {
      const middle = Math.min(low + width, n);
      const high = Math.min(low + 2 * width, n);
      let i = low;
      let j = middle;
      let k = low;
      while (i < middle && j < high) {
        const left = source[i] ?? 0;
        const right = source[j] ?? 0;
        if (right < left) {
          target[k++] = right;
          j++;
          swaps += middle - i;
        } else {
          target[k++] = left;
          i++;
        }
      }
      while (i < middle) target[k++] = source[i++] ?? 0;
      while (j < high) target[k++] = source[j++] ?? 0;
    }
    [source, target] = [target, source];
  }
  return swaps;
}

/** Mann-Whitney U / (n1 n0) for pairs labelled `positive` against the rest, over tie groups of score. */
function rocAuc(byScore: Uint32Array, scores: Float64Array, labels: Float64Array, positive: number): number {
  let u = 0;
  let negativesBelow = 0;
  let positives = 0;
  for (let start = 0; start < byScore.length; ) {
    const score = scores[byScore[start] ?? 0];
    let groupPositives = 0;
    let groupNegatives = 0;
    let end = start;
    for (; end < byScore.length && scores[byScore[end] ?? 0] === score; end++) {
      if (labels[byScore[end] ?? 0] === positive) groupPositives++;
      else groupNegatives++;
    }
    u += groupPositives * negativesBelow + 0.5 * groupPositives * groupNegatives;
    negativesBelow += groupNegatives;
    positives += groupPositives;
    start = end;
  }
  return u / (positives * negativesBelow);
}

/** Cohen's kappa and quadratic-weighted kappa from integer counts, so both are exact up to the final division. */
function cohenKappa(
  rule: LabelRule,
  scores: Float64Array,
  labels: Float64Array,
  groups: readonly LabelGroup[],
): { kappa: number | null; weightedKappa: number | null; confusion: NonNullable<Agreement['confusion']> } {
  const n = scores.length;
  const given = groups.map((group) => group.scores.label);
  const predicted = ruleLabels(rule);
  const column = new Map(predicted.map((label, i) => [label, i]));
  const row = new Map(given.map((label, i) => [label, i]));
  const counts = given.map(() => predicted.map(() => 0));
  for (let i = 0; i < n; i++) {
    const cells = counts[row.get(labels[i] ?? 0) ?? 0];
    // The rank argument matters only to top-k rules.
    const at = column.get(labelOf(rule, scores[i] ?? 0, 0)) ?? 0;
    if (cells) cells[at] = (cells[at] ?? 0) + 1;
  }
  const categories = [...new Set([...given, ...predicted])].sort((a, b) => a - b);
  const position = new Map(categories.map((value, i) => [value, i]));
  const rowTotals = given.map((_, r) => (counts[r] ?? []).reduce((sum, count) => sum + count, 0));
  const columnTotals = predicted.map((_, c) => counts.reduce((sum, cells) => sum + (cells[c] ?? 0), 0));
  let agreeing = 0;
  let chance = 0; // sum over categories of row total x column total
  let observedWeight = 0; // sum of w x count
  let chanceWeight = 0; // sum of w x row total x column total
  given.forEach((label, r) => {
    const rowTotal = rowTotals[r] ?? 0;
    const p = position.get(label) ?? 0;
    predicted.forEach((value, c) => {
      const count = counts[r]?.[c] ?? 0;
      const columnTotal = columnTotals[c] ?? 0;
      const weight = (p - (position.get(value) ?? 0)) ** 2;
      if (label === value) {
        agreeing += count;
        chance += rowTotal * columnTotal;
      }
      observedWeight += weight * count;
      chanceWeight += weight * rowTotal * columnTotal;
    });
  });
  const kappa = n * n === chance ? null : (n * agreeing - chance) / (n * n - chance);
  const weightedKappa = chanceWeight === 0 ? null : 1 - (n * observedWeight) / chanceWeight;
  return { kappa, weightedKappa, confusion: { given, predicted, counts } };
}

/** Rounding can push a correlation a hair past ±1. */
function clampUnit(value: number): number {
  return Math.max(-1, Math.min(1, value));
}
