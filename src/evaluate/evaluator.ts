import { InputError } from '../errors/input-error.js';
import { UsageError } from '../errors/usage-error.js';
import { compareUtf8 } from '../read/byte-order.js';
import type { Qrels } from '../read/qrels-file.js';
import { sortTrecOrder, type ScoredDoc } from '../read/trec-order.js';
import { translateMeasureList } from './ir-measures-names.js';
import { selectMeasures, type MeasureSelection } from './measure-selection.js';
import { computeMissingQueryMeasures, computeQueryMeasures } from './measures.js';
import { judgeRanking, standInRanking, summariseJudgments, type QueryJudgments } from './ranking.js';

/** Options of an evaluation. */
export interface EvaluateOptions {
  /** Labels >= relLevel are relevant for the binary measures (trec_eval `-l`). Non-negative integer. Default 1. */
  relLevel?: number;
  /** trec_eval-style measure names (see selectMeasures). Default: eval's default set with default cutoffs. */
  measures?: string[];
}

/** Where a query's documents came from, for error messages. */
export interface QuerySource {
  file: string;
  line?: number;
}

/** Result of an evaluation with trec_eval `-c` semantics. */
export interface EvaluationResult {
  /** Printed names in trec_eval's order, e.g. ["num_q", "map", "P_5"]. */
  measures: string[];
  /**
   * Summary by printed name: the mean over every qrels query for rate measures; the sum for num_ret
   * and num_rel_ret; the number of qrels queries for num_q; for num_rel the number of qrels labels > 0
   * whatever relLevel (trec_eval 10.0 -c recounts it so; equal to the per-query sum when relLevel is 1).
   */
  mean: Record<string, number>;
  /**
   * Values of every qrels query, in qrels query order (UTF-8 byte order of the ids). Queries absent from
   * the run score as trec_eval 10.0 -c scores them (its stand-in ranking, see standInRanking): 0 everywhere
   * except num_rel (their true count), num_q (1) and yaap (log(1 / (1 + num_rel))).
   */
  perQuery: Map<string, Record<string, number>>;
  /** Queries of the run that are not in the qrels, ignored (byte order). */
  ignoredRunQueries: string[];
}

/**
 * Streaming trec_eval `-c` evaluator: add one query's ranking at a time, then ask for the result.
 * Only per-query measure values are kept, never the rankings.
 */
export class Evaluator {
  private readonly qrels: Qrels;
  private readonly relLevel: number;
  private readonly selection: MeasureSelection;
  private readonly judgments = new Map<string, QueryJudgments>();
  private readonly values = new Map<string, Float64Array>();
  private readonly seen = new Set<string>();
  private readonly ignored: string[] = [];

  /**
   * @param qrels judgments (query id -> doc id -> label; labels < 0 mean unjudged).
   * @throws UsageError for a bad relLevel or an unknown measure.
   */
  constructor(qrels: Qrels, options: EvaluateOptions = {}) {
    // ir_measures names carry their relevance level (P(rel=2)@5); one evaluation has one.
    const named = translateMeasureList(options.measures ?? []).relLevel;
    if (named !== undefined && options.relLevel !== undefined && named !== options.relLevel) {
      throw new UsageError(`the measures ask for relevance level ${named} (ir_measures' rel=, default 1) but the evaluation's is ${options.relLevel}: give --rel-level ${named}, or evaluate them apart`);
    }
    const relLevel = options.relLevel ?? named ?? 1;
    if (!Number.isSafeInteger(relLevel) || relLevel < 0) {
      throw new UsageError(`relevance level must be a non-negative integer, got ${String(relLevel)}`);
    }
    this.qrels = qrels;
    this.relLevel = relLevel;
    this.selection = selectMeasures(options.measures);
  }

  /** Printed names of the measures this evaluator computes, in output order. */
  get measureNames(): string[] {
    return [...this.selection.names];
  }

