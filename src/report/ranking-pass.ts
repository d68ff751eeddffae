import { z } from 'zod';
import { compareTrecOrder, type Qrels, type ScoredDoc } from '../evaluate/index.js';
import { parsedJsonLines } from '../read/json-lines.js';
import { ScoreHistogram, type HistogramView } from './score-histogram.js';
import { MeanCurve, interpolatedPrecision } from './precision-recall.js';

/** The top of a ranking whose changes the page lists for the most improved and regressed queries. */
export const MOVED_DEPTH = 10;

const lineSchema = z.object({
  query_id: z.string(),
  query: z.string(),
  results: z.array(
    z.object({
      doc_id: z.string(),
      score: z.number().nullable(),
      rank: z.number(),
      original_rank: z.number().nullable(),
      original_score: z.number().nullable(),
    }),
  ),
});

type RankedResult = z.infer<typeof lineSchema>['results'][number];

/** A document in the top MOVED_DEPTH of the baseline or of the reranking of a query. */
export interface MovedDoc {
  docId: string;
  /** Its qrels label; undefined when unjudged or without qrels. */
  label: number | undefined;
  /** Rank in the first-stage order (ranked.jsonl's original_rank). */
  baselineRank: number | null;
  rerankedRank: number;
}

export interface QueryDetail {
  queryId: string;
  query: string;
  candidates: number;
  /** By reranked rank. */
  moved: MovedDoc[];
}

export interface PrecisionRecall {
  reranked: number[];
  /** Undefined when no query has a first-stage order. */
  baseline: number[] | undefined;
  /** The qrels queries the reranked curve is the mean of (those missing from the run count 0). */
  queries: number;
  /** Of those, the ones with a first-stage order: the baseline curve's. */
  baselineQueries: number;
}

export interface RankingSummary {
  queries: number;
  documents: number;
  /** Results whose score was not a finite number (written as null): not in the histogram. */
  nullScores: number;
  histogram: HistogramView;
  /** Only with qrels. */
  precisionRecall: PrecisionRecall | undefined;
  details: Map<string, QueryDetail>;
}

export interface RankingPassOptions {
  qrels: Qrels | undefined;
  relLevel: number;
  /** Queries whose moved documents to keep. */
  detailed: ReadonlySet<string>;
}

/** The first-stage order of a query, as writeOutputs evaluates it: by original score when all have one, else by original rank. */
function baselineOrder(results: readonly RankedResult[]): ScoredDoc[] | undefined {
  if (results.every((r) => r.original_score !== null)) return results.map((r) => ({ docId: r.doc_id, score: r.original_score ?? 0 })).sort(compareTrecOrder);
  if (results.every((r) => r.original_rank !== null)) return results.map((r) => ({ docId: r.doc_id, score: -(r.original_rank ?? 0) })).sort(compareTrecOrder);
  return undefined;
}

const RELEVANCE_CLASSES = ['relevant', 'not relevant', 'unjudged'] as const;

/**
 * One pass over ranked.jsonl, one query at a time (memory: one query's results, the fixed-size
 * histogram and curves, and the detailed queries' top documents): the score histogram (by relevance with
 * qrels), the mean interpolated precision-recall curves of the reranking and of the first stage, and the
 * moved documents of the `detailed` queries.
 * @throws InputError ERR_RUN_FORMAT (a line that is not a ranked.jsonl query), ERR_INPUT_FILE, ERR_INPUT_ENCODING.
 */
export async function passOverRanking(file: string, options: RankingPassOptions): Promise<RankingSummary> {
  const { qrels, relLevel } = options;
  const histogram = new ScoreHistogram(qrels === undefined ? ['all'] : RELEVANCE_CLASSES);
  const reranked = new MeanCurve();
  const baseline = new MeanCurve();
  let qrelsQueriesWithoutBaseline = 0;
  const summary: Omit<RankingSummary, 'histogram' | 'precisionRecall'> = { queries: 0, documents: 0, nullScores: 0, details: new Map() };

  for await (const { value } of parsedJsonLines(file, lineSchema, 'ERR_RUN_FORMAT')) {
    const { query_id: queryId, query, results } = value;
    summary.queries++;
    summary.documents += results.length;
    const judged = qrels?.get(queryId);
    const labelOf = (docId: string): number | undefined => {
      const label = judged?.get(docId);
      return label === undefined || label < 0 ? undefined : label;
    };

    for (const result of results) {
      if (result.score === null) {
        summary.nullScores++;
        continue;
      }
      const label = labelOf(result.doc_id);
      histogram.add(result.score, qrels === undefined ? 0 : label === undefined ? 2 : label >= relLevel ? 0 : 1);
    }

    if (judged !== undefined) {
      let numRel = 0;
      for (const label of judged.values()) if (label >= relLevel) numRel++;
      const isRelevant = (docId: string): boolean => (labelOf(docId) ?? -1) >= relLevel;
      reranked.add(interpolatedPrecision(results.map((r) => isRelevant(r.doc_id)), numRel));
      const first = baselineOrder(results);
      if (first === undefined) qrelsQueriesWithoutBaseline++;
      else baseline.add(interpolatedPrecision(first.map((d) => isRelevant(d.docId)), numRel));
    }

    if (options.detailed.has(queryId)) {
      const moved = results
        .filter((r) => r.rank <= MOVED_DEPTH || (r.original_rank !== null && r.original_rank <= MOVED_DEPTH))
        .map((r) => ({ docId: r.doc_id, label: labelOf(r.doc_id), baselineRank: r.original_rank, rerankedRank: r.rank }))
        .sort((a, b) => a.rerankedRank - b.rerankedRank);
      summary.details.set(queryId, { queryId, query, candidates: results.length, moved });
    }
  }

  let precisionRecall: PrecisionRecall | undefined;
  if (qrels !== undefined) {
    const baselineQueries = qrels.size - qrelsQueriesWithoutBaseline;
    precisionRecall = { reranked: reranked.mean(qrels.size), baseline: baselineQueries > 0 ? baseline.mean(baselineQueries) : undefined, queries: qrels.size, baselineQueries };
  }
  return { ...summary, histogram: histogram.view(), precisionRecall };
}
