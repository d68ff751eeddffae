import type { Command } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { ExitCode } from './exit-codes.js';
import {
  compare,
  evaluateRunFile,
  formatComparison,
  formatTrecEval,
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
}

const defaultIo: EvalCommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Registers `eval --qrels QRELS --run RUN [--run RUN2] [--rel-level N] [--measures LIST] [--per-query]
 * [--json] [--bootstrap-samples N] [--seed N]` on the program. Errors are thrown (InputError,
 * UsageError) for main() to map to exit code 2; success sets exit code 0.
 * @param io output sinks; default process.stdout / process.stderr.
 */
export function registerEvalCommand(program: Command, setExitCode: (code: number) => void, io: EvalCommandIo = defaultIo): void {
  program
    .command('eval')
    .description('evaluate a run against qrels exactly as trec_eval 10.0 -c, or compare two runs (paired t-test, bootstrap CI)')
    .requiredOption('--qrels <file>', 'TREC qrels: "qid iter docid rel" (or "qid docid rel")')
    .option('--run <file>', 'TREC run (6 columns) or ranked.jsonl; give twice to compare B (second) against A (first)', collect, [])
    .option('--rel-level <n>', 'minimum label counted relevant by binary measures (trec_eval -l)', '1')
    .option(
      '--measures <list>',
      'measures, trec_eval -m style, separated by spaces or commas (e.g. "ndcg_cut.10,map,P.5,10"); repeatable; default all',
      collect,
      [],
    )
    .option('--per-query', 'also print one row per query and measure (trec_eval -q)')
    .option('--json', 'print JSON instead of a table')
    .option('--bootstrap-samples <n>', 'bootstrap resamples for the confidence interval (comparison)', '10000')
    .option('--seed <n>', 'bootstrap seed (comparison)', '42')
    .action(async (raw: RawEvalOptions) => {
      await runEval(
        {
          qrels: raw.qrels,
          runs: raw.run,
          relLevel: parseInteger(raw.relLevel, '--rel-level', 0),
          measures: raw.measures.flatMap(splitMeasureList),
          perQuery: raw.perQuery === true,
          json: raw.json === true,
          bootstrapSamples: parseInteger(raw.bootstrapSamples, '--bootstrap-samples', 1),
          seed: parseInteger(raw.seed, '--seed', 0),
        },
        io,
      );
      setExitCode(ExitCode.Ok);
    });
}

/** Options as commander hands them over. */
interface RawEvalOptions {
  qrels: string;
  run: string[];
  relLevel: string;
  measures: string[];
  perQuery?: boolean;
  json?: boolean;
  bootstrapSamples: string;
  seed: string;
}

/**
 * The eval command without commander: evaluates or compares, prints to io.stdout, and always states on
 * io.stderr how many run queries were ignored because the qrels do not have them.
 */
export async function runEval(options: EvalCommandOptions, io: EvalCommandIo = defaultIo): Promise<void> {
  if (options.runs.length === 0) throw new UsageError('eval: give a run with --run');
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
  if (a === undefined) return;
  if (b === undefined) {
    io.stdout(options.json === true ? `${JSON.stringify(resultJson(a, options.perQuery === true), null, 2)}\n` : formatTrecEval(a, { perQuery: options.perQuery === true }));
    return;
  }
  const comparisons = compare(a, b, { bootstrapSamples: options.bootstrapSamples, seed: options.seed });
  if (options.json === true) {
    io.stdout(`${JSON.stringify(comparisonJson(comparisons), null, 2)}\n`);
  } else {
    io.stdout(`A = ${options.runs[0] ?? ''}\nB = ${options.runs[1] ?? ''}\n`);
    io.stdout(formatComparison(comparisons));
  }
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseInteger(text: string, option: string, min: number): number {
  const value = Number(text);
  if (!/^\s*[+-]?\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${option}: expected an integer >= ${min}, got "${text}"`);
  }
  return value;
}
