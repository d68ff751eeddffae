import { z } from 'zod';

export const RUN_CONFIG_VERSION = 1;

/**
 * What every worker needs to serve a run, stored in Redis when the run is submitted so that a worker on
 * another machine serves it the same way. Never holds a secret: each worker reads RERANK_API_KEY itself.
 */
export const runConfigSchema = z.object({
  /** Version of this record; one stored before versions existed is version 1. */
  v: z.literal(RUN_CONFIG_VERSION).default(RUN_CONFIG_VERSION),
  runId: z.string(),
  /** Full endpoint URL of the rerank API. */
  apiUrl: z.string().url(),
  /** True when `apiUrl` is the built-in local server that `run` started on loopback. */
  builtinServer: z.boolean(),
  model: z.string(),
  template: z.enum(['qwen3', 'none']),
  instruction: z.string(),
  /** Per-request timeout, ms. */
  timeoutMs: z.number().int().positive(),
  /** In-process retries of one request (the rerank client's p-retry layer). */
  retries: z.number().int().nonnegative(),
  minRetryDelayMs: z.number().int().nonnegative(),
  maxRetryDelayMs: z.number().int().nonnegative(),
  /** Most API requests per second over all workers of the run (BullMQ's global limiter); none when absent. */
  rateLimit: z.number().positive().optional(),
});

export type RunConfig = z.output<typeof runConfigSchema>;
