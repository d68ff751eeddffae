import { DEFAULT_JOB_OPTIONS } from '../../jobs/default-job-options.js';
import { DEFAULT_PREFIX, RUN_ID_PATTERN } from '../../jobs/names.js';
import { CORRECTIONS } from '../evaluate/multiple-testing.js';
import { RANKING_DIFF_DEFAULTS } from '../evaluate/ranking-diff.js';
import { PAIRED_TESTS } from '../evaluate/run-comparison.js';
import { DEFAULT_MAX_DOCUMENT_BYTES } from '../read/reader-options.js';
import { CLIENT_DEFAULTS } from '../rerank/client-options.js';
import { TEMPLATE_SETTINGS } from '../rerank/prompt.js';
import { DEFAULT_PROVIDER, PROVIDER_NAMES } from '../rerank/providers/provider-name.js';
import { SERVER_DEFAULTS } from '../serve/rerank-server.js';
import type { KindValue, OptionKind } from './option-kinds.js';

/**
 * Vocabulary of options:
 * - **option**: one setting, named in camelCase here and in the library API, in kebab-case on the command
 *   line (`--max-pending`) and in a config file (`max-pending:`);
 * - **concern**: the part of the pipeline an option steers (input, request, queue, output, worker, ...);
 *   a command takes the options of the concerns it touches;
 * - **source**: where an option's effective value came from: cli > env > file > (a submitted run's own
 *   settings, for `collect`) > default. manifest.json records it per option.
 */
export type OptionConcern = 'input' | 'request' | 'queue' | 'cache' | 'output' | 'labelling' | 'worker' | 'monitoring' | 'evaluation' | 'server' | 'common';

export interface OptionDef {
  concern: OptionConcern;
  kind: OptionKind;
  /** One line for `--help`, the config template and the README table. */
  doc: string;
  /** Kebab-case name (flag and config key) when it is not the key's own kebab-case form. */
  name?: string;
  short?: string;
  /** Placeholder of the flag's argument; none for a boolean flag. */
  arg?: string;
  /** A boolean that is on by default and turned off with `--no-<name>`. */
  negatable?: boolean;
  /** Environment variable that sets it (below the command line, above a config file). */
  env?: string;
  /** What the default is, in words, where the option has no fixed default value. */
  defaultDoc?: string;
}

const int = (min: number, max?: number): { type: 'int'; min: number; max?: number } => (max === undefined ? { type: 'int', min } : { type: 'int', min, max });
const text = { type: 'string' } as const satisfies OptionKind;
const probability = { type: 'number', min: 0, max: 1 } as const satisfies OptionKind;

