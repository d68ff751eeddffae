import type { MeasureContext } from './measure-catalog.js';
import type { MeasureSelection } from './measure-selection.js';
import type { JudgedRanking } from './ranking.js';

const NO_CONTEXT: MeasureContext = { numDocsInCollection: 0 };

/**
 * Computes every selected measure for one query, in the order of `selection.names` (the slot of a text
 * measure, runid or relstring, stays 0). The arithmetic follows trec_eval 10.0 step by step (same
 * operations in the same order; see src/evaluate/measures/), so the doubles are identical: e.g. DCG adds
 * gain / log2(rank + 1) in rank order, and a cutoff value is the running sum at that rank.
 * @param context default: a collection size of 0 (trec_eval's without -N).
 */
export function computeQueryMeasures(selection: MeasureSelection, ranking: JudgedRanking, context: MeasureContext = NO_CONTEXT): Float64Array {
  const out = new Float64Array(selection.names.length);
  let at = 0;
  for (const { family, parameters, names } of selection.families) {
    if (family.compute !== undefined) out.set(family.compute(ranking, parameters, context).slice(0, names.length), at);
    at += names.length;
  }
  return out;
}

/**
 * The measures of a qrels query the run lacks, as trec_eval 10.0 `-c` has them: computed on its stand-in
 * ranking (one document not in the qrels), then 0 for the measures that would show that document
 * (num_ret, utility, unj, rbp_resid; relstring is left empty by its printer).
 */
export function computeMissingQueryMeasures(selection: MeasureSelection, ranking: JudgedRanking, context: MeasureContext = NO_CONTEXT): Float64Array {
  const out = computeQueryMeasures(selection, ranking, context);
  let at = 0;
  for (const { family, names } of selection.families) {
    if (family.zeroWhenMissing) out.fill(0, at, at + names.length);
    at += names.length;
  }
  return out;
}
