import { compareUtf8 } from './byte-order.js';

/** One retrieved document with its retrieval score (higher = better). */
export interface ScoredDoc {
  docId: string;
  score: number;
}

/**
 * trec_eval's ranking order (form_res_rels.c, comp_sim_docno): score descending, ties by doc id in
 * descending strcmp byte order. The comparator for records sorted in place.
 */
export function compareTrecOrder(a: ScoredDoc, b: ScoredDoc): number {
  return a.score > b.score ? -1 : a.score < b.score ? 1 : compareUtf8(b.docId, a.docId);
}

/** A sorted copy in trec_eval order; input order and any rank field are ignored. */
export function sortTrecOrder<T extends ScoredDoc>(docs: readonly T[]): T[] {
  return [...docs].sort(compareTrecOrder);
}
