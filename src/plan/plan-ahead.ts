import { Worker } from 'node:worker_threads';
import { compiledModule } from '../compiled-module.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { deserializeError, type SerializedError } from '../errors/serialized-error.js';
import { openPairs } from '../read/open-pairs.js';
import { normalizePairReaderOptions, type PairReaderOptions, type PairReject, type ReaderNotice, type ReadPair } from '../read/reader-options.js';
import { openRunPairs, type RunPairsOptions } from '../read/run-pairs.js';
import type { ProducerTotals, ShapingTotals } from '../interfaces.js';
import type { RerankJobPayload } from '../../jobs/rerank-job.js';
import type { CachedBatch } from '../../jobs/cached-batch.js';
import type { CachePolicy } from '../cache/score-cache.js';
import type { ScoreIdentity } from '../cache/score-key.js';
import type { PlannerOptions } from './batch-planner.js';

/** Reader options that can cross to a thread: everything but the callbacks. */
export type PlainReaderOptions = Omit<PairReaderOptions, 'onReject' | 'onNotice'>;

/** What to read, described in data so that a thread can open it: a pairs file, or a TREC run with its texts. */
export type PairSource =
  | { kind: 'pairs'; file: string; options: PlainReaderOptions }
  | { kind: 'run'; options: Omit<RunPairsOptions, 'onReject' | 'onNotice'> };

/** A pair kept with an empty text (`onEmptyText: 'score-lowest'`): it is never sent, and is listed. */
export interface EmptyTextPair {
  line: number;
  queryId: string;
  docId: string;
  field: 'query' | 'document';
}

export interface PlanAheadCallbacks {
  onReject?: (reject: PairReject) => void;
  onNotice?: (notice: ReaderNotice) => void;
  onEmptyText?: (pair: EmptyTextPair) => void;
}

/** A planned batch as the job that carries it: its payload and its deterministic id (rerankJobId). */
export interface PlannedJob {
  id: string;
  data: RerankJobPayload;
}

/** A planned batch of cached scores, for the collector (cachedBatchId). */
export interface PlannedCached {
  id: string;
  cached: CachedBatch;
}

export type PlannedItem = PlannedJob | PlannedCached;

/** The score cache the planner looks pairs up in: where it is, the run's identity, which scores are usable. */
export interface PlanCacheSettings {
  dir: string;
  identity: ScoreIdentity;
  policy: CachePolicy;
}

/** What the thread is given. */
export interface PlanAheadWork {
  runId: string;
  source: PairSource;
  planner: PlannerOptions;
  cache?: PlanCacheSettings | undefined;
}

/** How far the reading of a pairs file is: pairs read, and the share of the file's bytes they took. */
export interface InputRead {
  pairs: number;
  /** 0..1 of the file's bytes (compressed ones for a .gz). */
  fraction: number;
}

/** Messages from the thread, in the order the reader and the planner produced them. */
export type PlanAheadMessage =
  | { type: 'jobs'; jobs: PlannedItem[]; read?: InputRead }
  | { type: 'reject'; reject: PairReject }
  | { type: 'notice'; notice: ReaderNotice }
  | { type: 'empty-text'; pair: EmptyTextPair }
  | { type: 'error'; error: SerializedError }
  | { type: 'done'; totals: ProducerTotals & ShapingTotals };

/** The main thread's only message: one message was taken, the thread may send another. */
export interface PlanAheadCredit {
  type: 'credit';
}

/**
 * Messages (mostly chunks of jobs) the thread may have sent and the main thread not yet taken: bounds the
 * memory between the two (at most 8 chunks of 2^18 UTF-16 units of text, ~4 MB). It must cover a whole
 * producer bulk (50 jobs; 8 chunks hold 64): the producer takes a bulk, then waits for Redis to add it,
 * and the thread reads on meanwhile. With 2 (16 jobs) the thread, the run's critical path, stood idle
 * 1.0-2.0 s of a 200,000-pair run waiting for credit.
 */
export const PLAN_AHEAD_MESSAGES = 8;
const CREDIT: PlanAheadCredit = { type: 'credit' };

