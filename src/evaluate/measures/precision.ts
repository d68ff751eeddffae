import type { JudgedRanking } from '../ranking.js';

/**
 * Precision-style measures: trec_eval's m_P, m_recall, m_Rprec, m_recip_rank, m_rel_P, m_success and
 * m_Rprec_mult, step for step. Cutoffs are sorted ascending; a cutoff beyond the ranking counts the missing
 * ranks as non-relevant.
 */

/** Relevant documents in the first min(k, retrieved) ranks. */
export function relevantInTop(ranking: JudgedRanking, k: number): number {
  const { rels, relLevel } = ranking;
  const n = Math.min(k, rels.length);
  let count = 0;
  for (let i = 0; i < n; i++) if ((rels[i] ?? -1) >= relLevel) count++;
  return count;
}

/** P_k: relevant in the top k over k. */
export function precisionAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => relevantInTop(ranking, k) / k);
}

/** recall_k: relevant in the top k over num_rel; 0 without relevant documents. */
export function recallAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => (ranking.numRel === 0 ? 0 : relevantInTop(ranking, k) / ranking.numRel));
}

/** relative_P_k: relevant in the top k over min(k, num_rel), the best a ranking could do there. */
export function relativePrecisionAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => (ranking.numRel === 0 ? 0 : relevantInTop(ranking, k) / Math.min(k, ranking.numRel)));
}

/** success_k: 1 when a relevant document is in the top k. */
export function successAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => (relevantInTop(ranking, k) > 0 ? 1 : 0));
}

/** Rprec: precision after num_rel documents (missing ranks non-relevant); 0 without relevant documents. */
export function rPrecision(ranking: JudgedRanking): number {
  return ranking.numRel === 0 ? 0 : relevantInTop(ranking, ranking.numRel) / ranking.numRel;
}

/** recip_rank: 1 / rank of the first relevant document; 0 when none is retrieved. */
export function reciprocalRank(ranking: JudgedRanking): number {
  const i = ranking.rels.findIndex((rel) => rel >= ranking.relLevel);
  return i < 0 ? 0 : 1 / (i + 1);
}

/**
 * Rprec_mult_x: precision after (long)(x * num_rel + 0.9) documents, for each multiple x (sorted). A
 * cutoff beyond the ranking gives num_rel_ret / cutoff; a cutoff above the last relevant document the
 * reverse walk reaches stays 0, as in m_Rprec_mult.c.
 */
export function rPrecisionMultiples(ranking: JudgedRanking, multiples: readonly number[]): number[] {
  const { rels, relLevel, numRelRet } = ranking;
  const numRet = rels.length;
  const cutoffs = multiples.map((x) => Math.trunc(x * ranking.numRel + 0.9));
  const out = multiples.map(() => 0);
  let cut = cutoffs.length - 1;
  while (cut >= 0 && (cutoffs[cut] ?? 0) > numRet) {
    out[cut] = numRelRet / (cutoffs[cut] ?? 1);
    cut--;
  }
  let relSoFar = numRelRet;
  for (let i = numRet; i > 0 && relSoFar > 0; i--) {
    const precision = relSoFar / i;
    while (cut >= 0 && i === cutoffs[cut]) {
      out[cut] = precision;
      cut--;
    }
    if ((rels[i - 1] ?? -1) >= relLevel) relSoFar--;
  }
  return out;
}
