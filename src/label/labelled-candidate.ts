/** One scored pair of a query, as the labelling outputs see it. */
export interface LabelledCandidate {
  queryId: string;
  query: string;
  docId: string;
  document: string;
  /** The rerank API's score. */
  score: number;
  /** 1-based rank in the query's reranked list. */
  rank: number;
  /** Rank in the first-stage order, when known. */
  originalRank: number | null;
  /** Judged relevance: from qrels when given, else the input's label column; undefined when unknown. */
  relevance?: number;
  /** The predicted label (label_pred) when a label rule was given. */
  predicted?: number;
}
