import { defaultCacheDir } from '../cache/score-cache.js';
import { UsageError } from '../errors/usage-error.js';
import type { PairReaderOptions } from '../read/reader-options.js';
import { COMMANDS, type CommandKey } from './commands.js';
import { resolveOptions, type GivenOptions, type ResolvedOptions } from './resolve-options.js';
import { maxDocumentBytesOf, requestShapeOf, type ShapeOptions } from './request-shape.js';
import type { PairSource } from '../plan/plan-ahead.js';

/** Options of `run` as the library takes them (every key optional but `out` and an input). */
export type RunOptions = GivenOptions<'run'>;

/** Options of `run` with every default applied and checked. */
export type ResolvedRunOptions = ResolvedOptions<'run'>;

/** What reading, planning and queueing a run need: the options `run` and `submit` share. */
export type SubmitSettings = Pick<ResolvedOptions<'submit'>, Exclude<CommandKey<'submit'>, 'rejects' | 'logLevel'>>;

/** Output settings of `run`, `collect` and `retry-failed`. */
export type OutputOptions = Pick<ResolvedOptions<'collect'>, 'out' | 'qrels' | 'topN' | 'runTag' | 'relLevel'>;

/** The input options `run`, `submit` and `estimate` share. */
export type InputSettings = Pick<SubmitSettings, 'input' | 'runFile' | 'docs' | 'queries' | 'depth' | 'format' | 'columns' | 'onBadRow' | 'onEmptyText' | 'maxDocumentBytes' | 'onLongDocument'>;

/** Checks between input options that one option's schema cannot see. Throws UsageError naming the flags. */
export function checkInputSettings(options: InputSettings): void {
  const fromRun = options.runFile !== undefined || options.docs !== undefined || options.queries !== undefined;
  if (fromRun && options.input !== undefined) throw new UsageError('give either --input, or --run-file with --docs and --queries, not both');
  if (fromRun && (options.runFile === undefined || options.docs === undefined || options.queries === undefined)) {
    throw new UsageError('--run-file, --docs and --queries go together');
  }
  if (!fromRun && options.input === undefined) throw new UsageError('--input is required (or --run-file with --docs and --queries)');
  if (options.depth !== undefined && !fromRun) throw new UsageError('--depth goes with --run-file');
}

/** Checks between options that one option's schema cannot see. Throws UsageError naming the flags. */
export function checkSubmitSettings(options: SubmitSettings): void {
  checkInputSettings(options);
  // Throws UsageError for a template or passages setting that does not hold together.
  requestShapeOf(options);
  if (options.maxRetryDelayMs < options.minRetryDelayMs) {
    throw new UsageError(`--max-retry-delay-ms (${options.maxRetryDelayMs}) must be >= --min-retry-delay-ms (${options.minRetryDelayMs})`);
  }
}

/** What reader options a run implies. */
export function readerOptionsOf(options: InputSettings & ShapeOptions): PairReaderOptions {
  return {
    columns: options.columns ?? {},
    onBadRow: options.onBadRow,
    onEmptyText: options.onEmptyText,
    ...documentCapOf(options),
    onLongDocument: options.onLongDocument,
    ...(options.format === undefined ? {} : { format: options.format }),
  };
}

/** What the run reads: a pairs file, or a TREC run with its documents and queries. */
export function pairSourceOf(options: InputSettings & ShapeOptions): PairSource {
  const reader = readerOptionsOf(options);
  return options.runFile !== undefined && options.docs !== undefined && options.queries !== undefined
    ? { kind: 'run', options: { ...reader, runFile: options.runFile, docsFile: options.docs, queriesFile: options.queries, ...(options.depth === undefined ? {} : { depth: options.depth }) } }
    : { kind: 'pairs', file: options.input ?? '', options: reader };
}

/** The reader's document cap, and how messages name it when the token cap lowered it. */
function documentCapOf(options: InputSettings & ShapeOptions): Pick<PairReaderOptions, 'maxDocumentBytes' | 'maxDocumentBytesSource'> {
  const shape = requestShapeOf(options);
  const bytes = maxDocumentBytesOf(options.maxDocumentBytes, shape);
  if (bytes === options.maxDocumentBytes || shape.maxTokensPerDoc === undefined) return { maxDocumentBytes: bytes };
  return { maxDocumentBytes: bytes, maxDocumentBytesSource: `--max-tokens-per-doc ${shape.maxTokensPerDoc} x 4 bytes =` };
}

/** The score cache's directory: --cache-dir (or RERANK_BATCH_CACHE_DIR), else the XDG default. */
export function cacheDirOf(options: { cacheDir?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return options.cacheDir ?? defaultCacheDir(env);
}

/**
 * The reader options of a submitted run, from the options its submission recorded: `collect` on any
 * machine reads the input again (for the labelling outputs) exactly as the run read it.
 */
export function submittedReaderOptions(submitted: Record<string, unknown>): PairReaderOptions {
  const keys = new Set<string>(COMMANDS.estimate.options);
  const picked = Object.fromEntries(Object.entries(submitted).filter(([key, value]) => keys.has(key) && value !== undefined && key !== 'apiUrl'));
  return readerOptionsOf(resolveOptions('estimate', { api: picked, env: {} }).options);
}
