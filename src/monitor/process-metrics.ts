import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestRecord } from '../rerank/client-options.js';

/** The queue states whose job counts `rerank_batch_queue_jobs` shows (`waiting` includes a paused queue's waiting jobs). */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

type QueueState = (typeof QUEUE_STATES)[number];

/** What the queue depth needs of a run's queue: BullMQ's `Queue.getJobCounts`. */
export interface QueueCounts {
  getJobCounts(...types: QueueState[]): Promise<Record<string, number>>;
}

/** Longest a scrape waits for a queue's counts (a Redis outage would hold the scrape forever). */
const QUEUE_COUNTS_TIMEOUT_MS = 2_000;

/** Seconds; the request timeout defaults to 60 s. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

/**
 * The Prometheus metrics of one process, in a registry of its own (never prom-client's global one, so a
 * process may hold several). Labels are the run id and small closed sets (status code, state, reason):
 * never texts, ids of batches or keys. Recording is prom-client arithmetic only; the queue depth is read
 * from Redis at scrape time, from the queues given to `watchQueue`.
 */
export class ProcessMetrics {
  readonly registry = new Registry();

  readonly #requests: Counter<'run_id' | 'status'>;
  readonly #latency: Histogram<'run_id'>;
  readonly #retries: Counter<'run_id' | 'layer'>;
  readonly #pauses: Counter<'run_id' | 'reason'>;
  readonly #pausedSeconds: Counter<'run_id' | 'reason'>;
  readonly #pairs: Counter<'run_id'>;
  readonly #batches: Counter<'run_id' | 'outcome'>;
  readonly #inFlight: Gauge<'run_id'>;
  /** The queues of each run this process knows; a run's depth is read from the first. */
  readonly #queues = new Map<string, Set<QueueCounts>>();
  /** Until when this process has paused each (run, reason), ms since the epoch: overlapping pauses count once. */
  readonly #pausedUntil = new Map<string, number>();

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'rerank_batch_api_requests_total', help: 'HTTP requests to the rerank API, by status (network, timeout, aborted: no answer)', labelNames: ['run_id', 'status'], registers });
    this.#latency = new Histogram({ name: 'rerank_batch_api_request_duration_seconds', help: 'Duration of one HTTP request to the rerank API, answer read, in seconds', labelNames: ['run_id'], buckets: LATENCY_BUCKETS, registers });
    this.#retries = new Counter({ name: 'rerank_batch_retries_total', help: 'Retries: in-process retries of a request (layer=request), BullMQ attempts of a batch beyond its first (layer=job)', labelNames: ['run_id', 'layer'], registers });
    this.#pauses = new Counter({ name: 'rerank_batch_rate_limit_pauses_total', help: "Pauses of the run's queue for every worker: a 429 answer (reason=rate_limited) or the token budget spent (reason=token_budget)", labelNames: ['run_id', 'reason'], registers });
    this.#pausedSeconds = new Counter({ name: 'rerank_batch_rate_limit_paused_seconds_total', help: "Time this process paused the run's queue for, in seconds (overlapping pauses counted once)", labelNames: ['run_id', 'reason'], registers });
    this.#pairs = new Counter({ name: 'rerank_batch_pairs_scored_total', help: 'Pairs scored through the rerank API in this process', labelNames: ['run_id'], registers });
    this.#batches = new Counter({ name: 'rerank_batch_batches_total', help: 'Batches (jobs) this process completed, or failed for good', labelNames: ['run_id', 'outcome'], registers });
    this.#inFlight = new Gauge({ name: 'rerank_batch_batches_in_flight', help: 'Batches whose API requests are under way in this process', labelNames: ['run_id'], registers });
    const queues = this.#queues;
    new Gauge({
      name: 'rerank_batch_queue_jobs',
      help: "Jobs in the run's queue by state, read from Redis at scrape time (the queues this process has open)",
      labelNames: ['run_id', 'state'],
      registers,
      async collect() {
        this.reset();
        const runs = [...queues].flatMap(([runId, sources]) => {
          const first = sources.values().next();
          return first.done === true ? [] : [{ runId, counts: within(first.value.getJobCounts(...QUEUE_STATES), QUEUE_COUNTS_TIMEOUT_MS) }];
        });
        for (const { runId, counts } of runs) {
          const got = await counts;
          if (got === undefined) continue;
          for (const state of QUEUE_STATES) this.set({ run_id: runId, state }, (got[state] ?? 0) + (state === 'waiting' ? (got.paused ?? 0) : 0));
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  request(runId: string, request: RequestRecord): void {
    this.#requests.inc({ run_id: runId, status: String(request.status) });
    this.#latency.observe({ run_id: runId }, request.durationMs / 1000);
  }

  retry(runId: string, layer: 'request' | 'job'): void {
    this.#retries.inc({ run_id: runId, layer });
  }

  paused(runId: string, reason: 'rate_limited' | 'token_budget', waitMs: number): void {
    this.#pauses.inc({ run_id: runId, reason });
    const key = `${runId}\n${reason}`;
    const now = Date.now();
    const until = now + waitMs;
    const added = until - Math.max(now, this.#pausedUntil.get(key) ?? 0);
    if (added <= 0) return;
    this.#pausedSeconds.inc({ run_id: runId, reason }, added / 1000);
    this.#pausedUntil.set(key, until);
  }

  inFlight(runId: string, delta: 1 | -1): void {
    this.#inFlight.inc({ run_id: runId }, delta);
  }

  scored(runId: string, pairs: number): void {
    this.#pairs.inc({ run_id: runId }, pairs);
  }

  batchDone(runId: string, outcome: 'completed' | 'failed'): void {
    this.#batches.inc({ run_id: runId, outcome });
  }

  /** Show the depth of `runId`'s queue from `queue` until the returned function is called. */
  watchQueue(runId: string, queue: QueueCounts): () => void {
    let sources = this.#queues.get(runId);
    if (sources === undefined) {
      sources = new Set();
      this.#queues.set(runId, sources);
    }
    sources.add(queue);
    return () => {
      sources.delete(queue);
      if (sources.size === 0 && this.#queues.get(runId) === sources) this.#queues.delete(runId);
    };
  }

  /**
   * Drop every series of a run: a long-lived worker serves run after run, and would otherwise export
   * each one's series until it restarts.
   */
  async forgetRun(runId: string): Promise<void> {
    for (const metric of [this.#requests, this.#retries, this.#pauses, this.#pausedSeconds, this.#pairs, this.#batches, this.#inFlight]) {
      for (const { labels } of (await metric.get()).values) if (labels.run_id === runId) metric.remove(labels);
    }
    this.#latency.remove({ run_id: runId });
    for (const key of this.#pausedUntil.keys()) if (key.startsWith(`${runId}\n`)) this.#pausedUntil.delete(key);
  }
}
