import { Worker } from 'node:worker_threads';
import { compiledModule } from '../compiled-module.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { deserializeError, type SerializedError } from '../errors/serialized-error.js';
import type { Logger } from '../logger.js';
import type { PlannerOptions } from '../plan/batch-planner.js';
import { planJobs, sourceFile, type EmptyTextPair, type PairSource, type PlanCallbacks } from '../plan/plan-jobs.js';
import { normalizePairReaderOptions, type PairReject, type ReaderNotice } from '../read/reader-options.js';
import type { ProducerReport } from './producer.js';

/** What the producer thread is given (structured-cloned: data only, no secrets but the Redis URL). */
export interface ProduceAheadWork {
  runId: string;
  source: PairSource;
  planner: PlannerOptions;
  /** Redis URL, password included (it stays inside this process), and the key prefix. */
  redisUrl: string;
  prefix: string;
  maxPending: number;
  attempts: number;
}

/** Messages from the producer thread. */
export type ProduceAheadMessage =
  | { type: 'reject'; reject: PairReject }
  | { type: 'notice'; notice: ReaderNotice }
  | { type: 'empty-text'; pair: EmptyTextPair }
  | { type: 'log'; level: 'info' | 'warn'; fields: Record<string, unknown>; message: string }
  | { type: 'done'; report: ProducerReport }
  | { type: 'error'; error: SerializedError };

/** The calling thread's only message: stop reading (graceful shutdown); what was queued stays queued. */
export interface ProduceAheadStop {
  type: 'stop';
}

/**
 * The whole producer in a worker thread: read and validate the input, plan batches, make job payloads
 * and ids (planJobs), and add them to the run's queue with backpressure (produce), over a Redis connection
 * of its own. Parsing is most of the producer's CPU, and job JSON most of the rest: in a thread they run
 * beside the scoring and collecting of the calling thread instead of taking turns with them, and the
 * texts never reach its heap. Rejects, notices, empty-text pairs and log lines come back through the
 * callbacks and `logger`, in order; errors come back as the same class, code and message (InputError
 * with file, line and field). Options are checked at once (UsageError). Aborting `signal` stops reading
 * after the current bulk and resolves with what was queued.
 */
export function produceAhead(work: ProduceAheadWork, callbacks: PlanCallbacks, logger: Logger, signal?: AbortSignal): Promise<ProducerReport> {
  // Validate the options here, so that a bad option throws now, not from the thread.
  planJobs(work.runId, work.source, work.planner);
  const file = sourceFile(work.source);
  const { onReject, onNotice } = normalizePairReaderOptions(file, {
    format: work.source.kind === 'pairs' ? work.source.options.format : 'tsv',
    ...(callbacks.onReject === undefined ? {} : { onReject: callbacks.onReject }),
    ...(callbacks.onNotice === undefined ? {} : { onNotice: callbacks.onNotice }),
  });
  return new Promise<ProducerReport>((resolve, reject) => {
    const thread = new Worker(compiledModule('./produce-ahead-thread.js', import.meta.url), { workerData: work });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      outcome();
    };
    const stop = (): void => {
      const message: ProduceAheadStop = { type: 'stop' };
      thread.postMessage(message);
    };
    if (signal?.aborted === true) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    thread.on('message', (message: ProduceAheadMessage) => {
      try {
        switch (message.type) {
          case 'reject':
            onReject(message.reject);
            break;
          case 'notice':
            onNotice(message.notice);
            break;
          case 'empty-text':
            callbacks.onEmptyText?.(message.pair);
            break;
          case 'log':
            logger[message.level](message.fields, message.message);
            break;
          case 'done':
            settle(() => resolve(message.report));
            break;
          case 'error':
            settle(() => reject(deserializeError(message.error)));
            break;
        }
      } catch (error) {
        // A callback failed (e.g. the rejects file): stop the thread and report that.
        settle(() => reject(error));
        void thread.terminate();
      }
    });
    thread.on('error', (error) => settle(() => reject(error)));
    thread.on('exit', () => settle(() => reject(new RerankBatchError('ERR_READ_THREAD', `the thread reading ${file} stopped before the end of the input`))));
  });
}
