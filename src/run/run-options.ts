import { DEFAULT_PREFIX, RUN_ID_PATTERN } from '../../jobs/names.js';
import { DEFAULT_JOB_OPTIONS } from '../../jobs/default-job-options.js';
import { DEFAULT_CONCURRENCY } from '../../workers/worker-options.js';
import { UsageError } from '../errors/usage-error.js';
import { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_DOCS_PER_REQUEST, DEFAULT_MAX_REQUEST_BYTES } from '../plan/batch-planner.js';
import type { PairFormat, PairReaderOptions } from '../read/reader-options.js';
import type { PairRole } from '../read/column-map.js';
import { CLIENT_DEFAULTS } from '../rerank/client-options.js';
import type { PromptTemplate } from '../rerank/prompt.js';

/**
 * Options of a run (the `run` command, and `runPipeline` for library users). Every option, its
 * default and its check live here; the CLI only maps flags onto this.
 */
export interface RunOptions {
  /** Pairs file: CSV, TSV or JSONL, optionally .gz. Required. */
  input: string;
  /** Input format. Default: from the file name. */
  format?: PairFormat;
  /** Column (or JSONL key) per role, over the built-in aliases. Default: aliases only. */
  columns?: Partial<Record<PairRole, string>>;
  /** What a bad input row does: 'fail' stops with exit code 2, 'skip' writes it to rejects.jsonl. Default 'fail'. */
  onBadRow?: 'fail' | 'skip';
  /** TREC qrels; with it, metrics.json is written. Default: none. */
  qrels?: string;
  /** Output directory (created). Required. */
  out: string;
  /** Run id. Default: derived from the input's checksum and every option that changes scores, so the same command resumes the same run. */
  runId?: string;
  /** Redis URL (`redis://…`, or `redis+cluster://h1:p1,h2:p2`). Default: REDIS_URL, else 127.0.0.1:6379, else a private redis-server. */
  redisUrl?: string;
  /** Key prefix of every Redis key. Default "{rerank-batch}" (a Cluster hash tag). */
  prefix?: string;
  /** Rerank endpoint (full URL). Default: RERANK_API_URL, else the built-in local server. */
  apiUrl?: string;
  /** Model name sent to the API. Default "Qwen3-Reranker-4B". */
  model?: string;
  /** Prompt template: "qwen3" tags or "none" (raw text). Default "qwen3". */
  template?: PromptTemplate;
  /** Qwen3 `<Instruct>` text. Default "Given a web search query, retrieve relevant passages that answer the query". */
  instruction?: string;
  /** Most documents per API request. Default 50. */
  maxDocsPerRequest?: number;
  /** Most bytes of document text per API request. Default 262144. */
  maxRequestBytes?: number;
  /** Most batches queued in Redis at once (backpressure). Default 1000. */
  maxPending?: number;
  /** Candidates kept per query in the outputs and metrics. Default: all. */
  topN?: number;
  /** API requests in flight at once, in this process. Default 8. */
  concurrency?: number;
  /** Timeout of one API request, ms. Default 60000. */
  timeoutMs?: number;
  /** In-process retries of one request (p-retry). Default 5. */
  retries?: number;
  /** BullMQ attempts per batch, on top of the in-process retries. Default 5. */
  attempts?: number;
  /** Shortest backoff before an in-process retry, ms. Default 500. */
  minRetryDelayMs?: number;
  /** Longest backoff before an in-process retry, ms. Default 30000. */
  maxRetryDelayMs?: number;
  /** Last column of ranked.trec. Default "rerank-batch". */
  runTag?: string;
  /** Relevance level of binary measures (trec_eval -l). Default 1. */
  relLevel?: number;
  /** Start workers in this process. Default true (false: only queue and collect, workers run elsewhere). */
  workers?: boolean;
}

export type NormalizedRunOptions = Required<Omit<RunOptions, 'format' | 'runId' | 'redisUrl' | 'apiUrl' | 'qrels' | 'topN'>> &
  Pick<RunOptions, 'format' | 'runId' | 'redisUrl' | 'apiUrl' | 'qrels' | 'topN'> & { maxBufferedBytes: number };

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

/** Apply defaults (from the environment where documented) and check every option. Throws UsageError. */
export function normalizeRunOptions(options: RunOptions, env: NodeJS.ProcessEnv = process.env): NormalizedRunOptions {
  if (options.input === '') throw new UsageError('--input is required');
  if (options.out === '') throw new UsageError('--out is required');
  if (options.runId !== undefined && !RUN_ID_PATTERN.test(options.runId)) {
    throw new UsageError(`--run-id must match ${String(RUN_ID_PATTERN)} (letters, digits, . _ -), got "${options.runId}"`);
  }
  const apiUrl = options.apiUrl ?? (env.RERANK_API_URL === '' ? undefined : env.RERANK_API_URL);
  if (apiUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(apiUrl)) throw new UsageError(`--api-url must be an http(s) URL, got "${apiUrl}"`);
  const runTag = options.runTag ?? 'rerank-batch';
  if (/\s/.test(runTag) || runTag === '') throw new UsageError('--run-tag must be one word (it is a column of ranked.trec)');
  const relLevel = options.relLevel ?? 1;
  if (!Number.isFinite(relLevel)) throw new UsageError(`--rel-level must be a number, got ${String(options.relLevel)}`);
  return {
    input: options.input,
    format: options.format,
    columns: options.columns ?? {},
    onBadRow: oneOf('on-bad-row', options.onBadRow, ['fail', 'skip'], 'fail'),
    qrels: options.qrels,
    out: options.out,
    runId: options.runId,
    redisUrl: options.redisUrl,
    prefix: options.prefix ?? DEFAULT_PREFIX,
    apiUrl,
    model: options.model ?? CLIENT_DEFAULTS.model,
    template: oneOf('template', options.template, ['qwen3', 'none'], CLIENT_DEFAULTS.template),
    instruction: options.instruction ?? CLIENT_DEFAULTS.instruction,
    maxDocsPerRequest: integer('max-docs-per-request', options.maxDocsPerRequest, DEFAULT_MAX_DOCS_PER_REQUEST, 1),
    maxRequestBytes: integer('max-request-bytes', options.maxRequestBytes, DEFAULT_MAX_REQUEST_BYTES, 1024),
    maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
    maxPending: integer('max-pending', options.maxPending, 1000, 1),
    topN: options.topN === undefined ? undefined : integer('top-n', options.topN, 0, 1),
    concurrency: integer('concurrency', options.concurrency, DEFAULT_CONCURRENCY, 1),
    timeoutMs: integer('timeout-ms', options.timeoutMs, CLIENT_DEFAULTS.timeoutMs, 1),
    retries: integer('retries', options.retries, CLIENT_DEFAULTS.retries, 0),
    attempts: integer('attempts', options.attempts, DEFAULT_JOB_OPTIONS.attempts, 1),
    minRetryDelayMs: integer('min-retry-delay-ms', options.minRetryDelayMs, CLIENT_DEFAULTS.minRetryDelayMs, 0),
    maxRetryDelayMs: integer('max-retry-delay-ms', options.maxRetryDelayMs, CLIENT_DEFAULTS.maxRetryDelayMs, 0),
    runTag,
    relLevel,
    workers: options.workers ?? true,
  };
}

/** What reader options a run implies. */
export function readerOptionsOf(options: NormalizedRunOptions): PairReaderOptions {
  const reader: PairReaderOptions = { columns: options.columns, onBadRow: options.onBadRow };
  if (options.format !== undefined) reader.format = options.format;
  return reader;
}
