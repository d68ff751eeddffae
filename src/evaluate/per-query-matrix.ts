import { UsageError } from '../errors/usage-error.js';
import type { RunScores } from './run-scores.js';

/**
 * The rows of the per-query matrix of several runs (`eval --per-query-csv`): a header `query_id,
 * measure, <run name>...`, then one row per query (qrels order) and measure (the first run's order,
 * every measure but num_q, as trec_eval -q), each run's value at full precision (`String(value)`).
 * Rows come one at a time, for a writer to stream.
 * @throws UsageError when the runs were evaluated over different query sets or measures.
 */
export function* perQueryMatrixRows(runs: readonly RunScores[]): Generator<string[]> {
  const first = runs[0];
  if (first === undefined) return;
  const columns = runs.map((run) => {
    const unlike = (): UsageError => new UsageError(`per-query matrix: ${run.name} was not evaluated over the queries and measures of ${first.name}`);
    if (run.queryIds.length !== first.queryIds.length || run.queryIds.some((q, i) => q !== first.queryIds[i])) throw unlike();
    return first.measures.map((measure) => {
      const k = run.measures.indexOf(measure);
      if (k < 0) throw unlike();
      return run.values[k] as Float64Array;
    });
  });
  yield ['query_id', 'measure', ...runs.map((run) => run.name)];
  for (let i = 0; i < first.queryIds.length; i++) {
    const queryId = first.queryIds[i] as string;
    for (let k = 0; k < first.measures.length; k++) {
      yield [queryId, first.measures[k] as string, ...columns.map((values) => String((values[k] as Float64Array)[i]))];
    }
  }
}
