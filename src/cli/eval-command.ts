import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { UsageError } from '../errors/usage-error.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import {
  compare,
  evaluateRunFile,
  formatComparison,
  formatTrecEval,
  parseRegressionGates,
  readQrels,
  splitMeasureList,
  type EvaluateOptions,
  type EvaluationResult,
  type MeasureComparison,
} from '../evaluate/index.js';
import { comparisonLegend, formatRunComparison, runComparisonCsv, runComparisonJson, type ComparisonIntervals } from '../evaluate/format-comparison.js';
import type { Correction } from '../evaluate/multiple-testing.js';
import { evaluateRuns, evaluationThreads, type EvaluatedRun } from '../evaluate/parallel-evaluation.js';
import { perQueryMatrixRows } from '../evaluate/per-query-matrix.js';
import { judgeRunGates } from '../evaluate/regression-gate.js';
import { RunComparator, type PairedTest, type RunComparisonTable } from '../evaluate/run-comparison.js';
import { baselineIndex, labelRuns, type LabelledRun } from '../evaluate/run-labels.js';
import { runScores, type RunScores } from '../evaluate/run-scores.js';
import { LineWriter } from '../write/line-writer.js';

/** Where the eval command writes; default process.stdout / process.stderr. */
export interface EvalCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Options of {@link runEval}, as parsed from the command line. */
export interface EvalCommandOptions {
  qrels: string;
  /** Runs (files, or NAME=FILE): one to evaluate, or several to compare with the baseline. */
  runs: string[];
  /** The run the others are compared with, by name or file. Default the first. */
  baseline?: string;
  /** Default 1. */
  relLevel?: number;
  /** trec_eval-style measure items (see selectMeasures); default every measure. */
  measures?: string[];
  /** Per-query rows, trec_eval -q (single run only). Default false. */
  perQuery?: boolean;
  /** Write the per-query matrix (query_id, measure, a column per run) to this file. */
  perQueryCsv?: string;
  /** JSON instead of text. Default false. */
  json?: boolean;
  /** CSV instead of text. Default false. */
  csv?: boolean;
  /** Paired test. Default 't'. */
  test?: PairedTest;
  /** Multiple-testing correction over runs x measures. Default 'holm'. */
  correction?: Correction;
  /** Sign flips of the permutation test. Default 10000. */
  permutations?: number;
  /** Bootstrap resamples of the two-run interval. Default 10000. */
  bootstrapSamples?: number;
  /** Seed of the bootstrap and the permutation test. Default 42. */
  seed?: number;
  /** `--fail-on-regression` items, judged on every run against the baseline: runEval returns ExitCode.Regression when one fails. */
  failOnRegression?: string[];
  /**
   * Threads evaluating runs when there are three or more (1: one after the other in this thread).
   * Default one per core, at most 4.
   */
  threads?: number;
}

const defaultIo: EvalCommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Registers `eval --qrels QRELS --run RUN [--run RUN2 ...] [--baseline NAME] [--test t|wilcoxon|permutation]
 * [--correction holm|bonferroni|bh|none] [--json | --csv] [--per-query | --per-query-csv FILE] ...` on the
 * program. Errors are thrown (InputError, UsageError) for main() to map to exit code 2; success sets
 * exit code 0, a failed `--fail-on-regression` gate 3.
 * @param io output sinks; default process.stdout / process.stderr.
 */
export function registerEvalCommand(program: Command, setExitCode: (code: number) => void, io: EvalCommandIo = defaultIo): void {
  defineCommand(program, 'eval', async ({ options }) => {
    return runEval(
      {
        qrels: options.qrels,
        runs: options.run,
        baseline: options.baseline,
        relLevel: options.relLevel,
        measures: (options.measures ?? []).flatMap(splitMeasureList),
        perQuery: options.perQuery,
        perQueryCsv: options.perQueryCsv,
        json: options.json,
        csv: options.csv,
        test: options.test,
        correction: options.correction,
        permutations: options.permutations,
        bootstrapSamples: options.bootstrapSamples,
        seed: options.seed,
        failOnRegression: options.failOnRegression ?? [],
      },
      io,
    ).then(setExitCode);
  });
}

