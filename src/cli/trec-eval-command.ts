import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { MEASURE_NICKNAMES } from '../evaluate/measure-catalog.js';
import { readRunTag } from '../evaluate/run-tag.js';
import { trecEval, type TrecEvalOptions } from '../evaluate/trec-eval.js';
import { readQrels } from '../read/qrels-file.js';
import { readTrecRunFile } from '../read/trec-run-file.js';
import { ExitCode } from './exit-codes.js';

/** Where the trec_eval command reads and writes; default the process's streams. */
export interface TrecEvalCommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** A run file given as `-`. */
  stdin: Readable;
}

/** A trec_eval command line, parsed. */
export type TrecEvalArguments =
  | { kind: 'evaluate'; qrels: string; run: string; options: TrecEvalOptions }
  | { kind: 'help' }
  | { kind: 'version' };

const defaultIo: TrecEvalCommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stdin: process.stdin,
};

/** trec_eval's getopt_long options: short letter, long name, whether it takes a value. */
const OPTIONS: readonly { short: string; long: string; value: boolean; longValue?: boolean }[] = [
  { short: 'h', long: 'help', value: false },
  { short: 'v', long: 'version', value: false },
  { short: 'q', long: 'query_eval_wanted', value: false },
  { short: 'm', long: 'measure', value: true },
  { short: 'c', long: 'complete_rel_info_wanted', value: false },
  { short: 'l', long: 'level_for_rel', value: true },
  { short: 'n', long: 'nosummary', value: false },
  { short: 'D', long: 'Debug_level', value: true },
  { short: 'J', long: 'Judged_docs_only', value: false },
  { short: 'N', long: 'Number_docs_in_coll', value: true },
  { short: 'M', long: 'Max_retrieved_per_topic', value: true },
  { short: 'R', long: 'Rel_info_format', value: true },
  { short: 'T', long: 'Results_format', value: true },
  { short: 'o', long: 'Output_old_results_format', value: false, longValue: true },
  { short: 'Z', long: 'Zscore', value: true },
];

const USAGE = `Usage: rerank-batch trec_eval [-h] [-q] [-c] [-n] [-J] {-m measure[.params]}* [-l num] [-M num] [-N num]
                             [-R qrels] [-T trec_results] rel_info_file results_file
`;

const HELP = `${USAGE}
trec_eval 10.0's command line and output, byte for byte (TREC qrels and TREC runs; '-' reads the run
from standard input). Options may come before or after the files; -mP.5 and -m P.5 alike.
  -q, --query_eval_wanted         also print each query's values (qrels order), before the summary
  -m, --measure measure[.params]  add a measure or a set (${[...MEASURE_NICKNAMES.keys()].join(', ')}); repeatable;
                                  default official. Parameters as trec_eval's: P.5,10  ndcg.1=3,2=9
                                  iprec_at_recall..1,.2  Rprec_mult.0.5  utility.2,-1,0,0  relstring.20
  -c, --complete_rel_info_wanted  average over every qrels query; those the run lacks score 0
  -l, --level_for_rel num         labels >= num are relevant for the binary measures (default 1)
  -n, --nosummary                 no summary ("all") lines
  -M, --Max_retrieved_per_topic n evaluate only each query's top n documents
  -J, --Judged_docs_only          drop documents without a judgment from each ranking first
  -N, --Number_docs_in_coll n     documents in the collection (utility's fourth coefficient)
  -R, --Rel_info_format qrels     the only qrels format read (prefs, qrels_prefs, qrels_jg are not)
  -T, --Results_format trec_results
  -h, --help / -v, --version
Not supported: -D (debug output), -Z (z-scores). Exit code 2 for a bad command line or input.
`;

/**
 * Registers `trec_eval [trec_eval's flags] QRELS RUN`: the command line is read by trec_eval's own rules
 * ({@link parseTrecEvalArguments}), not by commander. Errors are thrown (UsageError, InputError) for main()
 * to map to exit code 2.
 * @param io output sinks and the run's standard input; default the process's.
 */
export function registerTrecEvalCommand(program: Command, setExitCode: (code: number) => void, io: TrecEvalCommandIo = defaultIo): void {
  program
    .command('trec_eval')
    .description("trec_eval 10.0's command line and output: rerank-batch trec_eval [-q] [-c] [-m measure[.params]]... [-l N] QRELS RUN")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', "trec_eval's flags and files")
    .action(async (_args: unknown, _options: unknown, command: Command) => {
      setExitCode(await runTrecEval(command.args, io));
    });
}

