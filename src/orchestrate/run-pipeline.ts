import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerHost } from '../../workers/worker-host.js';
import { collectRun, type CollectReport } from './collect-run.js';
import { submitInput, type SubmitReport } from './submit-input.js';
import { InputError } from '../errors/input-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { Logger } from '../logger.js';
import { openSubmittedRun } from './open-run.js';
import { normalizeRunOptions, type RunOptions } from '../options/run-options.js';

export interface RunReport extends CollectReport {
  runId: string;
  outDir: string;
  producer: SubmitReport;
}

/**
 * The whole pipeline in one process: read and enqueue (producer), score (in-process workers, plus any
 * `worker` processes on other machines), collect, then write outputs, metrics and the manifest.
 * Running it again with the same input and options resumes the same run and redoes nothing.
 *
 * `signal` is graceful shutdown: stop reading, stop taking jobs, give in-flight requests
 * `shutdownGraceMs` to finish (then hand their jobs back), write what is collected, return 130.
 */
export async function runPipeline(input: RunOptions, logger: Logger, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<RunReport> {
  const options = normalizeRunOptions(input, env);
  if (options.out === '') throw new UsageError('--out is required');
  await mkdir(options.out, { recursive: true });
  const handle = await openSubmittedRun(options, logger, env, { allowBuiltinServer: true });
  const { runId } = handle;
  let host: WorkerHost | undefined;
  try {
    logger.info({ runId, redis: handle.redis.displayUrl, apiUrl: handle.config.apiUrl, model: options.model, resumed: handle.previousStatus !== undefined }, 'run started');
    if (options.workers) {
      host = new WorkerHost(
        () => handle.redis.connect(),
        { prefix: options.prefix, concurrency: options.concurrency, runIds: [runId], lockDurationMs: options.lockDurationMs, stalledIntervalMs: options.stalledIntervalMs },
        logger,
        env.RERANK_API_KEY,
      );
      await host.start();
    }
    let stopping: Promise<void> | undefined;
    const stopWorkers = (): Promise<void> => (stopping ??= stopGracefully());
    const stopGracefully = async (): Promise<void> => {
      const closing = host?.close();
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), options.shutdownGraceMs).unref());
      if ((await Promise.race([closing, grace])) === 'timeout') {
        logger.warn({ graceMs: options.shutdownGraceMs }, 'in-flight requests did not finish in time: handing their jobs back');
        host?.handBackInFlight();
        await closing;
      }
    };
    // On shutdown the collector stops only once the workers have: its last drain then takes the
    // requests that finished during the grace period.
    const stopCollecting = new AbortController();
    signal?.addEventListener('abort', () => void stopWorkers().finally(() => stopCollecting.abort()), { once: true });

    // Collect while producing, so finished batches leave Redis as the run goes on.
    const dropCollecting = new AbortController();
    const settings = { outDir: options.out, qrels: options.qrels, topN: options.topN, runTag: options.runTag, relLevel: options.relLevel };
    const collecting = collectRun(handle, settings, logger, { stop: stopCollecting.signal, drop: dropCollecting.signal });
    // If collecting fails (e.g. the API refused the key and the run was aborted), stop reading too:
    // with no worker taking jobs, a producer waiting for room in the queue would wait forever.
    const stopProducing = new AbortController();
    signal?.addEventListener('abort', () => stopProducing.abort(), { once: true });
    collecting.catch(() => stopProducing.abort());
    let producer: SubmitReport;
    try {
      producer = await submitInput(handle, options, join(options.out, 'rejects.jsonl'), logger, stopProducing.signal);
    } catch (err) {
      dropCollecting.abort();
      await collecting.catch(() => undefined);
      if (err instanceof InputError) {
        // This input can never complete the run: drop what was queued for it.
        await handle.queue.obliterate({ force: true });
        await handle.store.delete(runId);
      }
      throw err;
    }
    const report = await collecting;
    if (report === undefined) throw new Error('collector stopped without a reason');
    return { ...report, runId, outDir: options.out, producer };
  } finally {
    host?.handBackInFlight();
    await host?.close();
    await handle.close();
  }
}
