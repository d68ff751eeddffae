import type { Command } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import {
  compare,
  evaluateRunFile,
  formatComparison,
  formatTrecEval,
  judgeRegressionGates,
  parseRegressionGates,
  readQrels,
  splitMeasureList,
  type EvaluationResult,
  type MeasureComparison,
} from '../evaluate/index.js';

/** Where the eval command writes; default process.stdout / process.stderr. */
export interface EvalCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Options of {@link runEval}, as parsed from the command line. */
export interface EvalCommandOptions {
  qrels: string;
  /** One run to evaluate, or two to compare (B = the second against A = the first). */
  runs: string[];
  /** Default 1. */
  relLevel?: number;
  /** trec_eval-style measure items (see selectMeasures); default every measure. */
  measures?: string[];
  /** Per-query rows (single run only). Default false. */
  perQuery?: boolean;
  /** JSON instead of text. Default false. */
  json?: boolean;
  /** Default 10000. */
  bootstrapSamples?: number;
  /** Default 42. */
  seed?: number;
  /** `--fail-on-regression` items (B against A): runEval returns ExitCode.Regression when one fails. */
  failOnRegression?: string[];
}

const defaultIo: EvalCommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Registers `eval --qrels QRELS --run RUN [--run RUN2] [--rel-level N] [--measures LIST] [--per-query]
 * [--json] [--bootstrap-samples N] [--seed N]` on the program. Errors are thrown (InputError,
 * UsageError) for main() to map to exit code 2; success sets exit code 0, a failed
 * `--fail-on-regression` gate 3.
 * @param io output sinks; default process.stdout / process.stderr.
 */
export function registerEvalCommand(program: Command, setExitCode: (code: number) => void, io: EvalCommandIo = defaultIo): void {
  defineCommand(program, 'eval', async ({ options }) => {
    return runEval(
      {
        qrels: options.qrels,
        runs: options.run,
        relLevel: options.relLevel,
        measures: (options.measures ?? []).flatMap(splitMeasureList),
        perQuery: options.perQuery,
        json: options.json,
        bootstrapSamples: options.bootstrapSamples,
        seed: options.seed,
        failOnRegression: options.failOnRegression ?? [],
      },
      io,
    ).then(setExitCode);
  });
}

/**
 * The eval command without commander: evaluates or compares, prints to io.stdout, and always states on
 * io.stderr how many run queries were ignored because the qrels do not have them, and each gate's verdict.
 * Returns the exit code: 0, or 3 when a `--fail-on-regression` gate failed.
 */
export async function runEval(options: EvalCommandOptions, io: EvalCommandIo = defaultIo): Promise<ExitCode> {
  if (options.runs.length === 0) throw new UsageError('eval: give a run with --run');
  const gates = parseRegressionGates(options.failOnRegression ?? []);
  if (gates.length > 0 && options.runs.length !== 2) throw new UsageError('eval: --fail-on-regression compares two runs: give the baseline and the reranked run with --run A --run B');
  if (options.runs.length > 2) throw new UsageError('eval: give one --run to evaluate, or two to compare');
  if (options.perQuery === true && options.runs.length > 1) throw new UsageError('eval: --per-query works with a single --run');
  const qrels = await readQrels(options.qrels);
  const evaluateOptions = { relLevel: options.relLevel ?? 1, measures: options.measures };
  const results: EvaluationResult[] = [];
  for (const run of options.runs) {
    const result = await evaluateRunFile(qrels, run, evaluateOptions);
    const ignored = result.ignoredRunQueries;
    const shown = ignored.slice(0, 10).join(', ') + (ignored.length > 10 ? ', ...' : '');
    io.stderr(`eval: ${run}: ${ignored.length} run ${ignored.length === 1 ? 'query' : 'queries'} not in the qrels ignored${ignored.length > 0 ? ` (${shown})` : ''}\n`);
    results.push(result);
  }
  const [a, b] = results;
  if (a === undefined) return ExitCode.Ok;
  if (b === undefined) {
    io.stdout(options.json === true ? `${JSON.stringify(resultJson(a, options.perQuery === true), null, 2)}\n` : formatTrecEval(a, { perQuery: options.perQuery === true }));
    return ExitCode.Ok;
  }
  const comparisons = compare(a, b, { bootstrapSamples: options.bootstrapSamples, seed: options.seed });
  if (options.json === true) {
    io.stdout(`${JSON.stringify(comparisonJson(comparisons), null, 2)}\n`);
  } else {
    io.stdout(`A = ${options.runs[0] ?? ''}\nB = ${options.runs[1] ?? ''}\n`);
    io.stdout(formatComparison(comparisons));
  }
  const verdicts = judgeRegressionGates(gates, comparisons);
  for (const v of verdicts) io.stderr(`eval: ${v.failed ? 'REGRESSION' : 'gate passed'}: --fail-on-regression ${v.gate.text}${v.failed ? `: ${v.gate.measure} ${v.reason}` : ''}\n`);
  return verdicts.some((v) => v.failed) ? ExitCode.Regression : ExitCode.Ok;
}

/** JSON of one evaluation: measure -> value, plus `per_query` (qid -> measure -> value) when asked. */
function resultJson(result: EvaluationResult, perQuery: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = { ...result.mean };
  if (perQuery) json['per_query'] = Object.fromEntries(result.perQuery);
  return json;
}

/** JSON of a comparison: measure -> {a, b, delta, p_value, ci_low, ci_high, wins, ties, losses} (NaN as null). */
function comparisonJson(comparisons: readonly MeasureComparison[]): Record<string, unknown> {
  return Object.fromEntries(
    comparisons.map((c) => [
      c.measure,
      { a: c.a, b: c.b, delta: c.delta, p_value: c.pValue, ci_low: c.ciLow, ci_high: c.ciHigh, wins: c.wins, ties: c.ties, losses: c.losses },
    ]),
  );
}
