import { SERVER_DEFAULTS } from '../serve/rerank-server.js';
import type { OptionKey } from './option-table.js';

const INPUT = ['input', 'runFile', 'docs', 'queries', 'depth', 'format', 'columns', 'onBadRow', 'onEmptyText', 'maxDocumentBytes', 'onLongDocument'] as const;
/** What shapes the requests (and so what `estimate` counts). */
const SHAPE = ['provider', 'model', 'template', 'queryTemplate', 'documentTemplate', 'instruction', 'maxDocsPerRequest', 'maxRequestBytes', 'maxTokensPerRequest', 'maxTokensPerDoc', 'passages'] as const;
const REQUEST = ['apiUrl', ...SHAPE, 'rateLimit', 'requestsPerMinute', 'tokensPerMinute', 'timeoutMs', 'retries', 'minRetryDelayMs', 'maxRetryDelayMs', 'attempts'] as const;
const QUEUE = ['runId', 'redis', 'redisTlsCa', 'redisTlsCert', 'redisTlsKey', 'prefix', 'redisOutageTimeout', 'maxPending'] as const;
const OUTPUT = ['out', 'qrels', 'topN', 'runTag', 'relLevel'] as const;
const WORKER = ['concurrency', 'workers', 'lockDurationMs', 'stalledIntervalMs', 'shutdownGraceMs'] as const;
const CONNECTION = ['redis', 'redisTlsCa', 'redisTlsCert', 'redisTlsKey', 'prefix'] as const;
/** Workers wait through any outage unless told otherwise: a fleet outlives its Redis's maintenance. */
const OUTAGE = ['redisOutageTimeout'] as const;
/** Commands a scheduler waits on give up on a Redis outage after ten minutes (workers wait forever). */
const OUTAGE_DEFAULT = { redisOutageTimeout: 600_000 } as const;
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
    options: [...INPUT, ...REQUEST, ...QUEUE, ...OUTPUT, ...WORKER, 'logLevel'],
    required: ['out'],
    defaults: OUTAGE_DEFAULT,
  },
  submit: {
    description: 'read the input and queue the run on Redis, then return; `worker`s score it and `collect` writes it',
    options: [...INPUT, 'rejects', ...REQUEST, ...QUEUE, 'logLevel'],
    required: [],
    defaults: OUTAGE_DEFAULT,
  },
  worker: {
    description: 'serve runs from Redis: take batches, call the rerank API (RERANK_API_KEY from the environment), until SIGINT/SIGTERM',
    options: [...CONNECTION, ...OUTAGE, 'runIds', 'concurrency', 'lockDurationMs', 'stalledIntervalMs', 'shutdownGraceMs', 'logLevel'],
    required: [],
  },
  collect: {
    description: 'wait for a run to finish and write its outputs to --out (resumable; several collect calls may share one --out one after another)',
    options: ['runId', ...CONNECTION, ...OUTAGE, ...OUTPUT, ...WORKER, 'logLevel'],
    required: ['runId', 'out'],
    defaults: OUTAGE_DEFAULT,
    fromSubmission: ['qrels', 'topN', 'runTag', 'relLevel'],
  },
  'retry-failed': {
    description: 'queue the failed batches of a run again, then collect it into --out (merged into the same outputs)',
    options: ['runId', ...CONNECTION, ...OUTAGE, ...OUTPUT, ...WORKER, 'logLevel'],
    required: ['runId', 'out'],
    defaults: OUTAGE_DEFAULT,
    fromSubmission: ['qrels', 'topN', 'runTag', 'relLevel'],
  },
  status: {
    description: 'progress of a run: batches done/total, pairs/s, ETA, retries, 429s, failures',
    options: ['runId', ...CONNECTION, 'json', 'logLevel'],
    required: ['runId'],
  },
  cancel: {
    description: 'remove a run: its pending jobs and all its Redis state (outputs on disk stay)',
    options: ['runId', ...CONNECTION, 'logLevel'],
    required: ['runId'],
  },
  estimate: {
    description: 'read the input as `run` would and print what its requests would send and cost (requests, billing units, characters, approximate tokens; the cost with --price), without calling the API or Redis',
    options: [...INPUT, ...SHAPE, 'price', 'json', 'logLevel'],
    required: [],
  },
  serve: {
    description: 'run the built-in local rerank server (BM25 scores, optional fault injection) until SIGINT/SIGTERM; prints its URL',
    options: [...SERVER, 'logLevel'],
    required: [],
    defaults: { seed: SERVER_DEFAULTS.seed },
  },
  eval: {
    description: 'evaluate a run against qrels exactly as trec_eval 10.0 -c, or compare two runs (paired t-test, bootstrap CI)',
    options: ['qrels', 'run', 'relLevel', 'measures', 'perQuery', 'json', 'bootstrapSamples', 'seed'],
    required: ['qrels', 'run'],
  },
} as const satisfies Record<string, CommandDef>;

export type CommandName = keyof typeof COMMANDS;

/** The options of a command. */
export type CommandKey<C extends CommandName> = (typeof COMMANDS)[C]['options'][number];

/** A command's definition, read through the general shape (its optional fields may be absent). */
export function commandDef(name: CommandName): CommandDef {
  return COMMANDS[name];
}
