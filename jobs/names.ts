/**
 * Names shared by producer, workers and collector. Each run has a queue of its own, so that a worker on
 * another machine can discover it, `cancel` can drop it whole, and the collector drains only its run.
 */

/** Name of every BullMQ job that reranks one batch. */
export const RERANK_JOB_NAME = 'rerank';

/**
 * Default key prefix. The braces are a Redis Cluster hash tag: every key of every queue hashes to one
 * slot, which BullMQ's multi-key Lua scripts need on a cluster.
 */
export const DEFAULT_PREFIX = '{rerank-batch}';

/** The BullMQ queue that holds the batches of one run. */
export function runQueueName(runId: string): string {
  return `run-${runId}`;
}

/** Run ids travel in queue names and file names: keep them to a safe alphabet. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
