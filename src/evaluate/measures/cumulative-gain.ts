import { gainOf, setupGains, type GainPair, type RelGain } from '../gains.js';
import type { JudgedRanking } from '../ranking.js';

/**
 * Gain-based measures, as trec_eval computes them (m_ndcg.c, m_ndcg_rel.c, m_Rndcg.c, m_G.c, m_binG.c,
 * m_ndcg_cut.c), with the same operations in the same order so that the doubles agree: DCG adds
 * gain / log2(rank + 1) in rank order; the ideal ranking takes the judged documents level by level from
 * the highest gain down, stopping at the first gain <= 0.
 */

/** Walks the ideal ranking of a query's gains: `next()` is the ideal gain at the next rank (<= 0 once used up). */
class IdealGains {
  private level: number;
  private atLevel = 0;
  gain: number;

  constructor(private readonly gains: readonly RelGain[]) {
    this.level = gains.length - 1;
    this.gain = this.level >= 0 ? (gains[this.level]?.gain ?? 0) : 0;
  }

  /** Moves to the next rank: trec_eval's "num_at_level++, step down while the level is used up". */
  next(): number {
    this.atLevel++;
    while (this.level >= 0 && this.atLevel > (this.gains[this.level]?.numAtLevel ?? 0)) {
      this.atLevel = 1;
      this.level--;
      this.gain = this.level >= 0 ? (this.gains[this.level]?.gain ?? 0) : 0;
    }
    return this.gain;
  }
}

/** DCG of the ranking and of the ideal ranking (trec_eval's results_dcg and ideal_dcg), with `level=gain` pairs. */
export function discountedGains(ranking: JudgedRanking, pairs: readonly GainPair[]): { dcg: number; idealDcg: number } {
  const gains = setupGains(pairs, ranking);
  const { rels } = ranking;
  const ideal = new IdealGains(gains);
  let dcg = 0.0;
  let idealDcg = 0.0;
  let i = 0;
  for (; i < rels.length && ideal.gain > 0.0; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    if (gain !== 0) dcg += gain / Math.log2(i + 2);
    const idealGain = ideal.next();
    if (idealGain > 0.0) idealDcg += idealGain / Math.log2(i + 2);
  }
  for (; i < rels.length; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    if (gain !== 0) dcg += gain / Math.log2(i + 2);
  }
  for (; ideal.gain > 0.0; i++) {
    const idealGain = ideal.next();
    if (idealGain > 0.0) idealDcg += idealGain / Math.log2(i + 2);
  }
  return { dcg, idealDcg };
}

/** ndcg: DCG over ideal DCG (0 when the ideal is 0). */
export function ndcg(ranking: JudgedRanking, pairs: readonly GainPair[]): number {
  const { dcg, idealDcg } = discountedGains(ranking, pairs);
  return idealDcg > 0.0 ? dcg / idealDcg : 0;
}

/**
 * ndcg_rel: nDCG averaged over the relevant documents (ideal gain > 0): at each retrieved document with a
 * positive gain the nDCG so far, and for each relevant document not retrieved the final DCG over the final
 * ideal DCG.
 */
export function ndcgRelevant(ranking: JudgedRanking, pairs: readonly GainPair[]): number {
  const gains = setupGains(pairs, ranking);
  const { rels } = ranking;
  const ideal = new IdealGains(gains);
  let dcg = 0.0;
  let idealDcg = 0.0;
  let sum = 0.0;
  let numRelRet = 0;
  let numRel = 0;
  let i = 0;
  for (; i < rels.length && ideal.gain > 0.0; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    if (gain !== 0) dcg += gain / Math.log2(i + 2);
    const idealGain = ideal.next();
    if (idealGain > 0.0) {
      numRel++;
      idealDcg += idealGain / Math.log2(i + 2);
    }
    if (gain > 0) {
      sum += dcg / idealDcg;
      numRelRet++;
    }
  }
  for (; i < rels.length; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    if (gain !== 0) dcg += gain / Math.log2(i + 2);
    if (gain > 0) {
      sum += dcg / idealDcg;
      numRelRet++;
    }
  }
  for (; ideal.gain > 0.0; i++) {
    const idealGain = ideal.next();
    if (idealGain > 0.0) {
      numRel++;
      idealDcg += idealGain / Math.log2(i + 2);
    }
  }
  sum += ((numRel - numRelRet) * dcg) / idealDcg;
  return sum > 0.0 ? sum / numRel : 0;
}

/**
 * Rndcg: nDCG averaged at the ranks where the ideal gain changes (the R levels of each gain), plus the end
 * of the ranking when it reaches past the ideal's positive gains. 0 without relevant documents.
 */
