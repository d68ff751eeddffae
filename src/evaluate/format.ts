import type { EvaluationResult } from './evaluator.js';
import { findFamily } from './measure-catalog.js';

/**
 * Formats a number like C printf `%.<digits>f` with glibc: the exact binary value is rounded, and exact
 * ties go to the even digit (JS toFixed would round them away from zero, e.g. 0.03125 -> "0.0313"
 * where printf gives "0.0312"). NaN and infinities print as "nan", "inf", "-inf".
 * @param digits decimals, default 4.
 */
export function formatFixed(value: number, digits = 4): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  // A double halfway between two d-decimal numbers is an odd multiple of 2^-(d+1) (5^d must divide
  // the odd numerator), so ties are detected exactly by scaling with a power of two.
  const scaled = magnitude * 2 ** (digits + 1);
  const odd = Number.isInteger(scaled) && scaled % 2 === 1;
  const twiceUnits = scaled * 5 ** digits; // = 2 * magnitude * 10^digits, exact when safe
  if (!odd || !Number.isSafeInteger(twiceUnits)) return value.toFixed(digits);
  const down = (twiceUnits - 1) / 2;
  const units = down % 2 === 0 ? down : down + 1;
  const text = String(units).padStart(digits + 1, '0');
  const sign = value < 0 ? '-' : '';
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** Formats one value as trec_eval prints it: counts as integers (`%ld`), others as `%6.4f`. */
export function formatMeasureValue(name: string, value: number): string {
  return isCountMeasure(name) ? String(Math.trunc(value)) : formatFixed(value, 4).padStart(6);
}

/** True for num_q, num_ret, num_rel and num_rel_ret (summed, printed as integers). */
export function isCountMeasure(name: string): boolean {
  return findFamily(name)?.count === true;
}

/** One trec_eval output line: name padded to 22 characters, tab, query id, tab, value, newline. */
export function formatTrecEvalLine(name: string, queryId: string, value: number): string {
  return `${name.padEnd(22)}\t${queryId}\t${formatMeasureValue(name, value)}\n`;
}

/**
 * Formats a result exactly as `trec_eval -c` prints it (with `-q` when perQuery): per-query rows first
 * (queries in qrels order, every measure but num_q), then the "all" rows.
 * @param options.perQuery default false.
 */
export function formatTrecEval(result: EvaluationResult, options: { perQuery?: boolean } = {}): string {
  const parts: string[] = [];
  if (options.perQuery === true) {
    for (const [queryId, values] of result.perQuery) {
      for (const name of result.measures) {
        if (name !== 'num_q') parts.push(formatTrecEvalLine(name, queryId, values[name] ?? 0));
      }
    }
  }
  for (const name of result.measures) parts.push(formatTrecEvalLine(name, 'all', result.mean[name] ?? 0));
  return parts.join('');
}
