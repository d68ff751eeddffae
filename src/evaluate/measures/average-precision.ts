import type { JudgedRanking } from '../ranking.js';

/** trec_eval's floor for geometric means (MIN_GEO_MEAN): a query's value is log(max(value, 0.00001)). */
export const MIN_GEO_MEAN = 0.00001;
/** trec_eval's INFAP_EPSILON. */
const INFAP_EPSILON = 0.00001;

/**
 * Sum of the precisions at the relevant ranks within the top `depth`, and how many relevant documents
 * that is: the core of m_map, m_map_cut, m_gm_map and m_yaap.
 */
function precisionSum(ranking: JudgedRanking, depth: number): { sum: number; relSoFar: number } {
  const { rels, relLevel } = ranking;
  const n = Math.min(depth, rels.length);
  let relSoFar = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if ((rels[i] ?? -1) >= relLevel) {
      relSoFar++;
      sum += relSoFar / (i + 1);
    }
  }
  return { sum, relSoFar };
}

/** map: sum of precisions at relevant ranks over num_rel; 0 when nothing relevant is retrieved. */
export function averagePrecision(ranking: JudgedRanking, depth = Infinity): number {
  const { sum, relSoFar } = precisionSum(ranking, depth);
  return relSoFar === 0 ? 0 : sum / ranking.numRel;
}

/** map_cut_k: average precision of the top k, over num_rel; 0 without relevant documents. */
export function averagePrecisionAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => (ranking.numRel === 0 ? 0 : averagePrecision(ranking, k)));
}

/** gm_map's per-query value: log(max(AP, MIN_GEO_MEAN)); the summary is exp of their mean. */
export function logAveragePrecision(ranking: JudgedRanking): number {
  return Math.log(Math.max(averagePrecision(ranking), MIN_GEO_MEAN));
}

/** yaap (m_yaap.c): log((1 + precision sum) / (1 + num_rel - precision sum)). */
export function yetAnotherAveragePrecision(ranking: JudgedRanking): number {
  const { sum } = precisionSum(ranking, Infinity);
  return Math.log((1.0 + sum) / (1.0 + ranking.numRel - sum));
}

/**
 * infAP (m_infap.c): at each judged relevant document, 1/(j+1) plus the precision of the judged documents
 * above it (smoothed by INFAP_EPSILON) weighted by j/(j+1); documents not in the qrels are skipped,
 * unjudged pool documents (negative labels) count only in the weight. Over num_rel.
 */
export function inferredAveragePrecision(ranking: JudgedRanking): number {
  const { rels, relLevel } = ranking;
  let nonrelSoFar = 0;
  let relSoFar = 0;
  let unjudgedSoFar = 0;
  let infAp = 0.0;
  for (let j = 0; j < rels.length; j++) {
    const rel = rels[j] ?? -1;
    if (rel === -1) continue;
    if (rel === -2) {
      unjudgedSoFar++;
      continue;
    }
    if (rel >= 0 && rel < relLevel) {
      nonrelSoFar++;
      continue;
    }
    relSoFar++;
    if (j === 0) {
      infAp += 1.0;
    } else {
      const fj = j;
      infAp +=
        1.0 / (fj + 1.0) +
        (fj / (fj + 1.0)) * ((relSoFar - 1 + nonrelSoFar + unjudgedSoFar) / fj) * ((relSoFar - 1 + INFAP_EPSILON) / (relSoFar - 1 + nonrelSoFar + 2 * INFAP_EPSILON));
    }
  }
  return ranking.numRel > 0 ? infAp / ranking.numRel : infAp;
}