/** Opens a source in the calling thread (what the planning thread runs). */
export function openSource(source: PairSource, callbacks: Pick<PairReaderOptions, 'onReject' | 'onNotice' | 'onBytesRead'>): AsyncIterable<ReadPair> {
  if (source.kind === 'pairs') return openPairs(source.file, { ...source.options, ...callbacks });
  // A run file's pairs follow its lines, but its documents come from elsewhere: no byte progress.
  const { onBytesRead: _unused, ...runCallbacks } = callbacks;
  return openRunPairs({ ...source.options, ...runCallbacks });
}

/** The file errors are reported against. */
export function sourceFile(source: PairSource): string {
  return source.kind === 'pairs' ? source.file : source.options.runFile;
}

/** The jobs (and cached batches) of an input, and its totals once every one has been taken. */
export interface PlannedInput extends AsyncIterable<PlannedItem> {
  /** Queries, pairs and batches of the whole input; undefined until the last job has been taken. */
  readonly totals: (ProducerTotals & ShapingTotals) | undefined;
  /** How far the reading is, as of the last job taken; undefined before, or for a `--run-file` input. */
  readonly read?: InputRead | undefined;
}

/**
 * The jobs of run `runId` for `source`: read, parsed, validated, planned into batches (BatchPlanner) and
 * made into job payloads with their ids (pairs the score cache holds, into cached batches), in a worker thread. Parsing is most of the producer's CPU: this
 * way it runs beside the enqueueing and collecting of the calling thread instead of taking turns with
 * them, and the pairs never reach the calling thread's heap. Same batches in the same order, same errors
 * (InputError with file, line and field), and the same `onReject`/`onNotice` calls, delivered in order
 * between the jobs, as reading and planning in the calling thread. At most PLAN_AHEAD_MESSAGES messages
 * wait between the threads. Options are checked at once (UsageError); stopping the iteration early stops
 * the thread.
 */
export function planAhead(runId: string, source: PairSource, planner: PlannerOptions, callbacks: PlanAheadCallbacks = {}, cache?: PlanCacheSettings): PlannedInput {
  // Validate the options here, so that a bad option throws now, as openPairs would, not on the first job.
  openSource(source, {});
  const file = sourceFile(source);
  const { onReject, onNotice } = normalizePairReaderOptions(file, {
    format: source.kind === 'pairs' ? source.options.format : 'tsv',
    ...(callbacks.onReject === undefined ? {} : { onReject: callbacks.onReject }),
    ...(callbacks.onNotice === undefined ? {} : { onNotice: callbacks.onNotice }),
  });
  let totals: (ProducerTotals & ShapingTotals) | undefined;
  let read: InputRead | undefined;
  const work: PlanAheadWork = { runId, source, planner, cache };
  return {
    get totals() {
      return totals;
    },
    get read() {
      return read;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<PlannedItem, void, undefined> {
      const thread = new Worker(compiledModule('./plan-ahead-thread.js', import.meta.url), { workerData: work });
      const inbox: PlanAheadMessage[] = [];
      let failure: Error | undefined;
      let exited = false;
      let wake: (() => void) | undefined;
      thread.on('message', (message: PlanAheadMessage) => {
        inbox.push(message);
        wake?.();
      });
      thread.on('error', (error) => {
        failure ??= error;
        wake?.();
      });
      thread.on('exit', () => {
        exited = true;
        wake?.();
      });
      try {
        for (;;) {
          // The inbox holds a few messages at most (see PLAN_AHEAD_MESSAGES), so shift() is cheap.
          const message = inbox.shift();
          if (message === undefined) {
            if (failure !== undefined) throw failure;
            if (exited) throw new RerankBatchError('ERR_READ_THREAD', `the thread reading ${file} stopped before the end of the input`);
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          if (message.type !== 'done' && message.type !== 'error') thread.postMessage(CREDIT);
          switch (message.type) {
            case 'jobs':
              if (message.read !== undefined) read = message.read;
              for (const job of message.jobs) yield job;
              break;
            case 'reject':
              onReject(message.reject);
              break;
            case 'notice':
              onNotice(message.notice);
              break;
            case 'empty-text':
              callbacks.onEmptyText?.(message.pair);
              break;
            case 'error':
              throw deserializeError(message.error);
            case 'done':
              totals = message.totals;
              return;
          }
        }
      } finally {
        await thread.terminate();
      }
    },
  };
}
