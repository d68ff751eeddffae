import { InputError } from '../errors/input-error.js';
import { UsageError } from '../errors/usage-error.js';
import { compareUtf8 } from '../read/byte-order.js';
import type { Qrels } from '../read/qrels-file.js';
import { sortTrecOrder, type ScoredDoc } from '../read/trec-order.js';
import type { MeasureContext } from './measure-catalog.js';
import { selectTrecEvalMeasures, type MeasureSelection } from './measure-selection.js';
import { computeMissingQueryMeasures, computeQueryMeasures } from './measures.js';
import { formatFixed } from './printf.js';
import { judgeRanking, standInRanking, summariseJudgments, type JudgedRanking, type RankingLimits } from './ranking.js';

/** trec_eval's command-line switches, as options. */
export interface TrecEvalOptions {
  /** `-m` arguments: measures (`P.5,10`, `ndcg.1=3,2=9`) and sets (`official`, `all_trec`, `set`). Default `official`. */
  measures?: readonly string[];
  /** `-l`: labels >= relLevel are relevant. Non-negative integer, default 1. */
  relLevel?: number;
  /** `-c`: average over every qrels query, those the run lacks scoring as trec_eval 10.0 scores them. Default false. */
  complete?: boolean;
  /** `-q`: print each query's values before the summary. Default false. */
  perQuery?: boolean;
  /** false for `-n`: no summary lines. Default true. */
  summary?: boolean;
  /** `-M`: only the first maxRetrieved documents of each query (after ranking). Default all. */
  maxRetrieved?: number;
  /** `-J`: only judged documents (label >= 0) are kept in each ranking. Default false. */
  judgedOnly?: boolean;
  /** `-N`: documents in the collection, for utility's fourth coefficient. Default 0. */
  numDocsInCollection?: number;
  /** The run's file name, for error messages. Default "<run>". */
  runFile?: string;
}

/**
 * Evaluates a run exactly as `trec_eval` 10.0 does and writes its output, byte for byte: with `perQuery`
 * each query's lines (qrels queries in strcmp order, those of the run only), then the summary lines
 * ("all"). Queries are evaluated one at a time, each ranking dropped once its values are printed and added.
 * Without `complete` a qrels query the run lacks is skipped (trec_eval 10.0 evaluates the previous
 * query's ranking in its place, or crashes: a bug not reproduced).
 * @param run query id -> its documents (any order: they are ranked as trec_eval ranks them).
 * @param runId the run tag printed as runid (trec_eval's: the last line's).
 * @param write receives the output, a query's lines at a time.
 * @returns the number of queries evaluated.
 * @throws UsageError for bad options or measures; InputError ERR_INPUT_EMPTY when no query has both
 *   judgments and results (trec_eval: "No queries with both results and relevance info").
 */
export function trecEval(qrels: Qrels, run: ReadonlyMap<string, readonly ScoredDoc[]>, runId: string, options: TrecEvalOptions, write: (text: string) => void): number {
  const relLevel = options.relLevel ?? 1;
  checkCount(relLevel, 'relevance level (-l)');
  if (options.maxRetrieved !== undefined) checkCount(options.maxRetrieved, 'documents per query (-M)');
  if (options.numDocsInCollection !== undefined) checkCount(options.numDocsInCollection, 'documents in the collection (-N)');
  const selection = selectTrecEvalMeasures(options.measures);
  const limits: RankingLimits = { maxRetrieved: options.maxRetrieved, judgedOnly: options.judgedOnly === true };
  const context: MeasureContext = { numDocsInCollection: options.numDocsInCollection ?? 0 };
  const sums = new Float64Array(selection.names.length);
  let evaluated = 0;
  for (const queryId of [...qrels.keys()].sort(compareUtf8)) {
    const labels = qrels.get(queryId);
    const docs = run.get(queryId);
    if (labels === undefined || (docs === undefined && options.complete !== true)) continue;
    const judgments = summariseJudgments(labels, relLevel);
    const missing = docs === undefined;
    const ranking = missing ? standInRanking(judgments, limits) : judgeRanking(sortTrecOrder(docs), judgments, limits);
    const values = missing ? computeMissingQueryMeasures(selection, ranking, context) : computeQueryMeasures(selection, ranking, context);
    for (let i = 0; i < values.length; i++) sums[i] = (sums[i] ?? 0) + (values[i] ?? 0);
    if (options.perQuery === true) write(queryLines(selection, queryId, values, missing ? undefined : ranking));
    evaluated++;
  }
  if (evaluated === 0) throw new InputError('ERR_INPUT_EMPTY', 'no query has both judgments and results (trec_eval: "No queries with both results and relevance info"); -c evaluates every qrels query', {
      file: options.runFile ?? '<run>',
    });
  if (options.summary !== false) write(summaryLines(selection, sums, evaluated, runId, options.complete === true ? qrels : undefined));
  return evaluated;
}

