import type { ScoredDoc } from '../read/trec-order.js';

/** Relevance code of a retrieved document absent from the qrels of its query (trec_eval RELVALUE_NONPOOL). */
export const REL_NOT_IN_QRELS = -1;
/** Relevance code of a retrieved document whose qrels label is negative (trec_eval RELVALUE_UNJUDGED). */
export const REL_UNJUDGED = -2;

/**
 * The document trec_eval 10.0 `-c` ranks alone for a qrels query the run lacks (its "bogus ranking"),
 * so that every measure has a ranking to work on; see {@link standInRanking}.
 */
export const STAND_IN_DOC: ScoredDoc = { docId: 'ceci_nest_pas_un_docno', score: 1 };

/**
 * A query's ranking joined with its judgments, as trec_eval's form_res_rels builds it (its RES_RELS).
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
  /** Labels >= relLevel count as relevant. */
  relLevel: number;
  /** Retrieved documents with a label >= relLevel. */
  numRelRet: number;
  /** Retrieved documents not in the qrels (0 with judgedOnly, as trec_eval). */
  numNotInQrels: number;
  /** Retrieved documents with a negative label (0 with judgedOnly, as trec_eval). */
  numUnjudged: number;
  /** relLevels[l]: judged documents of the query with label l (trec_eval rel_levels; its length is num_rel_levels). */
  relLevels: readonly number[];
}

/** Judgment summary of one query, reusable across runs. */
export interface QueryJudgments {
  labels: ReadonlyMap<string, number>;
  numRel: number;
  idealLabels: number[];
  relLevel: number;
  /** Judged documents per label 0..max label (empty when no label is >= 0). */
  relLevels: number[];
}

/** How a ranking is cut before it is judged: trec_eval `-M` and `-J`. */
export interface RankingLimits {
  /** Only the first maxRetrieved documents (trec_eval -M). Default: all. */
  maxRetrieved?: number;
  /** Drop every document without a label >= 0 from the ranking, keeping the others' order (trec_eval -J). */
  judgedOnly?: boolean;
}

/** Summarises the judgments of one query for a relevance threshold (labels >= relLevel are relevant). */
export function summariseJudgments(labels: ReadonlyMap<string, number>, relLevel: number): QueryJudgments {
  let numRel = 0;
  const idealLabels: number[] = [];
  const relLevels: number[] = [];
  for (const label of labels.values()) {
    if (label < 0) continue;
    if (label >= relLevel) numRel++;
    if (label > 0) idealLabels.push(label);
    while (relLevels.length <= label) relLevels.push(0);
    relLevels[label] = (relLevels[label] ?? 0) + 1;
  }
  idealLabels.sort((a, b) => b - a);
  return { labels, numRel, idealLabels, relLevel, relLevels };
}

/** Joins documents already in trec_eval order with the judgments of their query, cut as `limits` say. */
export function judgeRanking(sorted: readonly ScoredDoc[], judgments: QueryJudgments, limits: RankingLimits = {}): JudgedRanking {
  const n = Math.min(sorted.length, limits.maxRetrieved ?? Infinity);
  const rels: number[] = [];
  let numRelRet = 0;
  let numNotInQrels = 0;
  let numUnjudged = 0;
  for (let i = 0; i < n; i++) {
    const label = judgments.labels.get((sorted[i] as ScoredDoc).docId);
    const rel = label === undefined ? REL_NOT_IN_QRELS : label < 0 ? REL_UNJUDGED : label;
    if (rel < 0 && limits.judgedOnly === true) continue;
    if (rel === REL_NOT_IN_QRELS) numNotInQrels++;
    else if (rel === REL_UNJUDGED) numUnjudged++;
    else if (rel >= judgments.relLevel) numRelRet++;
    rels.push(rel);
  }
  return {
    rels,
    numRel: judgments.numRel,
    idealLabels: judgments.idealLabels,
    relLevel: judgments.relLevel,
    numRelRet,
    numNotInQrels,
    numUnjudged,
    relLevels: judgments.relLevels,
  };
}

/**
 * What trec_eval 10.0 `-c` evaluates for a qrels query the run lacks: a ranking of {@link STAND_IN_DOC}
 * alone; afterwards it zeroes the measures that would show that document (see `zeroWhenMissing` in the
 * measure catalog), so the query scores 0 and keeps its num_rel. A ranking of one document (not none)
 * keeps measures such as iprec_at_recall from dividing 0 by 0.
 */
export function standInRanking(judgments: QueryJudgments, limits: RankingLimits = {}): JudgedRanking {
  return judgeRanking([STAND_IN_DOC], judgments, limits);
}
