import type { RequestRecord } from '../src/rerank/client-options.js';

/**
 * What a worker host tells about its work, for metrics (src/monitor's ProcessMetrics implements it).
 * Every call is on the hot path: an implementation must not touch Redis or the network.
 */
export interface WorkerObserver {
  /** An HTTP request of run `runId` ended. */
  request(runId: string, request: RequestRecord): void;
  /** A retry: an in-process retry of a request (`request`), or a BullMQ attempt of a batch beyond its first (`job`). */
  retry(runId: string, layer: 'request' | 'job'): void;
  /** This process paused the run's queue for `waitMs`: a 429 answer, or the run's token budget spent. */
  paused(runId: string, reason: 'rate_limited' | 'token_budget', waitMs: number): void;
  /** A batch's API work started (+1) or ended (-1) in this process. */
  inFlight(runId: string, delta: 1 | -1): void;
  /** A batch's pairs got their scores from the API. */
  scored(runId: string, pairs: number): void;
  /** A batch completed, or failed for good (no attempt left, or a permanent error). */
  batchDone(runId: string, outcome: 'completed' | 'failed'): void;
}
