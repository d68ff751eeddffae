import { z } from 'zod';
import { scoreIdentitySchema } from '../cache/score-key.js';
import { PROMPT_TEMPLATES, QWEN3_FORMAT, RAW_FORMAT, type PromptFormat } from '../rerank/prompt.js';
import { DEFAULT_PROVIDER, PROVIDER_NAMES } from '../rerank/providers/provider-name.js';

export const RUN_CONFIG_VERSION = 1;

/**
 * What every worker needs to serve a run, stored in Redis when the run is submitted so that a worker on
 * another machine serves it the same way. Never holds a secret: each worker reads RERANK_API_KEY itself.
 */
export const runConfigSchema = z.object({
  /** Version of this record; one stored before versions existed is version 1. */
  v: z.literal(RUN_CONFIG_VERSION).default(RUN_CONFIG_VERSION),
  runId: z.string(),
  /**
   * sha256 of each input file by role (qrels aside): a run id names one input, so the same id with
   * another input is refused. Absent in records stored before this check.
   */
  inputs: z.record(z.string(), z.string()).optional(),
  /** Full endpoint URL of the rerank API. */
  apiUrl: z.string().url(),
  /** True when `apiUrl` is the built-in local server that `run` started on loopback. */
  builtinServer: z.boolean(),
  /** The API dialect; records stored before providers existed are the seed API's. */
  provider: z.enum(PROVIDER_NAMES).default(DEFAULT_PROVIDER),
  /** Absent: the request names no model (a server serving one). */
  model: z.string().optional(),
  template: z.enum(PROMPT_TEMPLATES),
  /** The query and document patterns; absent in records stored before custom templates (then: the template's). */
  queryTemplate: z.string().optional(),
  documentTemplate: z.string().optional(),
  instruction: z.string(),
  /** Sent to providers that take a per-document token cap; and the cut of each passage. */
  maxTokensPerDoc: z.number().int().positive().optional(),
  /** `--passages`: documents are split into these windows (the planner counted them the same way). */
  passages: z.object({ length: z.number().int().positive(), stride: z.number().int().positive(), maxBytes: z.number().int().positive().optional() }).optional(),
  /** Per-request timeout, ms. */
  timeoutMs: z.number().int().positive(),
  /** In-process retries of one request (the rerank client's p-retry layer). */
  retries: z.number().int().nonnegative(),
  minRetryDelayMs: z.number().int().nonnegative(),
  maxRetryDelayMs: z.number().int().nonnegative(),
  /** Most API requests per second over all workers of the run (BullMQ's global limiter); none when absent. */
  rateLimit: z.number().positive().optional(),
  /** Most API requests per minute over all workers. */
  requestsPerMinute: z.number().int().positive().optional(),
  /** Most approximate tokens per minute over all workers. */
  tokensPerMinute: z.number().int().positive().optional(),
  /**
   * The score cache, when the run uses one: the identity its keys hash, and which cached scores the
   * producer may use (CachePolicy), fixed when the run starts so that a resumed run plans the same batches.
   */
  cache: z
    .object({
      identity: scoreIdentitySchema,
      asOf: z.number(),
      maxAgeMs: z.number().nonnegative().optional(),
      refresh: z.boolean(),
    })
    .optional(),
});

export type RunConfig = z.output<typeof runConfigSchema>;

/** The prompt format a run's requests use. */
export function promptFormatOf(config: RunConfig): PromptFormat {
  const base = config.template === 'qwen3' ? QWEN3_FORMAT : RAW_FORMAT;
  return { name: config.template, query: config.queryTemplate ?? base.query, document: config.documentTemplate ?? base.document };
}
