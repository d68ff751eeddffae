import { UsageError } from '../errors/usage-error.js';

/**
 * How scores become graded labels. Thresholds may name the label of each level (`labels`, one more than
 * the thresholds): calibrated thresholds give the labels they were fitted to, e.g. 1..4.
 */
export type LabelRule = { kind: 'thresholds'; thresholds: readonly number[]; labels?: readonly number[] } | { kind: 'top-k'; k: number };

/**
 * The label of a pair: with thresholds t1 < t2 < ... the number of thresholds <= score
 * (0..thresholds.length), or the label `labels` names for that level; with top-k, 1 when rank <= k
 * else 0. `rank` (1-based) is used only by top-k.
 */
export function labelOf(rule: LabelRule, score: number, rank: number): number {
  if (rule.kind === 'top-k') return rank <= rule.k ? 1 : 0;
  const thresholds = rule.thresholds;
  let low = 0;
  let high = thresholds.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((thresholds[middle] ?? Infinity) <= score) low = middle + 1;
    else high = middle;
  }
  return rule.labels?.[low] ?? low;
}

/** Every label the rule can give, ascending: 0..thresholds.length (or the levels' `labels`), or 0 and 1. */
export function ruleLabels(rule: LabelRule): number[] {
  if (rule.kind === 'top-k') return [0, 1];
  return rule.thresholds.length + 1 === rule.labels?.length ? [...rule.labels] : Array.from({ length: rule.thresholds.length + 1 }, (_, i) => i);
}

/** A decimal number: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses thresholds given as text items (e.g. ['0.2', '0.5', '0.8']): each a finite decimal number,
 * strictly ascending, at least one.
 * @throws UsageError naming the offending item otherwise.
 */
export function parseThresholds(items: readonly string[]): number[] {
  if (items.length === 0) throw new UsageError('thresholds: give at least one number, e.g. 0.2,0.5,0.8');
  const values = items.map((item, index) => {
    const text = item.trim();
    const value = DECIMAL.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(value)) throw new UsageError(`thresholds: item ${index + 1} ('${item}') is not a finite decimal number`);
    return value + 0; // -0 becomes 0
  });
  for (let i = 1; i < values.length; i++) {
    const previous = values[i - 1] ?? -Infinity;
    const value = values[i] ?? Infinity;
    if (!(value > previous)) {
      throw new UsageError(`thresholds must be strictly ascending: item ${i + 1} (${value}) is not greater than item ${i} (${previous})`);
    }
  }
  return values;
}
