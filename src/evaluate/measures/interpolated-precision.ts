import { lround } from '../c-numbers.js';
import type { JudgedRanking } from '../ranking.js';

/**
 * Interpolated precision at recall levels, the walk of m_iprec_at_recall.c and m_11pt_avg.c: recall level
 * x becomes lround(x * num_rel) relevant documents (trec_eval 10.0 rounds; 9.x added 0.9 and truncated),
 * and its value is the best precision at or after the rank where that many relevant documents are
 * retrieved. `visit(index, value)` gets each level's value, levels being visited from the last to the
 * first. With nothing retrieved the precision is 0/0 (NaN), as trec_eval's.
 */
function interpolate(ranking: JudgedRanking, levels: readonly number[], visit: (index: number, value: number) => void): void {
  const { rels, relLevel, numRelRet } = ranking;
  const numRet = rels.length;
  const cutoffs = levels.map((x) => lround(x * ranking.numRel));
  let cut = cutoffs.length - 1;
  while (cut >= 0 && (cutoffs[cut] ?? 0) > numRelRet) cut--;
  let best = numRelRet / numRet;
  let relSoFar = numRelRet;
  for (let i = numRet; i > 0 && relSoFar > 0; i--) {
    const precision = relSoFar / i;
    if (best < precision) best = precision;
    if ((rels[i - 1] ?? -1) >= relLevel) {
      while (cut >= 0 && relSoFar === cutoffs[cut]) visit(cut--, best);
      relSoFar--;
    }
  }
  while (cut >= 0) visit(cut--, best);
}

/** iprec_at_recall_x for each recall level x (sorted ascending). */
export function interpolatedPrecisionAt(ranking: JudgedRanking, levels: readonly number[]): number[] {
  const out = levels.map(() => 0);
  interpolate(ranking, levels, (index, value) => (out[index] = value));
  return out;
}

/** 11pt_avg: the mean of the interpolated precisions at the given recall levels (in the order given). */
export function interpolatedPrecisionAverage(ranking: JudgedRanking, levels: readonly number[]): number {
  let sum = 0.0;
  interpolate(ranking, levels, (_index, value) => (sum += value));
  return sum / levels.length;
}
