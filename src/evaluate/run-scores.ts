import type { EvaluationResult } from './evaluator.js';

/**
 * One evaluated run held as typed arrays, ready to compare or write out: per measure, the value of each
 * query in qrels order. A few bytes a value (8 per query and measure), where an EvaluationResult holds an
 * object per query, so many runs can be kept side by side.
 */
export interface RunScores {
  /** The run's name in tables (a file name, or a label). */
  name: string;
  /** The qrels queries, in qrels order (EvaluationResult.perQuery's). */
  queryIds: readonly string[];
  /** Printed measure names, every measure of the evaluation but num_q. */
  measures: readonly string[];
  /** Summary by measure, as EvaluationResult.mean (trec_eval's sums and means). */
  mean: Readonly<Record<string, number>>;
  /** values[k][i]: measure k of query i. */
  values: readonly Float64Array[];
}

/** The scores of an evaluation under `name` (the result itself can then be dropped). */
export function runScores(name: string, result: EvaluationResult): RunScores {
  const queryIds = [...result.perQuery.keys()];
  const measures = result.measures.filter((measure) => measure !== 'num_q');
  const values = measures.map(() => new Float64Array(queryIds.length));
  let i = 0;
  for (const record of result.perQuery.values()) {
    measures.forEach((measure, k) => ((values[k] as Float64Array)[i] = record[measure] ?? 0));
    i++;
  }
  return { name, queryIds, measures, mean: { ...result.mean }, values };
}
