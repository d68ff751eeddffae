import type { JudgedRanking } from '../ranking.js';

/**
 * Measures of the retrieved set as a whole, ignoring its order: trec_eval's m_set_P, m_set_relative_P,
 * m_set_recall, m_set_map, m_set_F, m_utility and m_num_nonrel_judged_ret. Each is 0 where its divisor is.
 */

/** set_P: num_rel_ret / num_ret. */
export function setPrecision(r: JudgedRanking): number {
  return r.rels.length > 0 ? r.numRelRet / r.rels.length : 0;
}

/** set_relative_P: num_rel_ret / min(num_ret, num_rel). */
export function setRelativePrecision(r: JudgedRanking): number {
  return r.rels.length > 0 && r.numRel > 0 ? r.numRelRet / Math.min(r.rels.length, r.numRel) : 0;
}

/** set_recall: num_rel_ret / num_rel. */
export function setRecall(r: JudgedRanking): number {
  return r.numRel > 0 ? r.numRelRet / r.numRel : 0;
}

/** set_map: num_rel_ret² / (num_ret × num_rel), i.e. set precision × set recall. */
export function setAveragePrecision(r: JudgedRanking): number {
  return r.rels.length > 0 && r.numRel > 0 ? (r.numRelRet * r.numRelRet) / (r.rels.length * r.numRel) : 0;
}

/** set_F with weight x of recall against precision: (x + 1) P R / (x P + R); 0 when nothing relevant is retrieved. */
export function setF(r: JudgedRanking, x: number): number {
  if (r.numRelRet === 0) return 0;
  const p = r.numRelRet / r.rels.length;
  const recall = r.numRelRet / r.numRel;
  return ((x + 1.0) * p * recall) / (x * p + recall);
}

/**
 * utility with coefficients [a, b, c, d] for relevant retrieved, non-relevant retrieved, relevant not
 * retrieved and non-relevant not retrieved (the last needs the collection size, trec_eval -N).
 */
export function utility(r: JudgedRanking, coefficients: readonly number[], numDocsInCollection: number): number {
  const [a = 0, b = 0, c = 0, d = 0] = coefficients;
  const numRet = r.rels.length;
  return a * r.numRelRet + b * (numRet - r.numRelRet) + c * (r.numRel - r.numRelRet) + d * (numDocsInCollection + r.numRelRet - numRet - r.numRel);
}

/** num_nonrel_judged_ret: retrieved documents judged below the relevance level. */
export function nonRelevantJudgedRetrieved(r: JudgedRanking): number {
  return r.rels.length - r.numNotInQrels - r.numUnjudged - r.numRelRet;
}
