import type { Command } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import { diffRankings, formatRankingDiff, rankingDiffJson } from '../evaluate/index.js';

/** Where the diff command writes; default process.stdout. */
export interface DiffCommandIo {
  stdout(text: string): void;
}

/** Options of {@link runDiff}, as parsed from the command line. */
export interface DiffCommandOptions {
  /** Ranking A (the reference): a TREC run or a ranked.jsonl. */
  a: string;
  /** Ranking B (compared against A). */
  b: string;
  /** Default 0.9. */
  rboP?: number;
  /** Default 10. */
  topK?: number;
  /** Default 10. */
  mostMoved?: number;
  /** JSON instead of text. Default false. */
  json?: boolean;
}

const defaultIo: DiffCommandIo = {
  stdout: (text) => void process.stdout.write(text),
};

/**
 * Registers `diff A B [--rbo-p P] [--top-k K] [--most-moved N] [--json]` on the program. Errors are thrown
 * (InputError, UsageError) for main() to map to exit code 2; success sets exit code 0.
 * @param io output sink; default process.stdout.
 */
export function registerDiffCommand(program: Command, setExitCode: (code: number) => void, io: DiffCommandIo = defaultIo): void {
  defineCommand(program, 'diff', async ({ options }, command) => {
    // commander has checked that both arguments are there.
    const [a = '', b = ''] = command.args;
    await runDiff({ a, b, rboP: options.rboP, topK: options.topK, mostMoved: options.mostMoved, json: options.json }, io);
    setExitCode(ExitCode.Ok);
  })
    .argument('<a>', 'ranking A: TREC run, or ranked.jsonl (a name ending .jsonl or .jsonl.gz)')
    .argument('<b>', 'ranking B, compared against A (same formats)');
}

/** The diff command without commander: compares B against A and prints the text summary (or JSON) to io.stdout. */
export async function runDiff(options: DiffCommandOptions, io: DiffCommandIo = defaultIo): Promise<void> {
  if (options.a === '' || options.b === '') throw new UsageError('diff: give two ranking files, A and B');
  const diff = await diffRankings({ a: options.a, b: options.b, rboP: options.rboP, topK: options.topK, mostMoved: options.mostMoved });
  io.stdout(options.json === true ? `${JSON.stringify(rankingDiffJson(diff), null, 2)}\n` : formatRankingDiff(diff));
}
