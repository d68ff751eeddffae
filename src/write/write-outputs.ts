import { join } from 'node:path';
import type { Spool } from '../collect/spool.js';
import { Evaluator, isCountMeasure, type EvaluationResult, type MeasureComparison, type Qrels } from '../evaluate/index.js';
import type { LabellingSummary } from './labelling-outputs.js';
import { writeMetrics, type BaselinePair } from './metrics.js';
import { LineWriter } from './line-writer.js';
import { firstStageOrder, rankQuery } from './query-ranking.js';
import { compareQueryIds, formatScore, type RankedItem } from './ranking.js';

export interface OutputOptions {
  outDir: string;
  /** Last column of ranked.trec. Default "rerank-batch". */
  runTag: string;
  /** Keep only the best N candidates of each query in ranked.trec, ranked.jsonl and the metrics. Default: all. */
  topN?: number;
  /** Judgments for metrics.json; no metrics without them. */
  qrels?: Qrels;
  /** Relevance threshold of binary measures (trec_eval -l). Default 1. */
  relLevel?: number;
}

export interface OutputSummary {
  queries: number;
  scoredPairs: number;
  failedPairs: number;
  failedBatches: number;
  /** Pairs with empty text, never sent, ranked last (`--on-empty-text score-lowest`). */
  unscoredPairs: number;
  /** Batches scored. */
  scoredBatches: number;
  /** Of those, the ones sent to the API (a batch of empty texts is not). */
  sentBatches: number;
  /** HTTP requests to the API for the scored batches, in-process retries included. */
  apiRequests: number;
  /** BullMQ attempts beyond the first, over all batches. */
  jobRetries: number;
  /** 429 answers seen. */
  rateLimited: number;
  /** Pairs whose scores came from the score cache (in no request), and the batches they formed. */
  cachedPairs: number;
  cachedBatches: number;
  /**
   * Candidates written once though scored twice: a (query_id, doc_id) repeated across far-apart blocks of
   * lines, which the reader cannot see in bounded memory (its 'regrouped-queries' notice). Absent when none.
   */
  repeatsDropped?: number;
  /**
   * With qrels: queries of the run without a first-stage order (some candidate has neither a first-stage
   * score nor a rank). They are left out of the baseline metrics and the comparison, which cover the other
   * queries (see metrics.json `baseline_queries`, `queries_without_baseline`). Absent when none.
   */
  queriesWithoutBaseline?: number;
  /** The labelling outputs written (scored.*, labels.qrels, training files, review.csv) and the agreement figures. */
  labelling?: LabellingSummary;
  /** The lowest and highest API score of the run; absent when no pair was scored. */
  scoreRange?: { min: number; max: number };
  /**
   * `reranked` over every qrels query; `baseline` over the qrels queries that have a first-stage order
   * (undefined when none has); the comparison of the two per measure, as metrics.json has it (empty without a baseline).
   */
  metrics?: { reranked: EvaluationResult; baseline: EvaluationResult | undefined; comparisons: MeasureComparison[] };
}

/** File names inside --out. */
export const OUTPUT_FILES = {
  ranked: 'ranked.trec',
  rankedJsonl: 'ranked.jsonl',
  metrics: 'metrics.json',
  metricsPerQuery: 'metrics.perquery.csv',
  failures: 'failures.jsonl',
  manifest: 'manifest.json',
  report: 'report.html',
} as const;

/**
 * An evaluation less some queries, with the Evaluator's summary semantics: rates are means over the
 * queries kept, summed in qrels order; num_q is their number; num_ret and num_rel_ret are sums; num_rel is
 * the number of labels > 0 of the queries kept (trec_eval -c's recount, see Evaluator).
 */
function withoutQueries(result: EvaluationResult, qrels: Qrels, left: ReadonlySet<string>): EvaluationResult {
  const perQuery = new Map([...result.perQuery].filter(([queryId]) => !left.has(queryId)));
  const n = perQuery.size;
  const mean: Record<string, number> = {};
  for (const measure of result.measures) {
    if (measure === 'num_q') {
      mean[measure] = n;
    } else if (measure === 'num_rel') {
      let positive = 0;
      for (const queryId of perQuery.keys()) for (const label of qrels.get(queryId)?.values() ?? []) if (label > 0) positive++;
      mean[measure] = positive;
    } else {
      let sum = 0;
      for (const values of perQuery.values()) sum += values[measure] ?? 0;
      mean[measure] = isCountMeasure(measure) || n === 0 ? sum : sum / n;
    }
  }
  return { measures: [...result.measures], mean, perQuery, ignoredRunQueries: result.ignoredRunQueries };
}

/** A number as JSON.stringify writes it. */
const jsonNumber = (value: number | null): string => (value !== null && Number.isFinite(value) ? String(value) : 'null');

/**
 * One query's lines of ranked.trec and of ranked.jsonl (`{query_id, query, results: [{doc_id, score,
 * rank, original_rank, original_score, and for a document scored as passages passages and
 * best_passage}]}`, the bytes JSON.stringify would write). Built together by hand:
 * writing is the run's last step, on one thread, and formatting numbers is most of its cost; this way
 * each score is formatted once for both files, and no result objects are made.
 */
