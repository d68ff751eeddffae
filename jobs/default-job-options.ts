import type { JobsOptions } from 'bullmq';

/**
 * Default BullMQ options of a rerank job. This is the outer retry layer: the rerank client already
 * retries in-process (p-retry), and a job that still fails is tried again later by BullMQ.
 */
export const DEFAULT_JOB_OPTIONS = {
  /** Attempts per job, the first included. */
  attempts: 5,
  /** Exponential backoff from 5 s, with jitter so that many failed jobs do not return together. */
  backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 },
  /** Finished jobs stay until the collector has spooled them; it then removes them. */
  removeOnComplete: false,
  /** Failed jobs stay so that `retry-failed` can queue them again. */
  removeOnFail: false,
} satisfies JobsOptions;

/**
 * Most entries of a run queue's BullMQ event stream (QueueEvents, dashboards). BullMQ keeps 10,000 by
 * default, and every "completed" event carries the job's result: ~25 MB of Redis per run at 50
 * candidates a batch. Nothing in rerank-batch reads the stream; 1,000 recent events still serve a
 * dashboard watching the run live.
 */
export const EVENTS_MAX_LEN = 1_000;
