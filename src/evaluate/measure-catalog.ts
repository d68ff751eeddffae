/**
 * The measures rerank-batch computes: trec_eval's names, order and default cutoffs, plus a few
 * measures beyond trec_eval (ndcg_exp, ndcg_exp_cut, judged).
 */

/** How a measure family is computed, accumulated and printed. */
export interface MeasureFamily {
  /** trec_eval name (the `-m` name), e.g. "ndcg_cut". */
  name: string;
  /** Counts are summed over queries (not averaged) and printed as integers, as trec_eval does. */
  count: boolean;
  /** Default cutoffs for cutoff measures (printed as `name_k`); undefined for single-valued measures. */
  defaultCutoffs?: readonly number[];
  /** One line of documentation. */
  description: string;
}

/** trec_eval's default cutoffs for P, recall, ndcg_cut and map_cut. */
export const DEFAULT_CUTOFFS: readonly number[] = [5, 10, 15, 20, 30, 100, 200, 500, 1000];

/**
 * Every family, in trec_eval's print order (measures.c); the families trec_eval lacks come last.
 * success uses trec_eval's own default cutoffs (1,5,10).
 */
export const MEASURE_FAMILIES: readonly MeasureFamily[] = [
  { name: 'num_q', count: true, description: 'number of queries averaged over (every query of the qrels)' },
  { name: 'num_ret', count: true, description: 'number of documents retrieved (sum over queries)' },
  { name: 'num_rel', count: true, description: 'number of relevant documents (sum over queries)' },
  { name: 'num_rel_ret', count: true, description: 'number of relevant documents retrieved (sum over queries)' },
  { name: 'map', count: false, description: 'mean average precision' },
  { name: 'Rprec', count: false, description: 'precision after R documents, R = number of relevant documents' },
  { name: 'recip_rank', count: false, description: 'reciprocal rank of the first relevant document' },
  { name: 'P', count: false, defaultCutoffs: DEFAULT_CUTOFFS, description: 'precision at k (missing ranks count as non-relevant)' },
  { name: 'recall', count: false, defaultCutoffs: DEFAULT_CUTOFFS, description: 'recall at k' },
  { name: 'ndcg', count: false, description: 'nDCG over the whole ranking, gain = relevance, discount log2(rank+1)' },
  { name: 'ndcg_cut', count: false, defaultCutoffs: DEFAULT_CUTOFFS, description: 'nDCG at k, gain = relevance' },
  { name: 'map_cut', count: false, defaultCutoffs: DEFAULT_CUTOFFS, description: 'average precision at k' },
  { name: 'success', count: false, defaultCutoffs: [1, 5, 10], description: '1 if a relevant document is in the top k' },
  { name: 'ndcg_exp', count: false, description: 'nDCG over the whole ranking, gain = 2^relevance - 1' },
  { name: 'ndcg_exp_cut', count: false, defaultCutoffs: DEFAULT_CUTOFFS, description: 'nDCG at k, gain = 2^relevance - 1' },
  {
    name: 'judged',
    count: false,
    defaultCutoffs: DEFAULT_CUTOFFS,
    description: 'fraction of the top min(k, retrieved) documents judged in the qrels (label >= 0), as ir_measures Judged@k',
  },
];

/** Looks a family up by its trec_eval name; undefined when unknown. */
export function findFamily(name: string): MeasureFamily | undefined {
  return MEASURE_FAMILIES.find((f) => f.name === name);
}
