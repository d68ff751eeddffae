/** Options of a worker process (the `worker` command, and the in-process workers of `run`); defaults in src/options. */
export interface WorkerHostOptions {
  /** Key prefix of the queues. */
  prefix: string;
  /** Jobs (API requests) in flight at once per run, in this process. */
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
   * another worker may take them.
   */
  lockDurationMs: number;
  /** How often BullMQ looks for jobs whose lock expired (stalled), ms. */
  stalledIntervalMs: number;
  /** Times a job may stall (its worker died) before it fails. Default 3. */
  maxStalledCount?: number;
}

export const DEFAULT_MAX_STALLED_COUNT = 3;
