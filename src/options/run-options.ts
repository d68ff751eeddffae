import { DEFAULT_PREFIX, RUN_ID_PATTERN } from '../../jobs/names.js';
import { DEFAULT_JOB_OPTIONS } from '../../jobs/default-job-options.js';
import { DEFAULT_CONCURRENCY, DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS } from '../../workers/worker-options.js';
import { UsageError } from '../errors/usage-error.js';
import { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_DOCS_PER_REQUEST, DEFAULT_MAX_REQUEST_BYTES } from '../plan/batch-planner.js';
import type { PairFormat, PairReaderOptions } from '../read/reader-options.js';
import { DEFAULT_MAX_DOCUMENT_BYTES } from '../read/reader-options.js';
import type { PairRole } from '../read/column-map.js';
import { CLIENT_DEFAULTS } from '../rerank/client-options.js';
import type { PromptTemplate } from '../rerank/prompt.js';

/**
 * Options of a run (the `run` and `submit` commands, and `runPipeline` for library users). Every
 * option, its default and its check live here; the CLI only maps flags onto this.
 */
export interface RunOptions {
  /** Pairs file: CSV, TSV or JSONL, optionally .gz. Either this or `runFile` + `docs` + `queries`. */
  input?: string;
  /** First-stage TREC run to build pairs from (with `docs` and `queries`), instead of `input`. */
  runFile?: string;
  /** Documents file for `runFile`: JSONL (docno/doc_id + text) or TSV. */
  docs?: string;
  /** Queries file for `runFile`: TSV (id, text) or JSONL. */
  queries?: string;
  /** With `runFile`: keep the top K of each query. Default: all. */
  depth?: number;
  /** Input format. Default: from the file name. */
  format?: PairFormat;
  /** Column (or JSONL key) per role, over the built-in aliases. Default: aliases only. */
  columns?: Partial<Record<PairRole, string>>;
  /** What a bad input row does: 'fail' stops with exit code 2, 'skip' writes it to rejects.jsonl. Default 'fail'. */
  onBadRow?: 'fail' | 'skip';
  /** An empty query or document text: 'reject' (a bad row) or 'score-lowest' (never sent; ranked last). Default 'reject'. */
  onEmptyText?: 'reject' | 'score-lowest';
  /** Longest document sent, in UTF-8 bytes. Default 32768. */
  maxDocumentBytes?: number;
  /** A longer document: 'truncate' (and log it) or 'reject' (a bad row). Default 'truncate'. */
  onLongDocument?: 'truncate' | 'reject';
  /** TREC qrels; with it, metrics.json is written. Default: none. */
  qrels?: string;
  /** Output directory (created). Required for `run`. */
  out: string;
  /** Run id. Default: derived from the inputs' checksums and every option that changes what is sent, so the same command resumes the same run. */
  runId?: string;
  /** Redis URL (`redis://…`, or `redis+cluster://h1:p1,h2:p2`). Default: REDIS_URL, else 127.0.0.1:6379, else a private redis-server. */
  redisUrl?: string;
  /** Key prefix of every Redis key. Default "{rerank-batch}" (a Cluster hash tag). */
  prefix?: string;
  /** Rerank endpoint (full URL). Default: RERANK_API_URL, else the built-in local server (`run` only). */
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
  /** Most API requests per second over all workers of the run (BullMQ's global limiter). Default: no limit. */
  rateLimit?: number;
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
  /** BullMQ lock duration of the in-process workers, ms. Default 30000. */
  lockDurationMs?: number;
  /** BullMQ stalled-job check interval of the in-process workers, ms. Default 15000. */
  stalledIntervalMs?: number;
  /** Last column of ranked.trec. Default "rerank-batch". */
  runTag?: string;
  /** Relevance level of binary measures (trec_eval -l). Default 1. */
  relLevel?: number;
  /** Start workers in this process. Default true (false: only queue and collect, workers run elsewhere). */
  workers?: boolean;
  /** On SIGINT/SIGTERM, how long in-flight requests may take to finish before their jobs are handed back, ms. Default 10000. */
  shutdownGraceMs?: number;
}

