import type { RerankQueue } from '../../jobs/rerank-queue.js';
import type { RunProgress } from '../lifecycle-events.js';
import type { RunState, RunStore } from '../state/run-store.js';

/** What `status` reports about a run. */
export interface RunStatusReport {
  runId: string;
  status: RunState['status'];
  abortReason: string | null;
  provider: string;
  /** Null: the requests name no model (the server serves one). */
  model: string | null;
  apiUrl: string;
  /** Null until the producer has read the whole input. */
  queries: number | null;
  pairs: number | null;
  /**
   * Until then, the pairs the input holds as estimated from how far the producer has read it (pairs read
   * over the share of the file's bytes); null once `pairs` is known, or for a `--run-file` input.
   */
  pairsEstimate: number | null;
  batches: { total: number | null; collected: number; waiting: number; active: number; delayed: number; failed: number; finishedNotCollected: number };
  pairsCollected: number;
  pairsPerSecond: number | null;
  etaSeconds: number | null;
  apiRequests: number;
  retries: number;
  rateLimited: number;
}

/** What `runStatus` reads: the run's queue, its Redis state and the state as read once. */
export interface RunStatusSource {
  runId: string;
  queue: RerankQueue;
  store: RunStore;
  state: RunState;
}

export async function runStatus(handle: RunStatusSource): Promise<RunStatusReport> {
  const { state } = handle;
  const counts = await handle.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'failed', 'completed');
  const stats = await handle.store.collectedStats(handle.runId);
  const elapsed = stats.firstCollectedAt === undefined ? 0 : (Date.now() - stats.firstCollectedAt) / 1000;
  const pairsPerSecond = elapsed > 0 ? stats.pairs / elapsed : null;
  const total = state.totals?.pairs ?? null;
  const reading = state.reading;
  // The file is read ahead of the parser (by a few read buffers), so the estimate is low on a small input:
  // never below what is known to be there.
  const estimate = total === null && reading !== undefined && reading.fraction > 0 ? Math.max(reading.pairs, stats.pairs, Math.round(reading.pairs / reading.fraction)) : null;
  const expected = total ?? estimate;
  const remaining = expected === null ? null : Math.max(0, expected - stats.pairs);
  return {
    runId: handle.runId,
    status: state.status,
    abortReason: state.abortReason ?? null,
    provider: state.config.provider,
    model: state.config.model ?? null,
    apiUrl: state.config.apiUrl,
    queries: state.totals?.queries ?? null,
    pairs: total,
    pairsEstimate: estimate,
    batches: {
      total: state.totals?.batches ?? null,
      collected: stats.batches,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      finishedNotCollected: counts.completed ?? 0,
    },
    pairsCollected: stats.pairs,
    pairsPerSecond,
    etaSeconds: remaining === null || pairsPerSecond === null || pairsPerSecond === 0 ? null : remaining / pairsPerSecond,
    apiRequests: stats.requests,
    retries: Math.max(0, stats.requests - stats.batches),
    rateLimited: stats.rateLimited,
  };
}

/** The progress part of a report, as the `run-progress` event carries it. */
export function progressOf(r: RunStatusReport): RunProgress {
  return {
    runId: r.runId,
    pairsDone: r.pairsCollected,
    pairsTotal: r.pairs ?? r.pairsEstimate,
    totalEstimated: r.pairs === null && r.pairsEstimate !== null,
    batchesDone: r.batches.collected,
    batchesTotal: r.batches.total,
    failedBatches: r.batches.failed,
    pairsPerSecond: r.pairsPerSecond,
    etaSeconds: r.etaSeconds,
    apiRequests: r.apiRequests,
    retries: r.retries,
    rateLimited: r.rateLimited,
  };
}

/** The report as a few lines for a person. */
export function formatRunStatus(r: RunStatusReport): string {
  const n = (v: number | null): string => (v === null ? '?' : String(v));
  const lines = [
    `run ${r.runId}: ${r.status}${r.abortReason === null ? '' : ` (${r.abortReason})`}`,
    `  ${r.provider} model ${r.model ?? '(the server\'s)'} at ${r.apiUrl}`,
    `  queries ${n(r.queries)}, pairs ${r.pairs === null && r.pairsEstimate !== null ? `~${r.pairsEstimate} (estimated; the input is still being read)` : n(r.pairs)} (${r.pairsCollected} collected)`,
    `  batches ${r.batches.collected}/${n(r.batches.total)} collected; waiting ${r.batches.waiting}, active ${r.batches.active}, delayed (retry) ${r.batches.delayed}, failed ${r.batches.failed}, finished not yet collected ${r.batches.finishedNotCollected}`,
    `  ${r.pairsPerSecond === null ? '? pairs/s' : `${r.pairsPerSecond.toFixed(1)} pairs/s`}, ETA ${r.etaSeconds === null ? '?' : `${Math.ceil(r.etaSeconds)} s`}`,
    `  API requests ${r.apiRequests}, retries ${r.retries}, 429s ${r.rateLimited}`,
  ];
  return `${lines.join('\n')}\n`;
}
