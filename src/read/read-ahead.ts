import { Worker } from 'node:worker_threads';
import { compiledModule } from '../compiled-module.js';
import { InputError } from '../errors/input-error.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { UsageError } from '../errors/usage-error.js';
import { openPairs } from './open-pairs.js';
import { normalizePairReaderOptions, type PairReaderOptions, type PairReject, type ReaderNotice, type ReadPair } from './reader-options.js';
import { openRunPairs, type RunPairsOptions } from './run-pairs.js';

/** Reader options that can cross to a thread: everything but the callbacks. */
export type PlainReaderOptions = Omit<PairReaderOptions, 'onReject' | 'onNotice'>;

/** What to read, described in data so that a thread can open it: a pairs file, or a TREC run with its texts. */
export type PairSource =
  | { kind: 'pairs'; file: string; options: PlainReaderOptions }
  | { kind: 'run'; options: Omit<RunPairsOptions, 'onReject' | 'onNotice'> };

/** Messages from the thread, in the order the reader produced them. */
export type ReadAheadMessage =
  | { type: 'pairs'; pairs: ReadPair[] }
  | { type: 'reject'; reject: PairReject }
  | { type: 'notice'; notice: ReaderNotice }
  | { type: 'error'; error: SerializedError }
  | { type: 'done' };

/** The main thread's only message: one message was taken, the thread may send another. */
export interface ReadAheadCredit {
  type: 'credit';
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  reason?: string;
  file?: string;
  line?: number;
  field?: string;
  stack?: string;
}

/** Messages (mostly chunks of pairs) the thread may have sent and the main thread not yet taken: bounds the memory between the two. */
export const READ_AHEAD_CHUNKS = 2;
const CREDIT: ReadAheadCredit = { type: 'credit' };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const serialized: SerializedError = { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  if (error instanceof RerankBatchError) serialized.code = error.code;
  if (error instanceof InputError) {
    serialized.reason = error.reason;
    serialized.file = error.file;
    if (error.line !== undefined) serialized.line = error.line;
    if (error.field !== undefined) serialized.field = error.field;
  }
  return serialized;
}

/** The same class, code and message on this side of the thread boundary. */
export function deserializeError(error: SerializedError): Error {
  let rebuilt: Error;
  if (error.name === 'InputError' && error.code !== undefined && error.file !== undefined) {
    const where = { file: error.file, ...(error.line === undefined ? {} : { line: error.line }), ...(error.field === undefined ? {} : { field: error.field }) };
    rebuilt = new InputError(error.code, error.reason ?? error.message, where);
  } else if (error.name === 'UsageError') {
    rebuilt = new UsageError(error.message, error.code);
  } else if (error.code !== undefined) {
    rebuilt = new RerankBatchError(error.code, error.message);
  } else {
    rebuilt = new Error(error.message);
  }
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}

/** Opens a source in the calling thread (what the read-ahead thread runs). */
export function openSource(source: PairSource, callbacks: Pick<PairReaderOptions, 'onReject' | 'onNotice'>): AsyncIterable<ReadPair> {
  return source.kind === 'pairs' ? openPairs(source.file, { ...source.options, ...callbacks }) : openRunPairs({ ...source.options, ...callbacks });
}

/**
 * The pairs of `source`, read, parsed and validated in a worker thread, so that parsing (most of the
 * producer's CPU) runs beside the planning, enqueueing and collecting of the calling thread instead of
 * taking turns with them. Same pairs, same order, same errors (InputError with file, line and field) and
 * the same `onReject`/`onNotice` calls, each delivered in order between the pairs, as `openPairs` or
 * `openRunPairs` in the calling thread. At most READ_AHEAD_CHUNKS chunks of pairs wait between the threads.
 * Options are checked at once (UsageError); stopping the iteration early stops the thread.
 */
export function readAhead(source: PairSource, callbacks: Pick<PairReaderOptions, 'onReject' | 'onNotice'> = {}): AsyncIterable<ReadPair> {
  // Validate the options here, so that a bad option throws now, as openPairs would, not on the first pair.
  openSource(source, {});
  const file = source.kind === 'pairs' ? source.file : source.options.runFile;
  const { onReject, onNotice } = normalizePairReaderOptions(file, { ...(source.kind === 'pairs' ? { format: source.options.format } : { format: 'tsv' }), ...callbacks });
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<ReadPair, void, undefined> {
      const thread = new Worker(compiledModule('./read-ahead-thread.js', import.meta.url), { workerData: source });
      const inbox: ReadAheadMessage[] = [];
      let failure: Error | undefined;
      let exited = false;
      let wake: (() => void) | undefined;
      thread.on('message', (message: ReadAheadMessage) => {
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
          // The inbox holds at most READ_AHEAD_CHUNKS messages (plus the last), so shift() is cheap.
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
            case 'pairs':
              for (const pair of message.pairs) yield pair;
              break;
            case 'reject':
              onReject(message.reject);
              break;
            case 'notice':
              onNotice(message.notice);
              break;
            case 'error':
              throw deserializeError(message.error);
            case 'done':
              return;
          }
        }
      } finally {
        await thread.terminate();
      }
    },
  };
}