type Optional = 'input' | 'runFile' | 'docs' | 'queries' | 'depth' | 'format' | 'runId' | 'redisUrl' | 'apiUrl' | 'qrels' | 'topN' | 'rateLimit';
export type NormalizedRunOptions = Required<Omit<RunOptions, Optional>> & Pick<RunOptions, Optional> & { maxBufferedBytes: number };

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function optionalInteger(name: string, value: number | undefined, min: number): number | undefined {
  return value === undefined ? undefined : integer(name, value, 0, min);
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

/** Apply defaults (from the environment where documented) and check every option. Throws UsageError. */
export function normalizeRunOptions(options: RunOptions, env: NodeJS.ProcessEnv = process.env): NormalizedRunOptions {
  const fromRun = options.runFile !== undefined || options.docs !== undefined || options.queries !== undefined;
  if (fromRun && options.input !== undefined) throw new UsageError('give either --input, or --run-file with --docs and --queries, not both');
  if (fromRun && (options.runFile === undefined || options.docs === undefined || options.queries === undefined)) {
    throw new UsageError('--run-file, --docs and --queries go together');
  }
  if (!fromRun && (options.input === undefined || options.input === '')) throw new UsageError('--input is required (or --run-file with --docs and --queries)');
  if (options.depth !== undefined && !fromRun) throw new UsageError('--depth goes with --run-file');
  if (options.runId !== undefined && !RUN_ID_PATTERN.test(options.runId)) {
    throw new UsageError(`--run-id must match ${String(RUN_ID_PATTERN)} (letters, digits, . _ -), got "${options.runId}"`);
  }
  const apiUrl = options.apiUrl ?? (env.RERANK_API_URL === '' ? undefined : env.RERANK_API_URL);
  if (apiUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(apiUrl)) throw new UsageError(`--api-url must be an http(s) URL, got "${apiUrl}"`);
  const runTag = options.runTag ?? 'rerank-batch';
  if (/\s/.test(runTag) || runTag === '') throw new UsageError('--run-tag must be one word (it is a column of ranked.trec)');
  const relLevel = integer('rel-level', options.relLevel, 1, 0);
  if (options.rateLimit !== undefined && !(Number.isFinite(options.rateLimit) && options.rateLimit > 0)) {
    throw new UsageError(`--rate-limit must be a positive number of requests per second, got ${String(options.rateLimit)}`);
  }
  return {
    input: options.input,
    runFile: options.runFile,
    docs: options.docs,
    queries: options.queries,
    depth: optionalInteger('depth', options.depth, 1),
    format: options.format,
    columns: options.columns ?? {},
    onBadRow: oneOf('on-bad-row', options.onBadRow, ['fail', 'skip'], 'fail'),
    onEmptyText: oneOf('on-empty-text', options.onEmptyText, ['reject', 'score-lowest'], 'reject'),
    maxDocumentBytes: integer('max-document-bytes', options.maxDocumentBytes, DEFAULT_MAX_DOCUMENT_BYTES, 1),
    onLongDocument: oneOf('on-long-document', options.onLongDocument, ['truncate', 'reject'], 'truncate'),
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
    topN: optionalInteger('top-n', options.topN, 1),
    concurrency: integer('concurrency', options.concurrency, DEFAULT_CONCURRENCY, 1),
    rateLimit: options.rateLimit,
    timeoutMs: integer('timeout-ms', options.timeoutMs, CLIENT_DEFAULTS.timeoutMs, 1),
    retries: integer('retries', options.retries, CLIENT_DEFAULTS.retries, 0),
    attempts: integer('attempts', options.attempts, DEFAULT_JOB_OPTIONS.attempts, 1),
    minRetryDelayMs: integer('min-retry-delay-ms', options.minRetryDelayMs, CLIENT_DEFAULTS.minRetryDelayMs, 0),
    maxRetryDelayMs: integer('max-retry-delay-ms', options.maxRetryDelayMs, CLIENT_DEFAULTS.maxRetryDelayMs, 0),
    lockDurationMs: integer('lock-duration-ms', options.lockDurationMs, DEFAULT_LOCK_DURATION_MS, 1000),
    stalledIntervalMs: integer('stalled-interval-ms', options.stalledIntervalMs, DEFAULT_STALLED_INTERVAL_MS, 500),
    runTag,
    relLevel,
    workers: options.workers ?? true,
    shutdownGraceMs: integer('shutdown-grace-ms', options.shutdownGraceMs, 10_000, 0),
  };
}

/** What reader options a run implies. */
export function readerOptionsOf(options: NormalizedRunOptions): PairReaderOptions {
  const reader: PairReaderOptions = {
    columns: options.columns,
    onBadRow: options.onBadRow,
    onEmptyText: options.onEmptyText,
    maxDocumentBytes: options.maxDocumentBytes,
    onLongDocument: options.onLongDocument,
  };
  if (options.format !== undefined) reader.format = options.format;
  return reader;
}