function queryLines(queryId: string, query: string, kept: RankedItem[], originalRanks: ReadonlyMap<string, number>, runTag: string): { trec: string; jsonl: string } {
  let trec = '';
  let jsonl = `{"query_id":${JSON.stringify(queryId)},"query":${JSON.stringify(query)},"results":[`;
  for (let i = 0; i < kept.length; i++) {
    const item = kept[i] as RankedItem;
    const score = formatScore(item.score);
    trec += `${queryId} Q0 ${item.docId} ${i + 1} ${score} ${runTag}\n`;
    const originalRank = item.originalRank ?? originalRanks.get(item.docId) ?? null;
    jsonl += `${i === 0 ? '' : ','}{"doc_id":${JSON.stringify(item.docId)},"score":${Number.isFinite(item.score) ? score : 'null'},"rank":${i + 1},"original_rank":${jsonNumber(originalRank)},"original_score":${jsonNumber(item.originalScore)}${item.passage === undefined ? '' : `,"passages":${item.passage[0]},"best_passage":${item.passage[1]}`}}`;
  }
  return { trec, jsonl: `${jsonl}]}\n` };
}

/**
 * Write ranked.trec, ranked.jsonl, failures.jsonl and (with qrels) metrics.json from the spool, one
 * query at a time: memory holds one query's candidates, never the whole run.
 */
export async function writeOutputs(spool: Spool, options: OutputOptions): Promise<OutputSummary> {
  const trec = new LineWriter(join(options.outDir, OUTPUT_FILES.ranked));
  const jsonl = new LineWriter(join(options.outDir, OUTPUT_FILES.rankedJsonl));
  const failures = new LineWriter(join(options.outDir, OUTPUT_FILES.failures));
  const evalOptions = { relLevel: options.relLevel ?? 1 };
  const reranked = options.qrels === undefined ? undefined : new Evaluator(options.qrels, evalOptions);
  const baseline = options.qrels === undefined ? undefined : new Evaluator(options.qrels, evalOptions);
  /** Queries with no first-stage order: out of the baseline, and of the comparison. */
  const withoutBaseline = new Set<string>();
  const range = { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
  const summary: OutputSummary = { queries: 0, scoredPairs: 0, failedPairs: 0, failedBatches: 0, unscoredPairs: 0, scoredBatches: 0, sentBatches: 0, apiRequests: 0, jobRetries: 0, rateLimited: 0, cachedPairs: 0, cachedBatches: 0 };

  try {
    const groups = spool.groupByQuery();
    const queryIds = [...groups.keys()].sort(compareQueryIds);
    for (const queryId of queryIds) {
      const records = (groups.get(queryId) ?? []).map((ref) => spool.read(ref));
      for (const record of records) {
        summary.jobRetries += Math.max(0, record.attempts - 1);
        if (record.t === 'ok') {
          summary.scoredBatches += 1;
          // A batch of empty texts is never sent: it made no request, so none of its requests is a retry.
          if (record.requests > 0) summary.sentBatches += 1;
          summary.apiRequests += record.requests;
          summary.rateLimited += record.rateLimited;
          if (record.cached === true) {
            summary.cachedBatches += 1;
            summary.cachedPairs += record.items.length;
          }
        } else {
          summary.failedBatches += 1;
          summary.failedPairs += record.docs.length;
          await failures.write(
            `${JSON.stringify({ query_id: queryId, doc_ids: record.docs.map(([docId]) => docId), error_class: record.errorClass, code: record.code, message: record.message, attempts: record.attempts, job_id: record.job })}\n`,
          );
        }
      }
      const { query, ranked: scored, all, repeatsDropped } = rankQuery(records);
      summary.queries += 1;
      if (repeatsDropped > 0) summary.repeatsDropped = (summary.repeatsDropped ?? 0) + repeatsDropped;
      for (const item of scored) {
        if (item.unscored === true) {
          summary.unscoredPairs += 1;
          continue;
        }
        summary.scoredPairs += 1;
        if (item.score < range.min) range.min = item.score;
        if (item.score > range.max) range.max = item.score;
      }
      const kept = options.topN === undefined ? scored : scored.slice(0, options.topN);
      // The first-stage order gives ranked.jsonl's original_rank where the input had none, and the baseline metrics.
      const needOriginalOrder = baseline !== undefined || kept.some((item) => item.originalRank === null);
      const originalOrder = needOriginalOrder ? firstStageOrder(all) : undefined;
      const originalRanks = new Map(originalOrder?.map((item, i) => [item.docId, i + 1]));
      const lines = queryLines(queryId, query, kept, originalRanks, options.runTag);
      await trec.write(lines.trec);
      await jsonl.write(lines.jsonl);
      reranked?.addQuery(queryId, kept.map((item) => ({ docId: item.docId, score: item.score })));
      if (baseline !== undefined) {
        if (originalOrder === undefined) withoutBaseline.add(queryId);
        else baseline.addQuery(queryId, options.topN === undefined ? originalOrder : originalOrder.slice(0, options.topN));
      }
    }
    if (withoutBaseline.size > 0) summary.queriesWithoutBaseline = withoutBaseline.size;
    if (summary.scoredPairs > 0) summary.scoreRange = range;
    if (reranked !== undefined && baseline !== undefined && options.qrels !== undefined) {
      const rerankedResult = reranked.result();
      let pair: BaselinePair | undefined = { baseline: baseline.result(), reranked: rerankedResult };
      // Only qrels queries count: the others are in neither evaluation.
      const left = new Set([...withoutBaseline].filter((queryId) => rerankedResult.perQuery.has(queryId)));
      if (left.size > 0) {
        pair = { baseline: withoutQueries(pair.baseline, options.qrels, left), reranked: withoutQueries(rerankedResult, options.qrels, left) };
        if (pair.baseline.perQuery.size === 0) pair = undefined;
      }
      const comparisons = await writeMetrics(options.outDir, rerankedResult, pair, evalOptions.relLevel, left.size);
      summary.metrics = { reranked: rerankedResult, baseline: pair?.baseline, comparisons };
    }
    await trec.commit();
    await jsonl.commit();
    await failures.commit();
    return summary;
  } catch (err) {
    await Promise.all([trec.discard(), jsonl.discard(), failures.discard()]);
    throw err;
  }
}