/**
 * The eval command without commander: evaluates one run, or compares several with a baseline, prints to
 * io.stdout, and always states on io.stderr how many run queries were ignored because the qrels do not
 * have them, and each gate's verdict. Runs are evaluated the baseline first, then in the order given:
 * one after the other, or with three or more on worker threads (see evaluateRuns), and of each only
 * its comparison's figures are kept (and its per-query values when `--per-query-csv` asks for them).
 * Returns the exit code: 0, or 3 when a `--fail-on-regression` gate failed.
 */
export async function runEval(options: EvalCommandOptions, io: EvalCommandIo = defaultIo): Promise<ExitCode> {
  if (options.runs.length === 0) throw new UsageError('eval: give a run with --run');
  if (options.json === true && options.csv === true) throw new UsageError('eval: give --json or --csv, not both');
  const gates = parseRegressionGates(options.failOnRegression ?? []);
  if (gates.length > 0 && options.runs.length < 2) throw new UsageError('eval: --fail-on-regression compares runs with a baseline: give the baseline and the reranked run with --run A --run B');
  if (options.perQuery === true && (options.runs.length > 1 || options.csv === true)) {
    throw new UsageError('eval: --per-query (trec_eval -q) works with a single --run and a table or --json; write the per-query values of several runs with --per-query-csv FILE');
  }
  const runs = labelRuns(options.runs);
  const base = baselineIndex(runs, options.baseline);
  const order = [base, ...[...runs.keys()].filter((index) => index !== base)];
  const evaluateOptions = { relLevel: options.relLevel ?? 1, measures: options.measures };
  const threads = runs.length > 2 ? (options.threads ?? evaluationThreads(runs.length)) : 1;
  const evaluations = threads > 1 ? inThreads(options.qrels, runs, order, evaluateOptions, threads) : inThisThread(options.qrels, runs, order, evaluateOptions);

  let comparator: RunComparator | undefined;
  let baseResult: EvaluationResult | undefined;
  let other: EvaluationResult | undefined;
  const kept = new Map<number, RunScores>();
  for await (const { index, scores, ignoredRunQueries: ignored, result } of evaluations) {
    const shown = ignored.slice(0, 10).join(', ') + (ignored.length > 10 ? ', ...' : '');
    io.stderr(`eval: ${runs[index]?.file ?? ''}: ${ignored.length} run ${ignored.length === 1 ? 'query' : 'queries'} not in the qrels ignored${ignored.length > 0 ? ` (${shown})` : ''}\n`);
    // Whole results only where a single run or a pair needs them (trec_eval output, the bootstrap).
    if (comparator === undefined) {
      comparator = new RunComparator(scores, { test: options.test, correction: options.correction, permutations: options.permutations, seed: options.seed });
      if (runs.length <= 2) baseResult = result;
    } else {
      comparator.add(scores);
      if (runs.length === 2) other = result;
    }
    if (options.perQueryCsv !== undefined) kept.set(index, scores);
  }
  if (comparator === undefined) throw new UsageError('eval: give a run with --run');
  const table = comparator.result();
  if (options.perQueryCsv !== undefined) await writePerQueryMatrix(options.perQueryCsv, runs.map((_, i) => kept.get(i) as RunScores), io);

  if (runs.length === 1 && baseResult !== undefined) {
    if (options.csv === true) io.stdout(runComparisonCsv(table));
    else io.stdout(options.json === true ? `${JSON.stringify(resultJson(baseResult, options.perQuery === true), null, 2)}\n` : formatTrecEval(baseResult, { perQuery: options.perQuery === true }));
    return ExitCode.Ok;
  }

  const pair = other === undefined || baseResult === undefined ? undefined : twoRunComparisons(table, compare(baseResult, other, { bootstrapSamples: options.bootstrapSamples, seed: options.seed }));
  const intervals: ComparisonIntervals = pair === undefined ? new Map() : new Map([[table.runs[1] as string, pair]]);
  if (options.csv === true) io.stdout(runComparisonCsv(table, intervals));
  else if (options.json === true) io.stdout(`${JSON.stringify(pair === undefined ? runComparisonJson(table) : comparisonJson(pair), null, 2)}\n`);
  else if (pair === undefined) io.stdout(comparisonLegend(table) + formatRunComparison(table));
  else io.stdout(`A = ${options.runs[base] ?? ''}\nB = ${options.runs[1 - base] ?? ''}\n${comparisonLegend(table)}${formatComparison(pair, { correction: table.correction })}`);

  const verdicts = judgeRunGates(gates, table, intervals);
  for (const v of verdicts) {
    const where = runs.length > 2 ? `: ${v.run}` : '';
    io.stderr(`eval: ${v.failed ? 'REGRESSION' : 'gate passed'}: --fail-on-regression ${v.gate.text}${where}${v.failed ? `: ${v.gate.measure} ${v.reason}` : ''}\n`);
  }
  return verdicts.some((v) => v.failed) ? ExitCode.Regression : ExitCode.Ok;
}