/** Every option of every command: the one list the CLI, config files, the library and the README follow. */
export const OPTIONS = {
  // input
  input: { concern: 'input', kind: text, short: '-i', arg: '<file>', doc: 'pairs file: .csv, .tsv, .jsonl (each optionally .gz)' },
  runFile: { concern: 'input', kind: text, arg: '<file>', doc: 'build pairs from a first-stage TREC run instead (with --docs and --queries)' },
  docs: { concern: 'input', kind: text, arg: '<file>', doc: "documents for --run-file: JSONL (docno/doc_id/_id, text; BEIR's corpus.jsonl, title joined to text) or TSV" },
  queries: { concern: 'input', kind: text, arg: '<file>', doc: "queries for --run-file: TSV (id, text) or JSONL (BEIR's queries.jsonl too)" },
  depth: { concern: 'input', kind: int(1), arg: '<k>', doc: 'with --run-file: the top K candidates of each query', defaultDoc: 'all' },
  format: { concern: 'input', kind: { type: 'choice', choices: ['csv', 'tsv', 'jsonl'] }, arg: '<format>', doc: 'input format', defaultDoc: 'from the file name' },
  columns: { concern: 'input', kind: { type: 'columns' }, arg: '<role=column,...>', doc: 'input column per role (query_id, query, doc_id, document, score, rank, label)', defaultDoc: 'aliases' },
  onBadRow: { concern: 'input', kind: { type: 'choice', choices: ['fail', 'skip'] }, arg: '<what>', doc: 'a bad input row: fail (exit 2) or skip (listed in rejects.jsonl)' },
  onEmptyText: { concern: 'input', kind: { type: 'choice', choices: ['reject', 'score-lowest'] }, arg: '<what>', doc: 'an empty query/document text: reject (a bad row) or score-lowest (never sent, ranked last)' },
  maxDocumentBytes: { concern: 'input', kind: int(1), arg: '<n>', doc: 'longest document sent, in UTF-8 bytes' },
  onLongDocument: { concern: 'input', kind: { type: 'choice', choices: ['truncate', 'reject'] }, arg: '<what>', doc: 'a longer document: truncate (logged) or reject (a bad row)' },
  rejects: { concern: 'input', kind: text, arg: '<file>', doc: 'where rows skipped with --on-bad-row skip are listed' },
  // request (the rerank API)
  provider: { concern: 'request', kind: { type: 'choice', choices: PROVIDER_NAMES }, arg: '<name>', doc: 'rerank API dialect: request and response shape, auth, limits, billing unit (see Providers)' },
  apiUrl: { concern: 'request', kind: { type: 'url', protocols: ['http', 'https'] }, arg: '<url>', env: 'RERANK_API_URL', doc: 'rerank endpoint, full URL', defaultDoc: "RERANK_API_URL, else the hosted provider's endpoint when RERANK_API_KEY is set, else the built-in local server (run only)" },
  model: { concern: 'request', kind: text, arg: '<name>', doc: 'model name sent with every request', defaultDoc: "the provider's (regolo: Qwen3-Reranker-4B)" },
  template: { concern: 'request', kind: { type: 'choice', choices: TEMPLATE_SETTINGS }, arg: '<name>', doc: 'prompt template: auto (qwen3 for Qwen3 reranker models, else none), qwen3 tags, none (raw text), custom (--query-template, --document-template)' },
  queryTemplate: { concern: 'request', kind: text, arg: '<text>', doc: 'with --template custom: the query as sent, with {query} and optionally {instruction}' },
  documentTemplate: { concern: 'request', kind: text, arg: '<text>', doc: 'with --template custom: each document as sent, with {document}', defaultDoc: '{document}' },
  instruction: { concern: 'request', kind: text, arg: '<text>', doc: 'Qwen3 <Instruct> text' },
  maxDocsPerRequest: { concern: 'request', kind: int(1), arg: '<n>', doc: 'most documents (or passages) per API request', defaultDoc: "the provider's limit" },
  maxRequestBytes: { concern: 'request', kind: int(1024), arg: '<n>', doc: 'most bytes of document text per API request (UTF-8, plus 16 per document)', defaultDoc: "the provider's limit" },
  maxTokensPerRequest: { concern: 'request', kind: int(1), arg: '<n>', doc: 'most approximate tokens per API request (query tokens x documents + document tokens)', defaultDoc: "the provider's limit, else none" },
  maxTokensPerDoc: { concern: 'request', kind: int(1), arg: '<n>', doc: 'longest document (or passage) sent, in approximate tokens (4 UTF-8 bytes each); longer ones are cut', defaultDoc: "the provider's limit, else none" },
  passages: { concern: 'request', kind: { type: 'string', pattern: /^[1-9]\d*(,[1-9]\d*)?$/, patternDoc: 'expected N or N,STRIDE (words, e.g. 150,75)' }, arg: '<n[,stride]>', doc: 'split documents longer than N words into passages of N words every STRIDE words (default N/2), scored separately, a document gets its best passage\'s score (MaxP)', defaultDoc: 'no splitting' },
  rateLimit: { concern: 'request', kind: { type: 'number', min: 0, exclusiveMin: true }, arg: '<n>', doc: 'most API requests per second over all workers', defaultDoc: 'no limit' },
  requestsPerMinute: { concern: 'request', kind: int(1), arg: '<n>', doc: 'most API requests per minute over all workers', defaultDoc: 'no limit' },
  tokensPerMinute: { concern: 'request', kind: int(1), arg: '<n>', doc: 'most approximate tokens sent per minute over all workers', defaultDoc: 'no limit' },
  price: { concern: 'request', kind: { type: 'string', pattern: /^\d+(\.\d+)?\/(request|search-unit|1k-tokens|1m-tokens)$/, patternDoc: 'expected AMOUNT/UNIT with UNIT request, search-unit, 1k-tokens or 1m-tokens (e.g. 0.002/search-unit)' }, arg: '<amount/unit>', doc: 'price for `estimate`: per request, per search unit, per 1,000 or per 1,000,000 tokens', defaultDoc: 'no cost shown' },
  timeoutMs: { concern: 'request', kind: int(1), arg: '<n>', doc: 'timeout of one API request, ms' },
  retries: { concern: 'request', kind: int(0), arg: '<n>', doc: 'in-process retries of one request (exponential backoff with jitter; Retry-After honoured, capped at 120 s)' },
  minRetryDelayMs: { concern: 'request', kind: int(0), arg: '<n>', doc: 'backoff before the first in-process retry, ms' },
  maxRetryDelayMs: { concern: 'request', kind: int(0), arg: '<n>', doc: 'longest backoff between in-process retries, ms' },
  attempts: { concern: 'request', kind: int(1), arg: '<n>', doc: 'BullMQ attempts per batch, the outer retry layer (exponential from 5 s, jittered)' },
  // queue and run
  runId: { concern: 'queue', kind: { type: 'string', pattern: RUN_ID_PATTERN, patternDoc: 'letters, digits, . _ - (at most 64)' }, arg: '<id>', doc: 'run id', defaultDoc: 'derived from the inputs and options, so the same command resumes' },
  runIds: { concern: 'queue', kind: { type: 'list' }, name: 'run-id', arg: '<id...>', doc: 'serve only these runs', defaultDoc: 'every active run' },
  redis: { concern: 'queue', kind: { type: 'string', pattern: /^rediss?(\+cluster)?:\/\//, patternDoc: 'expected redis://, rediss://, redis+cluster:// or rediss+cluster:// URL' }, arg: '<url>', env: 'REDIS_URL', doc: 'Redis URL, or redis+cluster://h1:p1,h2:p2 (rediss: TLS)', defaultDoc: 'REDIS_URL, else 127.0.0.1:6379, else (run only) a private redis-server' },
  redisTlsCa: { concern: 'queue', kind: text, arg: '<file>', doc: 'PEM file of the CA that signed the Redis server certificate (rediss:// URLs)', defaultDoc: "the system's CAs" },
  redisTlsCert: { concern: 'queue', kind: text, arg: '<file>', doc: 'PEM client certificate for Redis mutual TLS (with --redis-tls-key)', defaultDoc: 'none' },
  redisTlsKey: { concern: 'queue', kind: text, arg: '<file>', doc: 'PEM private key of --redis-tls-cert (unencrypted)', defaultDoc: 'none' },
  prefix: { concern: 'queue', kind: text, arg: '<prefix>', doc: 'Redis key prefix (braces: a Cluster hash tag)' },
  redisOutageTimeout: { concern: 'queue', kind: { type: 'duration', min: 0 }, arg: '<duration>', doc: 'how long to wait through a Redis outage (e.g. 90s, 10m) before exit 1 with ERR_REDIS_UNAVAILABLE; the same command resumes', defaultDoc: 'forever' },
  maxPending: { concern: 'queue', kind: int(1), arg: '<n>', doc: 'most batches queued in Redis at once; the producer waits for room' },
  // the score cache
  cache: { concern: 'cache', kind: { type: 'boolean' }, negatable: true, env: 'RERANK_BATCH_CACHE', doc: 'look scores up in the score cache and store new ones there (--no-cache: neither)' },
  cacheDir: { concern: 'cache', kind: text, arg: '<dir>', env: 'RERANK_BATCH_CACHE_DIR', doc: 'the score cache directory (local disk: LMDB, not a network file system)', defaultDoc: '$XDG_CACHE_HOME/rerank-batch/scores, else ~/.cache/rerank-batch/scores' },
  cacheMaxAge: { concern: 'cache', kind: { type: 'duration', min: 0 }, arg: '<duration>', doc: 'use cached scores no older than this (e.g. 30d, 12h); older pairs are scored again', defaultDoc: 'any age' },
  refresh: { concern: 'cache', kind: { type: 'boolean' }, doc: 'score every pair again, whatever the cache holds, and store the new scores' },
  before: { concern: 'cache', kind: { type: 'string', pattern: /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, patternDoc: 'expected a date, YYYY-MM-DD or an ISO 8601 time' }, arg: '<date>', doc: 'drop the scores obtained before this date (YYYY-MM-DD: midnight UTC, or an ISO 8601 time)' },
  olderThan: { concern: 'cache', kind: { type: 'duration', min: 0 }, arg: '<duration>', doc: 'drop the scores older than this (e.g. 90d)' },
  pruneModel: { concern: 'cache', kind: text, name: 'model', arg: '<name>', doc: 'drop the scores of this model (as the runs named it in their requests)' },
  // outputs
  out: { concern: 'output', kind: text, short: '-o', arg: '<dir>', doc: 'output directory' },
  qrels: { concern: 'output', kind: text, arg: '<file>', doc: 'TREC qrels: write metrics.json and metrics.perquery.csv', defaultDoc: 'none' },
  topN: { concern: 'output', kind: int(1), arg: '<n>', doc: 'candidates kept per query in the outputs and metrics', defaultDoc: 'all' },
  runTag: { concern: 'output', kind: { type: 'string', pattern: /^\S+$/, patternDoc: 'must be one word (it is a column of ranked.trec)' }, arg: '<tag>', doc: 'last column of ranked.trec' },
  relLevel: { concern: 'output', kind: int(0), arg: '<n>', doc: 'relevance level of binary measures (trec_eval -l)' },
  // labelling outputs (rows, labels, training data, review samples)
  scored: { concern: 'labelling', kind: { type: 'choice', choices: ['auto', 'csv', 'tsv', 'jsonl', 'both'] }, arg: '<format>', doc: 'write scored.csv/.tsv/.jsonl: every input row in order, its columns unchanged, plus score, rank, original_rank (label_pred) and status; auto: the input\'s format, both: csv and jsonl', defaultDoc: 'none; auto with a label, training or review option' },
  labelThresholds: { concern: 'labelling', kind: { type: 'list' }, arg: '<t1,t2,...>', doc: 'graded labels from scores: a pair\'s label is how many thresholds its score reaches (0..N); a label_pred column and labels.qrels', defaultDoc: 'no labels' },
  labelTopK: { concern: 'labelling', kind: int(1), arg: '<k>', doc: 'binary labels from ranks: 1 for the top K of each query, else 0 (label_pred, labels.qrels)', defaultDoc: 'no labels' },
  calibrateThresholds: { concern: 'labelling', kind: { type: 'boolean' }, doc: "label thresholds that agree best (Cohen's kappa) with the input's label column, one fewer than its distinct labels; reported in metrics.json" },
  exportTraining: { concern: 'labelling', kind: { type: 'list' }, arg: '<format,...>', doc: 'training files: triplets, hard-negatives (n-tuples), distillation (teacher scores, pointwise and listwise)', defaultDoc: 'none' },
  negatives: { concern: 'labelling', kind: int(1), arg: '<n>', doc: 'hard negatives per positive (triplets, hard-negatives)' },
  negativeRanks: { concern: 'labelling', kind: { type: 'string', pattern: /^[1-9]\d*\.\.[1-9]\d*$/, patternDoc: 'expected MIN..MAX ranks (e.g. 3..50)' }, arg: '<min..max>', doc: 'ranks of the reranked list hard negatives are taken from' },
  negativeMargin: { concern: 'labelling', kind: { type: 'number', min: 0 }, arg: '<x>', doc: "a hard negative's score is at most the positive's minus this (skips likely false negatives)" },
  positivesTop: { concern: 'labelling', kind: int(1), arg: '<n>', doc: 'without qrels, input labels or a label rule: the top N of each reranked list are the positives' },
  reviewSample: { concern: 'labelling', kind: int(1), arg: '<n>', doc: 'write review.csv: N pairs with their texts, stratified by score band and spread over queries, for a person to check', defaultDoc: 'none' },
  // workers in this process
  concurrency: { concern: 'worker', kind: int(1), arg: '<n>', doc: 'API requests in flight in this process' },
  workers: { concern: 'worker', kind: { type: 'boolean' }, negatable: true, doc: 'start workers in this process (--no-workers: only queue and collect)' },
  lockDurationMs: { concern: 'worker', kind: int(1000), arg: '<n>', doc: "BullMQ lock duration, ms: how soon a killed worker's jobs go to others" },
  stalledIntervalMs: { concern: 'worker', kind: int(500), arg: '<n>', doc: 'how often workers look for jobs of killed workers, ms' },
  shutdownGraceMs: { concern: 'worker', kind: int(0), arg: '<n>', doc: 'on SIGINT/SIGTERM, how long in-flight requests may finish before their jobs are handed back, ms' },
  // seeing a run: metrics for monitoring, traces
  metricsPort: { concern: 'monitoring', kind: int(0, 65535), arg: '<port>', doc: 'serve Prometheus metrics at http://HOST:PORT/metrics (0 = any free port, logged)', defaultDoc: 'no endpoint' },
  metricsHost: { concern: 'monitoring', kind: text, arg: '<host>', doc: 'interface of the metrics endpoint (0.0.0.0 for a scraper on another host)' },
  tracing: { concern: 'monitoring', kind: { type: 'boolean' }, doc: "OpenTelemetry spans of queues and jobs through BullMQ's telemetry (bullmq-otel); set up an OpenTelemetry SDK in the process, e.g. with node --import" },
  // evaluation (eval)
  run: { concern: 'evaluation', kind: { type: 'list' }, arg: '<file>', doc: 'TREC run or ranked.jsonl, or NAME=FILE to name it in tables; give several to compare them with the baseline' },
  measures: { concern: 'evaluation', kind: { type: 'list' }, arg: '<list>', doc: 'measures, trec_eval -m style (e.g. "ndcg_cut.10,map,P.5,10") or ir_measures names (nDCG@10, AP, P@5)', defaultDoc: 'all' },
  perQuery: { concern: 'evaluation', kind: { type: 'boolean' }, doc: 'also one row per query and measure (trec_eval -q)' },
  json: { concern: 'common', kind: { type: 'boolean' }, doc: 'print JSON instead of a table' },
  bootstrapSamples: { concern: 'evaluation', kind: int(1), arg: '<n>', doc: 'bootstrap resamples of the confidence interval of a two-run comparison' },
  seed: { concern: 'evaluation', kind: int(0), arg: '<n>', doc: 'seed of the bootstrap and the permutation test (eval) or of the fault draws (serve)' },
  baseline: { concern: 'evaluation', kind: text, arg: '<name>', doc: 'the run the others are compared with: its name (file name, or NAME of NAME=FILE) or its file', defaultDoc: 'the first --run' },
  test: { concern: 'evaluation', kind: { type: 'choice', choices: PAIRED_TESTS }, arg: '<test>', doc: 'paired test of each run against the baseline: t (paired t-test), wilcoxon (signed-rank, as scipy.stats.wilcoxon), permutation (randomization test, random sign flips)' },
  correction: { concern: 'evaluation', kind: { type: 'choice', choices: CORRECTIONS }, arg: '<method>', doc: 'multiple-testing correction of the p-values over runs x measures: holm, bonferroni, bh (Benjamini-Hochberg) or none' },
  permutations: { concern: 'evaluation', kind: int(1), arg: '<n>', doc: 'random sign flips of --test permutation (all 2^queries when that is fewer)' },
  csv: { concern: 'evaluation', kind: { type: 'boolean' }, doc: 'print the comparison table (or a single run\'s means) as CSV instead of a table' },
  perQueryCsv: { concern: 'evaluation', kind: text, arg: '<file>', doc: 'write the per-query matrix: query_id, measure, one column of values per run', defaultDoc: 'none' },
  failOnRegression: { concern: 'evaluation', kind: { type: 'list' }, arg: '<measure[:delta]...>', doc: 'exit 3 when reranking lowers MEASURE (e.g. ndcg_cut.10) by more than DELTA (default 0), or significantly (paired t-test p < 0.05, or the 95% CI wholly below zero)', defaultDoc: 'no gate' },
  // ranking comparison (diff)
  rboP: { concern: 'evaluation', kind: { type: 'number', min: 0, exclusiveMin: true, max: 1 }, arg: '<p>', doc: 'persistence of rank-biased overlap, 0 < p < 1 (higher: deeper ranks weigh more)' },
  topK: { concern: 'evaluation', kind: int(1), arg: '<k>', doc: 'depth of the top-k overlap and of "top-k changed"' },
  mostMoved: { concern: 'evaluation', kind: int(0), arg: '<n>', doc: 'how many queries to list as moved most (lowest RBO)' },
  // the built-in server (serve)
  dialect: { concern: 'server', kind: { type: 'choice', choices: PROVIDER_NAMES }, arg: '<name>', doc: 'API dialect the server speaks, on that provider\'s documented path' },
  host: { concern: 'server', kind: text, arg: '<host>', doc: 'interface to listen on' },
  port: { concern: 'server', kind: int(0, 65535), arg: '<port>', doc: 'port (0 = any free port)' },
  latencyMs: { concern: 'server', kind: { type: 'number', min: 0 }, arg: '<ms>', doc: 'delay before every answer' },
  rate429: { concern: 'server', kind: probability, name: 'rate-429', arg: '<p>', doc: 'probability of a 429 answer (with Retry-After where the dialect sends one)' },
  rate5xx: { concern: 'server', kind: probability, name: 'rate-5xx', arg: '<p>', doc: 'probability of a 500/502/503 answer' },
  rateHang: { concern: 'server', kind: probability, arg: '<p>', doc: 'probability of never answering' },
  rateReset: { concern: 'server', kind: probability, arg: '<p>', doc: 'probability of resetting the connection' },
  rateMalformed: { concern: 'server', kind: probability, arg: '<p>', doc: 'probability of a 200 answer that is not JSON' },
  rateMissing: { concern: 'server', kind: probability, arg: '<p>', doc: 'probability of a 200 answer missing one result' },
  retryAfter: { concern: 'server', kind: int(0), arg: '<seconds>', doc: 'Retry-After of 429 answers' },
  maxRps: { concern: 'server', kind: { type: 'number', min: 0, exclusiveMin: true }, arg: '<n>', doc: 'answer 429 above this many requests per second', defaultDoc: 'no limit' },
  maxDocuments: { concern: 'server', kind: int(1), arg: '<n>', doc: 'most documents per request (more: refused as the dialect refuses it)', defaultDoc: "the dialect's documented cap (regolo 1000, tei 32, infinity 2048...)" },
  dashboardUser: { concern: 'server', kind: text, arg: '<name>', env: 'RERANK_BATCH_DASHBOARD_USER', doc: 'basic-auth user of the dashboard; its password comes only from RERANK_BATCH_DASHBOARD_PASSWORD (required when --host is not loopback)' },
  // every command
  quiet: { concern: 'common', kind: { type: 'boolean' }, doc: 'no progress bar or progress lines (logs and the closing summary stay)' },
  watch: { concern: 'common', kind: { type: 'boolean' }, doc: 'keep showing the progress (a bar on a terminal, else a line per --progress-interval) until the run ends' },
  progressInterval: { concern: 'common', kind: { type: 'duration', min: 100 }, arg: '<duration>', doc: 'without a terminal: how often a progress line (a log record with --log-format json) is written' },
  logFormat: { concern: 'common', kind: { type: 'choice', choices: ['json', 'pretty'] }, arg: '<format>', env: 'LOG_FORMAT', doc: 'logs as JSON lines (for machines) or pretty (for people), on stderr', defaultDoc: 'pretty when stderr is a terminal, else json' },
  logLevel: { concern: 'common', kind: { type: 'choice', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, arg: '<level>', env: 'LOG_LEVEL', doc: 'log level' },
} as const satisfies Record<string, OptionDef>;

export type OptionKey = keyof typeof OPTIONS;

/** The type of an option's values. */
export type OptionValue<K extends OptionKey> = KindValue<(typeof OPTIONS)[K]['kind']>;

/** Each option's kebab-case name: its flag without `--` and its config-file key. */
export function optionName(key: OptionKey): string {
  const def: OptionDef = OPTIONS[key];
  return def.name ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Every default, in one place. Options absent here have no fixed default (see their `defaultDoc`):
 * absent means "not set" (no qrels, no rate limit, all candidates...).
 */
export const DEFAULTS = {
  onBadRow: 'fail',
  onEmptyText: 'reject',
  maxDocumentBytes: DEFAULT_MAX_DOCUMENT_BYTES,
  onLongDocument: 'truncate',
  rejects: 'rejects.jsonl',
  provider: DEFAULT_PROVIDER,
  template: 'auto',
  instruction: CLIENT_DEFAULTS.instruction,
  timeoutMs: CLIENT_DEFAULTS.timeoutMs,
  retries: CLIENT_DEFAULTS.retries,
  minRetryDelayMs: CLIENT_DEFAULTS.minRetryDelayMs,
  maxRetryDelayMs: CLIENT_DEFAULTS.maxRetryDelayMs,
  attempts: DEFAULT_JOB_OPTIONS.attempts,
  prefix: DEFAULT_PREFIX,
  maxPending: 1000,
  cache: true,
  refresh: false,
  runTag: 'rerank-batch',
  relLevel: 1,
  calibrateThresholds: false,
  negatives: 5,
  negativeRanks: '1..100',
  negativeMargin: 0.05,
  positivesTop: 1,
  concurrency: 8,
  workers: true,
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  shutdownGraceMs: 10_000,
  perQuery: false,
  json: false,
  bootstrapSamples: 10_000,
  seed: 42,
  test: 't',
  correction: 'holm',
  permutations: 10_000,
  csv: false,
  rboP: RANKING_DIFF_DEFAULTS.rboP,
  topK: RANKING_DIFF_DEFAULTS.topK,
  mostMoved: RANKING_DIFF_DEFAULTS.mostMoved,
  dialect: DEFAULT_PROVIDER,
  host: SERVER_DEFAULTS.host,
  port: SERVER_DEFAULTS.port,
  latencyMs: SERVER_DEFAULTS.latencyMs,
  rate429: 0,
  rate5xx: 0,
  rateHang: 0,
  rateReset: 0,
  rateMalformed: 0,
  rateMissing: 0,
  retryAfter: SERVER_DEFAULTS.retryAfterSeconds,
  metricsHost: '127.0.0.1',
  tracing: false,
  dashboardUser: 'admin',
  quiet: false,
  watch: false,
  progressInterval: 10_000,
  logLevel: 'info',
} as const satisfies { readonly [K in OptionKey]?: OptionValue<K> };
