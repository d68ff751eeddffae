import { SERVER_DEFAULTS } from '../serve/rerank-server.js';
import type { OptionKey } from './option-table.js';

const INPUT = ['input', 'runFile', 'docs', 'queries', 'depth', 'format', 'columns', 'onBadRow', 'onEmptyText', 'maxDocumentBytes', 'onLongDocument'] as const;
/** What shapes the requests (and so what `estimate` counts). */
const SHAPE = ['provider', 'model', 'template', 'queryTemplate', 'documentTemplate', 'instruction', 'maxDocsPerRequest', 'maxRequestBytes', 'maxTokensPerRequest', 'maxTokensPerDoc', 'passages'] as const;
const REQUEST = ['apiUrl', ...SHAPE, 'rateLimit', 'requestsPerMinute', 'tokensPerMinute', 'timeoutMs', 'retries', 'minRetryDelayMs', 'maxRetryDelayMs', 'attempts'] as const;
const QUEUE = ['runId', 'redis', 'redisTlsCa', 'redisTlsCert', 'redisTlsKey', 'prefix', 'redisOutageTimeout', 'maxPending'] as const;
const OUTPUT = ['out', 'qrels', 'topN', 'runTag', 'relLevel'] as const;
/** Outputs for labelling pipelines, from the scores and the input's rows. */
const LABELLING = ['scored', 'labelThresholds', 'labelTopK', 'calibrateThresholds', 'exportTraining', 'negatives', 'negativeRanks', 'negativeMargin', 'positivesTop', 'reviewSample'] as const;
/** The score cache: the producer looks pairs up (which scores it may use), the collector stores new scores. */
const CACHE = ['cache', 'cacheDir', 'cacheMaxAge', 'refresh'] as const;
const CACHE_STORE = ['cache', 'cacheDir'] as const;
const WORKER = ['concurrency', 'workers', 'lockDurationMs', 'stalledIntervalMs', 'shutdownGraceMs'] as const;
const CONNECTION = ['redis', 'redisTlsCa', 'redisTlsCert', 'redisTlsKey', 'prefix'] as const;
/** Workers wait through any outage unless told otherwise: a fleet outlives its Redis's maintenance. */
const OUTAGE = ['redisOutageTimeout'] as const;
/** Commands a scheduler waits on give up on a Redis outage after ten minutes (workers wait forever). */
const OUTAGE_DEFAULT = { redisOutageTimeout: 600_000 } as const;
/** Logs, on every command. */
const LOG = ['logLevel', 'logFormat'] as const;
/** What a command that waits on a run shows while it runs and when it ends. */
const PROGRESS = ['quiet', 'progressInterval', 'json'] as const;
/** A Prometheus endpoint of the process. */
const METRICS = ['metricsPort', 'metricsHost'] as const;
const SERVER = ['dialect', 'host', 'port', 'latencyMs', 'rate429', 'rate5xx', 'rateHang', 'rateReset', 'rateMalformed', 'rateMissing', 'retryAfter', 'maxRps', 'maxDocuments', 'seed'] as const;

export interface CommandDef {
  description: string;
  /** The options it takes, in `--help` order. */
  options: readonly OptionKey[];
  /** Options without which it cannot start (from any source). */
  required: readonly OptionKey[];
  /** Defaults of this command that differ from DEFAULTS. */
  defaults?: { readonly [K in OptionKey]?: unknown };
  /**
   * For `collect`-like commands: options whose value, when no source sets it, is the one the run was
   * submitted with (before DEFAULTS).
   */
  fromSubmission?: readonly OptionKey[];
}

