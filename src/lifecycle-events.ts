import { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';

/** How a run (or a collect) ended, before anyone turns it into an exit code. */
export type Outcome = 'complete' | 'failures' | 'interrupted';

/** A run's progress as the run's state in Redis has it: what the progress bar, the progress lines and `status` show. */
export interface RunProgress {
  runId: string;
  /**
   * Pairs collected so far (scored, or from the score cache), and the run's pairs: estimated from how far
   * the input is read (`totalEstimated`) until it is read whole; null when not even that is known.
   */
  pairsDone: number;
  pairsTotal: number | null;
  totalEstimated: boolean;
  batchesDone: number;
  batchesTotal: number | null;
  /** Batches failed for good, waiting for `retry-failed`. */
  failedBatches: number;
  /** Null until something is collected. */
  pairsPerSecond: number | null;
  etaSeconds: number | null;
  apiRequests: number;
  retries: number;
  rateLimited: number;
}

/**
 * What happens in a run's life, as typed events: the CLI logs them, library users and tests subscribe.
 * Log lines of these events carry `event: <name>`, which is what a log reader should match, never the
 * message text.
 */
export interface LifecycleEvents {
  /** The run is registered in Redis and its queue open; `resumed` when it existed before. */
  'run-started': { runId: string; redis: string; apiUrl: string; provider: string; model: string | null; resumed: boolean };
  /** The producer has read the whole input and queued what was not queued or collected already. */
  'input-queued': { runId: string; queries: number; pairs: number; batches: number; enqueued: number; alreadySubmitted: number };
  /**
   * The collector's progress, about every second while someone listens (nothing is read from Redis for it
   * otherwise), and once more when everything is collected. Not logged: the CLI shows it as a bar or lines.
   */
  'run-progress': RunProgress;
  /** The producer stopped before the end of the input (a shutdown, or the run failed). */
  'input-stopped': { runId: string; enqueued: number };
  /** Outputs written; `outcome` says whether every batch was done. */
  'run-finished': {
    runId: string;
    out: string;
    outcome: Outcome;
    queries: number;
    scoredPairs: number;
    failedPairs: number;
    queriesWithoutBaseline?: number;
    /** HTTP requests the run's batches made; of the scored pairs, those from the score cache; the requests that saved. */
    apiRequests: number;
    cacheHits: number;
    requestsSaved: number;
  };
  /** The first SIGINT/SIGTERM (or the library caller's signal): finishing in-flight work. */
  'shutdown-requested': { signal: string };
  /** The grace period ran out: in-flight requests are aborted and their jobs handed back. */
  'shutdown-grace-expired': { graceMs: number };
  /** The Redis connection was lost (logged once; the command waits up to its outage budget). */
  'redis-down': { error: string; budgetMs: number | null };
  /** Still no Redis (every 30 s while it lasts). */
  'redis-still-down': { downMs: number; budgetMs: number | null };
  /** The Redis connection is back after an outage. */
  'redis-back': { downMs: number };
  /** A `worker` process joined a Redis and looks for runs to serve. */
  'worker-started': { redis: string; prefix: string; concurrency: number };
  /** A worker host started serving a run. */
  'worker-serving': { runId: string; concurrency: number; rateLimit: number | null };
  /** A worker host stopped serving a run (it ended, was aborted or cancelled) and released its client. */
  'worker-released': { runId: string };
  /** A worker host closed: batches it scored and failed for good, over all runs. */
  'worker-stopped': { completed: number; failed: number };
}

export type LifecycleEventName = keyof LifecycleEvents;

const MESSAGES: Record<Exclude<LifecycleEventName, 'run-progress'>, string> = {
  'run-started': 'run started',
  'input-queued': 'input read and queued',
  'input-stopped': 'stopped reading the input before its end (a shutdown, or the run failed: see its error); what was queued stays queued',
  'run-finished': 'run finished',
  'shutdown-requested': 'stopping: finishing in-flight requests and writing what is collected (signal again to exit at once)',
  'shutdown-grace-expired': 'in-flight requests did not finish in time: handing their jobs back',
  'redis-down': 'Redis connection lost: waiting for it (the work so far is safe)',
  'redis-still-down': 'still no Redis',
  'redis-back': 'Redis connection back',
  'worker-started': 'worker started',
  'worker-serving': 'serving run',
  'worker-released': 'stopped serving run',
  'worker-stopped': 'worker stopped',
};

/** A typed event emitter of lifecycle events. */
export class Lifecycle extends EventEmitter<{ [K in LifecycleEventName]: [LifecycleEvents[K]] }> {
  /** Log every event through `logger` (info; warn for the ones that say something went short), with `event: name`. */
  logTo(logger: Logger): this {
    for (const name of Object.keys(MESSAGES) as (keyof typeof MESSAGES)[]) {
      this.on(name, (payload: LifecycleEvents[typeof name]) => {
        const warn = name === 'input-stopped' || name === 'redis-down' || name === 'redis-still-down' || name === 'shutdown-requested' || name === 'shutdown-grace-expired' || (name === 'run-finished' && 'outcome' in payload && payload.outcome === 'interrupted');
        const message = name === 'run-finished' && 'outcome' in payload && payload.outcome === 'interrupted' ? 'run interrupted: partial outputs written; run the same command again to resume' : MESSAGES[name];
        logger[warn ? 'warn' : 'info']({ event: name, ...payload }, message);
      });
    }
    return this;
  }
}
