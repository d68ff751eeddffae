import type { JudgedRanking } from '../ranking.js';

/**
 * unj_k (m_unjudged.c, trec_eval 10.0): the share of the top k without a judgment (not in the qrels, or a
 * negative label), ranks past the ranking counting as judged: unjudged in the top min(k, retrieved) over k.
 */
export function unjudgedAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => {
    const n = Math.min(k, ranking.rels.length);
    let unjudged = 0;
    for (let i = 0; i < n; i++) if ((ranking.rels[i] ?? 0) < 0) unjudged++;
    return unjudged / k;
  });
}

/** Judged@k as ir_measures: judged documents (label >= 0) in the top min(k, retrieved), over min(k, retrieved); 0 for an empty ranking. */
export function judgedAt(ranking: JudgedRanking, cutoffs: readonly number[]): number[] {
  return cutoffs.map((k) => {
    const n = Math.min(k, ranking.rels.length);
    if (n === 0) return 0;
    let judged = 0;
    for (let i = 0; i < n; i++) if ((ranking.rels[i] ?? -1) >= 0) judged++;
    return judged / n;
  });
}