/** The trec_eval command without commander: parses `args`, evaluates, prints as trec_eval prints. */
export async function runTrecEval(args: readonly string[], io: TrecEvalCommandIo = defaultIo): Promise<ExitCode> {
  const parsed = parseTrecEvalArguments(args);
  if (parsed.kind === 'help') {
    io.stdout(HELP);
    return ExitCode.Ok;
  }
  if (parsed.kind === 'version') {
    io.stderr('rerank-batch trec_eval: trec_eval version 10.0 (measures and output)\n');
    return ExitCode.Ok;
  }
  const qrels = await readQrels(parsed.qrels);
  const evaluateFile = async (file: string): Promise<void> => {
    const run = await readTrecRunFile(file);
    trecEval(qrels, run, (await readRunTag(file)) ?? '', { ...parsed.options, runFile: parsed.run }, (text) => io.stdout(text));
  };
  if (parsed.run !== '-') {
    await evaluateFile(parsed.run);
    return ExitCode.Ok;
  }
  // The run is read twice (results, then its tag): standard input is kept in a file meanwhile.
  const dir = await mkdtemp(join(tmpdir(), 'rerank-batch-trec-eval-'));
  try {
    const file = join(dir, 'run');
    await pipeline(io.stdin, createWriteStream(file));
    await evaluateFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return ExitCode.Ok;
}

/**
 * Reads a trec_eval command line as its getopt_long("hvqm:cl:nD:JN:M:R:T:oZ:") does: options anywhere
 * among the two files (GNU permutation) until `--`; clustered flags (`-qc`); a value attached (`-mP.5`,
 * `-l2`) or as the next argument; long options by unique prefix, value after `=` or as the next argument.
 * Stricter where trec_eval's `atol` would read garbage: -l, -M and -N take non-negative integers.
 * @throws UsageError for an unknown or unsupported option, a missing value, or not exactly two files.
 */
export function parseTrecEvalArguments(args: readonly string[]): TrecEvalArguments {
  const files: string[] = [];
  const measures: string[] = [];
  const options: TrecEvalOptions = {};
  let help = false;
  const apply = (short: string, value: string | undefined): TrecEvalArguments | undefined => {
    switch (short) {
      case 'h':
        help = true;
        return undefined;
      case 'v':
        return { kind: 'version' };
      case 'q':
        options.perQuery = true;
        return undefined;
      case 'm':
        measures.push(value ?? '');
        return undefined;
      case 'c':
        options.complete = true;
        return undefined;
      case 'l':
        options.relLevel = count(value, '-l (relevance level)');
        return undefined;
      case 'n':
        options.summary = false;
        return undefined;
      case 'J':
        options.judgedOnly = true;
        return undefined;
      case 'N':
        options.numDocsInCollection = count(value, '-N (documents in the collection)');
        return undefined;
      case 'M':
        options.maxRetrieved = count(value, '-M (documents per query)');
        return undefined;
      case 'R':
        if (value !== 'qrels') throw new UsageError(`trec_eval: -R ${String(value)}: the only rel_info format read is qrels (prefs, qrels_prefs and qrels_jg are not supported)`);
        return undefined;
      case 'T':
        if (value !== 'trec_results') throw new UsageError(`trec_eval: -T ${String(value)}: the only results format is trec_results`);
        return undefined;
      case 'o':
        return undefined; // obsolete in trec_eval too: no effect
      case 'D':
        throw new UsageError('trec_eval: -D (debug output) is not supported');
      case 'Z':
        throw new UsageError('trec_eval: -Z (z-scores) is not supported');
      default:
        throw new UsageError(`trec_eval: unknown option -${short}\n${USAGE}`);
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const option = longOption(name);
      let value: string | undefined;
      if (option.longValue ?? option.value) {
        value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
        if (value === undefined) throw new UsageError(`trec_eval: option --${option.long} needs a value\n${USAGE}`);
      } else if (eq >= 0) {
        throw new UsageError(`trec_eval: option --${option.long} takes no value\n${USAGE}`);
      }
      const done = apply(option.short, value);
      if (done !== undefined) return done;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const short = arg[j] ?? '';
        const option = OPTIONS.find((o) => o.short === short);
        if (option === undefined) throw new UsageError(`trec_eval: unknown option -${short}\n${USAGE}`);
        let value: string | undefined;
        if (option.value) {
          value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
          if (value === undefined) throw new UsageError(`trec_eval: option -${short} needs a value\n${USAGE}`);
          j = arg.length;
        }
        const done = apply(short, value);
        if (done !== undefined) return done;
      }
      continue;
    }
    files.push(arg);
  }
  if (help) return { kind: 'help' };
  if (files.length !== 2) throw new UsageError(`trec_eval: give the qrels file and the run file (got ${files.length} file${files.length === 1 ? '' : 's'})\n${USAGE}`);
  if (measures.length > 0) options.measures = measures;
  return { kind: 'evaluate', qrels: files[0] ?? '', run: files[1] ?? '', options };
}

/** A long option by its name or a unique prefix of it (an exact name wins), as getopt_long finds it. */
function longOption(name: string): (typeof OPTIONS)[number] {
  const exact = OPTIONS.find((o) => o.long === name);
  if (exact !== undefined) return exact;
  const matches = name === '' ? [] : OPTIONS.filter((o) => o.long.startsWith(name));
  const [only] = matches;
  if (only === undefined || matches.length > 1) {
    throw new UsageError(`trec_eval: ${matches.length > 1 ? 'ambiguous' : 'unknown'} option --${name}\n${USAGE}`);
  }
  return only;
}

function count(value: string | undefined, what: string): number {
  const text = (value ?? '').trim();
  const n = Number(text);
  if (!/^\+?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(`trec_eval: ${what} must be a non-negative integer, got "${value ?? ''}"`);
  return n;
}
