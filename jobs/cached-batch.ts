import { createHash } from 'node:crypto';
import { z } from 'zod';
import { JOB_CONTRACT_VERSION } from './contract-version.js';

/**
 * Candidates of one query whose scores came from the score cache: the producer never queues them as jobs;
 * it hands them to the collector through the run's list of cached batches, and the collector spools them
 * like a scored batch that made no request. Ids and scores only, no texts.
 */
export const cachedBatchSchema = z.object({
  v: z.literal(JOB_CONTRACT_VERSION),
  /** Deterministic (cachedBatchId): a batch handed over twice (a resumed producer) is spooled once. */
  id: z.string().regex(/^c-[0-9a-f]{40}$/),
  queryId: z.string().min(1),
  query: z.string(),
  /** [doc id, score, first-stage score or null, first-stage rank or null, [passages, best] or null]. */
  items: z
    .array(z.tuple([z.string().min(1), z.number().finite(), z.number().nullable(), z.number().nullable(), z.tuple([z.number().int().positive(), z.number().int().nonnegative()]).nullable()]))
    .min(1),
});

export type CachedBatch = z.infer<typeof cachedBatchSchema>;

/** The id of a cached batch from run, query and content, like rerankJobId (and never equal to one: `c-`, not `b-`). */
export function cachedBatchId(runId: string, batch: Omit<CachedBatch, 'v' | 'id'>): string {
  const text = JSON.stringify([runId, batch.queryId, batch.query, batch.items]);
  return `c-${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}