  /**
   * Evaluates one query. Documents may come in any order: they are sorted as trec_eval does (score
   * descending, ties by doc id in descending byte order; ranks are ignored).
   * @param source file (and line) for error messages; default file "<run>".
   * @throws InputError ERR_RUN_DUPLICATE_QUERY when the query was added before, ERR_RUN_DUPLICATE_DOC
   *   when a document appears twice, ERR_RUN_FORMAT when a score is not a number.
   */
  addQuery(queryId: string, docs: readonly ScoredDoc[], source?: QuerySource): void {
    const where = { file: source?.file ?? '<run>', line: source?.line };
    if (this.seen.has(queryId)) {
      throw new InputError('ERR_RUN_DUPLICATE_QUERY', `query "${queryId}" appears more than once`, where);
    }
    const ids = new Set<string>();
    for (const doc of docs) {
      if (ids.has(doc.docId)) {
        throw new InputError('ERR_RUN_DUPLICATE_DOC', `query "${queryId}": document "${doc.docId}" appears more than once`, where);
      }
      if (Number.isNaN(doc.score)) {
        throw new InputError('ERR_RUN_FORMAT', `query "${queryId}": document "${doc.docId}" has no numeric score`, where);
      }
      ids.add(doc.docId);
    }
    this.seen.add(queryId);
    const judgments = this.judgmentsOf(queryId);
    if (judgments === undefined) {
      this.ignored.push(queryId);
      return;
    }
    this.values.set(queryId, computeQueryMeasures(this.selection, judgeRanking(sortTrecOrder(docs), judgments)));
  }

  /**
   * The evaluation so far, with `-c` semantics: every qrels query counts, absent ones as 0. Sums are
   * accumulated in qrels query order, then divided by the number of qrels queries, as trec_eval does,
   * so the printed 4-decimal values match it.
   */
  result(): EvaluationResult {
    const names = this.selection.names;
    const queryIds = [...this.qrels.keys()].sort(compareUtf8);
    const sums = new Float64Array(names.length);
    const perQuery = new Map<string, Record<string, number>>();
    for (const queryId of queryIds) {
      let values = this.values.get(queryId);
      if (values === undefined) {
        const judgments = this.judgmentsOf(queryId);
        if (judgments === undefined) continue;
        values = computeMissingQueryMeasures(this.selection, standInRanking(judgments));
      }
      const record: Record<string, number> = {};
      names.forEach((name, i) => {
        const v = values[i] ?? 0;
        sums[i] = (sums[i] ?? 0) + v;
        record[name] = v;
      });
      perQuery.set(queryId, record);
    }
    const numQ = perQuery.size;
    const mean: Record<string, number> = {};
    let i = 0;
    for (const { family, names: familyNames } of this.selection.families) {
      for (const name of familyNames) {
        const sum = sums[i++] ?? 0;
        if (family.summary === 'queries') mean[name] = numQ;
        else if (family.summary === 'relevant') mean[name] = this.positiveJudgments(queryIds);
        else mean[name] = family.count || numQ === 0 ? sum : sum / numQ;
      }
    }
    return { measures: [...names], mean, perQuery, ignoredRunQueries: [...this.ignored].sort(compareUtf8) };
  }

  /**
   * trec_eval 10.0 quirk, reproduced: under -c the summary num_rel is recounted from the qrels as the
   * number of labels > 0, whatever the relevance level (per-query num_rel does use the level).
   */
  private positiveJudgments(queryIds: readonly string[]): number {
    let count = 0;
    for (const queryId of queryIds) count += this.judgmentsOf(queryId)?.idealLabels.length ?? 0;
    return count;
  }

  private judgmentsOf(queryId: string): QueryJudgments | undefined {
    let judgments = this.judgments.get(queryId);
    if (judgments === undefined) {
      const labels = this.qrels.get(queryId);
      if (labels === undefined) return undefined;
      judgments = summariseJudgments(labels, this.relLevel);
      this.judgments.set(queryId, judgments);
    }
    return judgments;
  }
}

/** Evaluates a whole run held in memory (see Evaluator for the semantics). */
export function evaluate(qrels: Qrels, run: ReadonlyMap<string, readonly ScoredDoc[]>, options?: EvaluateOptions): EvaluationResult {
  const evaluator = new Evaluator(qrels, options);
  for (const [queryId, docs] of run) evaluator.addQuery(queryId, docs);
  return evaluator.result();
}