/** An evaluated run, with its whole result when it was evaluated in this thread. */
interface Evaluation extends EvaluatedRun {
  result?: EvaluationResult;
}

/** The runs in `order`, evaluated one after the other in this thread. */
async function* inThisThread(qrelsFile: string, runs: readonly LabelledRun[], order: readonly number[], options: EvaluateOptions): AsyncGenerator<Evaluation> {
  const qrels = await readQrels(qrelsFile);
  for (const index of order) {
    const run = runs[index] as LabelledRun;
    const result = await evaluateRunFile(qrels, run.file, options);
    yield { index, scores: runScores(run.name, result), ignoredRunQueries: result.ignoredRunQueries, result };
  }
}

/** The runs in `order`, evaluated on worker threads, in that order. */
async function* inThreads(qrelsFile: string, runs: readonly LabelledRun[], order: readonly number[], options: EvaluateOptions, threads: number): AsyncGenerator<Evaluation> {
  const ordered = order.map((index) => runs[index] as LabelledRun);
  for await (const evaluated of evaluateRuns(qrelsFile, ordered, options, threads)) yield { ...evaluated, index: order[evaluated.index] ?? 0 };
}

/** The bootstrap comparison of two runs, its p from the table's test, with the table's corrected p and effect size. */
function twoRunComparisons(table: RunComparisonTable, bootstrap: readonly MeasureComparison[]): MeasureComparison[] {
  return bootstrap.map((c) => {
    const cell = table.comparisons.find((t) => t.measure === c.measure);
    if (cell === undefined) return c;
    return { ...c, pValue: cell.pValue, pAdjusted: cell.pAdjusted, significant: cell.significant, effectSize: cell.effectSize };
  });
}

/** Writes the per-query matrix CSV, whole or not at all. */
async function writePerQueryMatrix(file: string, runs: readonly RunScores[], io: EvalCommandIo): Promise<void> {
  const writer = new LineWriter(file);
  let rows = -1;
  try {
    let batch: string[][] = [];
    for (const row of perQueryMatrixRows(runs)) {
      batch.push(row);
      rows++;
      if (batch.length === 1000) {
        await writer.write(stringify(batch));
        batch = [];
      }
    }
    await writer.write(stringify(batch));
    await writer.commit();
  } catch (err) {
    await writer.discard();
    throw err;
  }
  io.stderr(`eval: wrote ${file}: ${rows} rows (query x measure), ${runs.length} run ${runs.length === 1 ? 'column' : 'columns'}\n`);
}

/** JSON of one evaluation: measure -> value, plus `per_query` (qid -> measure -> value) when asked. */
function resultJson(result: EvaluationResult, perQuery: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = { ...result.mean };
  if (perQuery) json['per_query'] = Object.fromEntries(result.perQuery);
  return json;
}

/**
 * JSON of a two-run comparison: measure -> {a, b, delta, p_value, ci_low, ci_high, wins, ties, losses,
 * p_adjusted, significant, effect_size} (NaN as null).
 */
function comparisonJson(comparisons: readonly MeasureComparison[]): Record<string, unknown> {
  return Object.fromEntries(
    comparisons.map((c) => [
      c.measure,
      {
        a: c.a,
        b: c.b,
        delta: c.delta,
        p_value: c.pValue,
        ci_low: c.ciLow,
        ci_high: c.ciHigh,
        wins: c.wins,
        ties: c.ties,
        losses: c.losses,
        p_adjusted: c.pAdjusted,
        significant: c.significant,
        effect_size: c.effectSize,
      },
    ]),
  );
}
