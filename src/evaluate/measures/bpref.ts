import type { JudgedRanking } from '../ranking.js';
import { MIN_GEO_MEAN } from './average-precision.js';

/**
 * bpref (m_bpref.c): for each judged relevant document retrieved, 1 - min(judged non-relevant above it,
 * R) / min(judged non-relevant in the qrels, R), summed and divided by R = num_rel. Documents not in the
 * qrels and unjudged pool documents are skipped.
 */
export function bpref(ranking: JudgedRanking): number {
  const { rels, relLevel, numRel } = ranking;
  let numNonrel = 0;
  // A level beyond the query's labels has no documents (trec_eval would read past its array).
  for (let j = 0; j < relLevel; j++) numNonrel += ranking.relLevels[j] ?? 0;
  let nonrelSoFar = 0;
  let value = 0.0;
  for (const rel of rels) {
    if (rel < 0) continue;
    if (rel < relLevel) {
      nonrelSoFar++;
    } else if (nonrelSoFar > 0) {
      value += 1.0 - Math.min(nonrelSoFar, numRel) / Math.min(numNonrel, numRel);
    } else {
      value += 1.0;
    }
  }
  return numRel > 0 ? value / numRel : value;
}

/** gm_bpref's per-query value: log(max(bpref, MIN_GEO_MEAN)); the summary is exp of their mean. */
export function logBpref(ranking: JudgedRanking): number {
  return Math.log(Math.max(bpref(ranking), MIN_GEO_MEAN));
}
