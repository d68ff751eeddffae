import type { ScoredDoc } from '../read/trec-order.js';

/** Relevance code of a retrieved document absent from the qrels of its query (trec_eval RELVALUE_NONPOOL). */
export const REL_NOT_IN_QRELS = -1;
/** Relevance code of a retrieved document whose qrels label is negative (trec_eval RELVALUE_UNJUDGED). */
export const REL_UNJUDGED = -2;

/**
 * A query's ranking joined with its judgments, as trec_eval's form_res_rels builds it.
 * Labels < 0 in the qrels mean "in the pool but unjudged": they are never relevant, never counted in
 * num_rel, and give no gain.
 */
export interface JudgedRanking {
  /** Relevance of each retrieved document in rank order: its label (>= 0), or REL_NOT_IN_QRELS / REL_UNJUDGED. */
  rels: number[];
  /** Number of documents with a label >= relLevel in the qrels of the query. */
  numRel: number;
  /** Positive labels of all judged documents of the query, descending (the ideal ranking for nDCG). */
  idealLabels: number[];
}

/** Judgment summary of one query, reusable across runs. */
export interface QueryJudgments {
  labels: ReadonlyMap<string, number>;
  numRel: number;
  idealLabels: number[];
}

/** Summarises the judgments of one query for a relevance threshold (labels >= relLevel are relevant). */
export function summariseJudgments(labels: ReadonlyMap<string, number>, relLevel: number): QueryJudgments {
  let numRel = 0;
  const idealLabels: number[] = [];
  for (const label of labels.values()) {
    if (label < 0) continue;
    if (label >= relLevel) numRel++;
    if (label > 0) idealLabels.push(label);
  }
  idealLabels.sort((a, b) => b - a);
  return { labels, numRel, idealLabels };
}

/** Joins documents already in trec_eval order with the judgments of their query. */
export function judgeRanking(sorted: readonly ScoredDoc[], judgments: QueryJudgments): JudgedRanking {
  const rels = sorted.map((doc) => {
    const label = judgments.labels.get(doc.docId);
    return label === undefined ? REL_NOT_IN_QRELS : label < 0 ? REL_UNJUDGED : label;
  });
  return { rels, numRel: judgments.numRel, idealLabels: judgments.idealLabels };
}
