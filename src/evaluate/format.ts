import type { EvaluationResult } from './evaluator.js';
import { findFamily } from './measure-catalog.js';
import { formatFixed } from './printf.js';

export { formatFixed };

/** Formats one value as trec_eval prints it: counts as integers (`%ld`), others as `%6.4f`. */
export function formatMeasureValue(name: string, value: number): string {
  return isCountMeasure(name) ? String(Math.trunc(value)) : formatFixed(value, 4).padStart(6);
}

/** True for num_q, num_ret, num_rel, num_rel_ret and num_nonrel_judged_ret (summed, printed as integers). */
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