/** One trec_eval output line: name padded to 22 characters, tab, query id, tab, value. */
function line(name: string, queryId: string, value: string): string {
  return `${name.padEnd(22)}\t${queryId}\t${value}\n`;
}

/**
 * A value as trec_eval prints it: counts `%ld` of the value cast to long, rates `%6.4f`. NaN (trec_eval's
 * 0/0, e.g. iprec_at_recall of an empty ranking under -J) prints as x86-64 glibc prints it, "-nan".
 */
function formatValue(value: number, count: boolean): string {
  if (count) return String(Math.trunc(value));
  return (Number.isNaN(value) ? '-nan' : formatFixed(value, 4)).padStart(6);
}

/** A query's lines, in the selection's order; `ranking` undefined for a query the run lacks (empty relstring). */
function queryLines(selection: MeasureSelection, queryId: string, values: Float64Array, ranking: JudgedRanking | undefined): string {
  let text = '';
  let at = 0;
  for (const { family, parameters, names } of selection.families) {
    if (family.perQuery) {
      if (family.text !== undefined) {
        text += line(names[0] ?? family.name, queryId, `'${ranking === undefined ? '' : family.text(ranking, parameters)}'`);
      } else {
        names.forEach((name, i) => (text += line(name, queryId, formatValue(values[at + i] ?? 0, family.count))));
      }
    }
    at += names.length;
  }
  return text;
}

/** The summary lines ("all"), each family's as trec_eval's calc_avg and print_final make it; `qrels` given under -c. */
function summaryLines(selection: MeasureSelection, sums: Float64Array, queries: number, runId: string, qrels: Qrels | undefined): string {
  let text = '';
  let at = 0;
  for (const { family, names } of selection.families) {
    names.forEach((name, i) => {
      const sum = sums[at + i] ?? 0;
      switch (family.summary) {
        case 'run-id':
          text += line('runid', 'all', runId);
          break;
        case 'queries':
          text += line(name, 'all', String(queries));
          break;
        case 'relevant':
          text += line(name, 'all', String(qrels === undefined ? Math.trunc(sum) : positiveLabels(qrels)));
          break;
        case 'sum':
          text += line(name, 'all', formatValue(sum, true));
          break;
        case 'mean':
          text += line(name, 'all', formatValue(sum / queries, family.count));
          break;
        case 'geometric-mean':
          text += line(name, 'all', formatValue(Math.exp(sum / queries), false));
          break;
        case 'none':
          break;
      }
    });
    at += names.length;
  }
  return text;
}

/** trec_eval 10.0 -c's summary num_rel: the qrels labels > 0, whatever the relevance level. */
function positiveLabels(qrels: Qrels): number {
  let count = 0;
  for (const labels of qrels.values()) for (const label of labels.values()) if (label > 0) count++;
  return count;
}

function checkCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new UsageError(`${what} must be a non-negative integer, got ${String(value)}`);
}