export function rNdcg(ranking: JudgedRanking, pairs: readonly GainPair[]): number {
  const gains = setupGains(pairs, ranking);
  if (ranking.numRel === 0) return 0;
  const { rels } = ranking;
  const ideal = new IdealGains(gains);
  let previousGain = ideal.gain;
  let dcg = 0.0;
  let idealDcg = 0.0;
  let sum = 0.0;
  let changes = 0;
  const atChange = (idealGain: number): void => {
    if (previousGain !== idealGain) {
      if (idealDcg > 0.0) {
        sum += dcg / idealDcg;
        changes++;
      }
      previousGain = idealGain;
    }
  };
  let i = 0;
  for (; i < rels.length && ideal.gain > 0.0; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    const idealGain = ideal.next();
    atChange(idealGain);
    if (gain !== 0) dcg += gain / Math.log2(i + 2);
    if (idealGain > 0.0) idealDcg += idealGain / Math.log2(i + 2);
  }
  if (i < rels.length) {
    for (; i < rels.length; i++) {
      const gain = gainOf(rels[i] ?? -1, gains);
      if (gain !== 0) dcg += gain / Math.log2(i + 2);
    }
    if (idealDcg > 0.0) {
      sum += dcg / idealDcg;
      changes++;
    }
  }
  for (; ideal.gain > 0.0; i++) {
    const idealGain = ideal.next();
    atChange(idealGain);
    if (idealGain > 0.0) idealDcg += idealGain / Math.log2(i + 2);
  }
  return sum / changes;
}

/**
 * G (m_G.c): each retrieved document's gain over log2(2 + cost so far - gain so far), the cost being the
 * ideal gain at each rank (at least 1); summed and normalised by the ideal total gain.
 */
export function normalizedGain(ranking: JudgedRanking, pairs: readonly GainPair[]): number {
  const gains = setupGains(pairs, ranking);
  const { rels } = ranking;
  const ideal = new IdealGains(gains);
  const minCost = 1.0;
  let resultsG = 0.0;
  let sumResults = 0.0;
  let sumIdeal = 0.0;
  let sumCost = 0.0;
  let i = 0;
  for (; i < rels.length && ideal.gain > 0.0; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    sumResults += gain;
    const idealGain = ideal.next();
    if (idealGain > 0.0) sumIdeal += idealGain;
    if (idealGain >= minCost) sumCost += idealGain;
    else sumCost += minCost;
    if (gain !== 0) resultsG += gain / Math.log2(2 + sumCost - sumResults);
  }
  for (; i < rels.length; i++) {
    const gain = gainOf(rels[i] ?? -1, gains);
    sumResults += gain;
    sumCost += minCost;
    if (gain !== 0) resultsG += gain / Math.log2(2 + sumCost - sumResults);
  }
  while (ideal.gain > 0.0) {
    const idealGain = ideal.next();
    if (idealGain > 0.0) sumIdeal += idealGain;
  }
  return sumIdeal > 0.0 ? resultsG / sumIdeal : 0;
}

/** binG (m_binG.c): over num_rel, the sum at each relevant document of 1 / log2(2 + non-relevant documents above it). */
export function binaryGain(ranking: JudgedRanking): number {
  const { rels, relLevel } = ranking;
  let relSoFar = 0;
  let sum = 0.0;
  for (let i = 0; i < rels.length; i++) {
    if ((rels[i] ?? -1) >= relLevel) {
      relSoFar++;
      sum += 1.0 / Math.log2(3 + i - relSoFar);
    }
  }
  return relSoFar > 0 ? sum / ranking.numRel : 0;
}

/** Gain of a relevance label: linear (trec_eval) or exponential (2^rel - 1). Labels <= 0 give 0. */
export type LabelGain = (rel: number) => number;
export const linearGain: LabelGain = (rel) => (rel > 0 ? rel : 0);
export const exponentialGain: LabelGain = (rel) => (rel > 0 ? 2 ** rel - 1 : 0);

/**
 * nDCG at each cutoff k (m_ndcg_cut.c; Infinity for the whole ranking): DCG of the top k over the DCG of
 * the ideal top k, the ideal ranking being every judged document of the query by label; 0 when the ideal
 * DCG is 0. The gain is trec_eval's label itself, or `gain` (ndcg_exp uses 2^rel - 1).
 */
export function ndcgAt(ranking: JudgedRanking, cutoffs: readonly number[], gain: LabelGain = linearGain): number[] {
  const { rels, idealLabels } = ranking;
  return cutoffs.map((k) => {
    let dcg = 0;
    const n = Math.min(k, rels.length);
    for (let i = 0; i < n; i++) {
      const g = gain(rels[i] ?? 0);
      if (g > 0) dcg += g / Math.log2(i + 2);
    }
    let ideal = 0;
    const m = Math.min(k, idealLabels.length);
    for (let i = 0; i < m; i++) ideal += gain(idealLabels[i] ?? 0) / Math.log2(i + 2);
    return ideal > 0 ? dcg / ideal : dcg;
  });
}
