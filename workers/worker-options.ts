/** Options of a worker process (the `worker` command, and the in-process workers of `run`). */
export interface WorkerHostOptions {
  /** Key prefix of the queues. Default DEFAULT_PREFIX ("{rerank-batch}"). */
  prefix: string;
  /** Jobs (API requests) in flight at once per run, in this process. Default 8. */
  concurrency: number;
  /**
   * Serve only these runs. Default: every active run on the Redis (the `worker` command), discovered
   * every `discoverIntervalMs`.
   */
  runIds?: string[];
  /** How often to look for new runs, ms. Default 2000. */
  discoverIntervalMs?: number;
  /**
   * BullMQ lock duration, ms. A worker renews its locks every half of this while a request runs, so it
   * need not exceed the request timeout; it bounds how long a killed worker's jobs stay locked before
   * another worker may take them. Default 30000.
   */
  lockDurationMs?: number;
  /** How often BullMQ looks for jobs whose lock expired (stalled), ms. Default 15000. */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it fails. Default 3. */
  maxStalledCount?: number;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_STALLED_INTERVAL_MS = 15_000;
export const DEFAULT_MAX_STALLED_COUNT = 3;