/** Every command and the options it takes, composed from the concerns it touches. */
export const COMMANDS = {
  run: {
    description: 'rerank a corpus end to end: queue it, score it (workers here and on other machines), write outputs',
    options: [...INPUT, ...REQUEST, ...QUEUE, ...CACHE, ...OUTPUT, ...LABELLING, 'failOnRegression', ...WORKER, ...METRICS, 'tracing', ...PROGRESS, ...LOG],
    required: ['out'],
    defaults: OUTAGE_DEFAULT,
  },
  submit: {
    description: 'read the input and queue the run on Redis, then return; `worker`s score it and `collect` writes it',
    options: [...INPUT, 'rejects', ...REQUEST, ...QUEUE, ...CACHE, 'tracing', ...LOG],
    required: [],
    defaults: OUTAGE_DEFAULT,
  },
  worker: {
    description: 'serve runs from Redis: take batches, call the rerank API (RERANK_API_KEY from the environment), until SIGINT/SIGTERM',
    options: [...CONNECTION, ...OUTAGE, 'runIds', 'concurrency', 'lockDurationMs', 'stalledIntervalMs', 'shutdownGraceMs', ...METRICS, 'tracing', ...LOG],
    required: [],
  },
  collect: {
    description: 'wait for a run to finish and write its outputs to --out (resumable; several collect calls may share one --out one after another)',
    options: ['runId', ...CONNECTION, ...OUTAGE, ...CACHE_STORE, ...OUTPUT, ...LABELLING, 'input', 'failOnRegression', ...WORKER, ...METRICS, 'tracing', ...PROGRESS, ...LOG],
    required: ['runId', 'out'],
    defaults: OUTAGE_DEFAULT,
    fromSubmission: ['qrels', 'topN', 'runTag', 'relLevel', ...LABELLING, 'input', 'cache', 'cacheDir'],
  },
  'retry-failed': {
    description: 'queue the failed batches of a run again, then collect it into --out (merged into the same outputs)',
    options: ['runId', ...CONNECTION, ...OUTAGE, ...CACHE_STORE, ...OUTPUT, ...LABELLING, 'input', 'failOnRegression', ...WORKER, ...METRICS, 'tracing', ...PROGRESS, ...LOG],
    required: ['runId', 'out'],
    defaults: OUTAGE_DEFAULT,
    fromSubmission: ['qrels', 'topN', 'runTag', 'relLevel', ...LABELLING, 'input', 'cache', 'cacheDir'],
  },
  status: {
    description: 'progress of a run: batches done/total, pairs/s, ETA, retries, 429s, failures',
    options: ['runId', ...CONNECTION, 'watch', 'progressInterval', 'json', ...LOG],
    required: ['runId'],
  },
  cancel: {
    description: 'remove a run: its pending jobs and all its Redis state (outputs on disk stay)',
    options: ['runId', ...CONNECTION, ...LOG],
    required: ['runId'],
  },
  estimate: {
    description: 'read the input as `run` would and print what its requests would send and cost (requests, billing units, characters, approximate tokens; the cost with --price; pairs the score cache holds are not sent), without calling the API or Redis',
    options: [...INPUT, ...SHAPE, 'apiUrl', ...CACHE, 'price', 'json', ...LOG],
    required: [],
  },
  serve: {
    description: 'run the built-in local rerank server (BM25 scores, optional fault injection) until SIGINT/SIGTERM; prints its URL',
    options: [...SERVER, ...LOG],
    required: [],
    defaults: { seed: SERVER_DEFAULTS.seed },
  },
  eval: {
    description: 'evaluate a run against qrels exactly as trec_eval 10.0 -c, or compare runs with a baseline (paired tests, multiple-testing correction, effect sizes, wins/ties/losses)',
    options: ['qrels', 'run', 'baseline', 'relLevel', 'measures', 'perQuery', 'perQueryCsv', 'json', 'csv', 'test', 'correction', 'permutations', 'bootstrapSamples', 'seed', 'failOnRegression'],
    required: ['qrels', 'run'],
  },
  diff: {
    description: 'compare two rankings A and B (TREC runs or ranked.jsonl) per query: Kendall tau, rank-biased overlap, top-k overlap, documents only in one; the queries that moved most',
    options: ['rboP', 'topK', 'mostMoved', 'json'],
    required: [],
  },
  dashboard: {
    description: 'serve a web dashboard of the runs on a Redis: Bull Board over their queues (jobs, failures, retries) and a page of runs with their progress',
    options: [...CONNECTION, 'host', 'port', 'dashboardUser', ...LOG],
    required: [],
    defaults: { host: '127.0.0.1', port: 3000 },
  },
  report: {
    description: 'write report.html into --out from the outputs there (metrics, ranking, failures): one self-contained page with plots',
    options: ['out', ...LOG],
    required: ['out'],
  },
  'cache-stats': {
    description: 'the score cache: where it is, its size on disk, scores per model and template, their age, and the hit rate of the runs that used it',
    options: ['cacheDir', 'json', ...LOG],
    required: [],
  },
  'cache-prune': {
    description: 'drop cached scores obtained before a date, older than a duration, or of a model',
    options: ['cacheDir', 'before', 'olderThan', 'pruneModel', 'json', ...LOG],
    required: [],
  },
  'cache-export': {
    description: 'write the score cache to FILE (gzip\'d JSON lines) to move it to another machine',
    options: ['cacheDir', ...LOG],
    required: [],
  },
  'cache-import': {
    description: 'merge FILE (from `cache export`) into the score cache: new scores are added, a newer score replaces an older one',
    options: ['cacheDir', 'json', ...LOG],
    required: [],
  },
} as const satisfies Record<string, CommandDef>;

export type CommandName = keyof typeof COMMANDS;

/** The options of a command. */
export type CommandKey<C extends CommandName> = (typeof COMMANDS)[C]['options'][number];

/** A command's definition, read through the general shape (its optional fields may be absent). */
export function commandDef(name: CommandName): CommandDef {
  return COMMANDS[name];
}
