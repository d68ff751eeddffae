import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledModule } from '../compiled-module.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { deserializeError } from '../errors/serialized-error.js';
import type { EvaluateOptions } from './evaluator.js';
import type { RunScores } from './run-scores.js';
import { runEvaluationReplySchema, type RunEvaluationReply, type RunEvaluationRequest, type RunEvaluationWork } from './run-evaluation-messages.js';

/** One evaluated run. */
export interface EvaluatedRun {
  /** Its position in the runs given. */
  index: number;
  scores: RunScores;
  /** Queries of the run not in the qrels (EvaluationResult.ignoredRunQueries). */
  ignoredRunQueries: string[];
}

/** Most threads: each holds the run it reads whole (a TREC run's queries may be interleaved). */
const MAX_THREADS = 4;

/** Threads worth starting for `runs` runs on this machine: one per core, at most 4, at most one per run. */
export function evaluationThreads(runs: number): number {
  return Math.max(1, Math.min(runs, MAX_THREADS, availableParallelism()));
}

/**
 * Evaluates run files against a qrels file on `threads` worker threads (each reads the qrels once, then
 * one run at a time), and yields their scores in the order given, whatever order they finish in. At most
 * 2 x threads runs are evaluated ahead of the one awaited, so memory holds that many runs' scores at
 * most. The threads end when the generator does (finished, thrown or returned early).
 * @throws the first run's error in order (InputError, UsageError: as evaluateRunFile throws them),
 *   RerankBatchError ERR_READ_THREAD when a thread dies.
 */
export async function* evaluateRuns(
  qrels: string,
  runs: readonly { name: string; file: string }[],
  options: EvaluateOptions,
  threads: number = evaluationThreads(runs.length),
): AsyncGenerator<EvaluatedRun> {
  const work: RunEvaluationWork = { qrels, options };
  const workers = Array.from({ length: Math.max(1, Math.min(threads, runs.length)) }, () => new Worker(compiledModule('./run-evaluation-thread.js', import.meta.url), { workerData: work }));
  const idle = [...workers];
  const replies = new Map<number, RunEvaluationReply>();
  let failure: Error | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  for (const worker of workers) {
    worker.on('message', (message: unknown) => {
      const parsed = runEvaluationReplySchema.safeParse(message);
      if (!parsed.success) {
        failure ??= new RerankBatchError('ERR_READ_THREAD', `a thread evaluating runs sent what is no reply: ${parsed.error.message}`);
        wake?.();
        return;
      }
      const reply: RunEvaluationReply = parsed.data;
      replies.set(reply.index, reply);
      idle.push(worker);
      wake?.();
    });
    worker.on('error', (error) => {
      failure ??= error;
      wake?.();
    });
    worker.on('exit', () => {
      if (!stopping) failure ??= new RerankBatchError('ERR_READ_THREAD', 'a thread evaluating runs stopped before it was done');
      wake?.();
    });
  }
  let sent = 0;
  let taken = 0;
  const send = (): void => {
    while (sent < runs.length && sent - taken < 2 * workers.length) {
      const worker = idle.pop();
      const run = runs[sent];
      if (worker === undefined || run === undefined) return;
      const request: RunEvaluationRequest = { index: sent, name: run.name, file: run.file };
      worker.postMessage(request);
      sent++;
    }
  };
  try {
    for (; taken < runs.length; taken++) {
      send();
      let reply = replies.get(taken);
      while (reply === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        send();
        reply = replies.get(taken);
      }
      replies.delete(taken);
      if (reply.type === 'error') throw deserializeError(reply.error);
      yield { index: taken, scores: reply.scores, ignoredRunQueries: reply.ignoredRunQueries };
    }
  } finally {
    stopping = true;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
