/**
 * Vocabulary shared by every module of rerank-batch.
 *
 * - **pair**: one (query, candidate document) row of the input corpus.
 * - **query**: a query id with its text and all of its candidates.
 * - **batch**: at most `maxDocsPerRequest` candidates of one query, sent in one API request; one BullMQ job.
 * - **run**: one reranking of one corpus with one set of options, named by its run id. All Redis state of
 *   a run lives under its own queue, so workers on other machines can serve it and `cancel` can drop it.
 * - **producer**: reads the corpus, plans batches and enqueues them as jobs.
 * - **worker**: takes jobs, calls the rerank API, returns scores through BullMQ.
 * - **collector**: drains finished jobs from Redis into a local spool, then writes the outputs.
 * - **baseline**: the input's own first-stage order (score descending, or rank ascending).
 */

/** One query-candidate pair as read from the input. Ids are always strings ("007" stays "007"). */
export interface Pair {
  queryId: string;
  query: string;
  docId: string;
  document: string;
  /** First-stage retrieval score, when the input has one. */
  score?: number;
  /** First-stage retrieval rank (1 = best), when the input has one. */
  rank?: number;
  /** Relevance label carried by the input, when it has one (not used for scoring). */
  label?: number;
  /** Where the pair came from, for error messages: 1-based line (CSV: line where the record starts). */
  line: number;
}

/** Where a pair came from; attached to every input error. */
export interface SourcePosition {
  file: string;
  line: number;
  field?: string;
}

/** Counts of a run's input once the producer has read all of it. */
export interface ProducerTotals {
  queries: number;
  pairs: number;
  batches: number;
}

/** What the planned requests send and cost, as the planner counted them (`estimate` prints these). */
export interface ShapingTotals {
  /** API requests the batches make (a batch of empty texts makes none), before any retry or 413 split. */
  requests: number;
  /** Texts those requests send: documents and passages (identical copies are not sent). */
  texts: number;
  /** Their cost in the provider's billing unit (requests, search units or approximate tokens). */
  units: number;
  /** Approximate tokens sent: query tokens x texts + text tokens, per request. */
  tokens: number;
  /** Characters sent: each request's query once and its texts. */
  characters: number;
  /** Documents not sent because an identical one of the same query is in the same request. */
  deduplicated: number;
  /** Documents split into passages, the passages they became, and those cut at maxDocsPerRequest passages. */
  split: number;
  passages: number;
  passagesCut: number;
  /** With passages, passages (or short documents) cut to the token cap. */
  textsCut: number;
  /** With the score cache: pairs whose score came from it, pairs looked up and not found (or too old). */
  cacheHits: number;
  cacheMisses: number;
  /** Requests the cached pairs would have taken: the batches they form, closed as requests would be. */
  requestsSaved: number;
}
