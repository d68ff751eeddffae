import { UsageError } from '../errors/usage-error.js';
import type { PairReaderOptions } from '../read/reader-options.js';
import type { CommandKey } from './commands.js';
import type { GivenOptions, ResolvedOptions } from './resolve-options.js';

/** Options of `run` as the library takes them (every key optional but `out` and an input). */
export type RunOptions = GivenOptions<'run'>;

/** Options of `run` with every default applied and checked. */
export type ResolvedRunOptions = ResolvedOptions<'run'>;

/** What reading, planning and queueing a run need: the options `run` and `submit` share. */
export type SubmitSettings = Pick<ResolvedOptions<'submit'>, Exclude<CommandKey<'submit'>, 'rejects' | 'logLevel'>>;

/** Output settings of `run`, `collect` and `retry-failed`. */
export type OutputOptions = Pick<ResolvedOptions<'collect'>, 'out' | 'qrels' | 'topN' | 'runTag' | 'relLevel'>;

/** Checks between options that one option's schema cannot see. Throws UsageError naming the flags. */
export function checkSubmitSettings(options: SubmitSettings): void {
  const fromRun = options.runFile !== undefined || options.docs !== undefined || options.queries !== undefined;
  if (fromRun && options.input !== undefined) throw new UsageError('give either --input, or --run-file with --docs and --queries, not both');
  if (fromRun && (options.runFile === undefined || options.docs === undefined || options.queries === undefined)) {
    throw new UsageError('--run-file, --docs and --queries go together');
  }
  if (!fromRun && options.input === undefined) throw new UsageError('--input is required (or --run-file with --docs and --queries)');
  if (options.depth !== undefined && !fromRun) throw new UsageError('--depth goes with --run-file');
  if (options.maxRetryDelayMs < options.minRetryDelayMs) {
    throw new UsageError(`--max-retry-delay-ms (${options.maxRetryDelayMs}) must be >= --min-retry-delay-ms (${options.minRetryDelayMs})`);
  }
}

/** What reader options a run implies. */
export function readerOptionsOf(options: SubmitSettings): PairReaderOptions {
  return {
    columns: options.columns ?? {},
    onBadRow: options.onBadRow,
    onEmptyText: options.onEmptyText,
    maxDocumentBytes: options.maxDocumentBytes,
    onLongDocument: options.onLongDocument,
    ...(options.format === undefined ? {} : { format: options.format }),
  };
}
