import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { runQueueName } from '../../jobs/names.js';
import { WorkerHost } from '../../workers/worker-host.js';
import { Collector } from '../collect/collector.js';
import { Spool } from '../collect/spool.js';
import { produce, type ProducerReport, type RerankQueue } from '../enqueue/producer.js';
import { InputError } from '../errors/input-error.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { readQrels, type Qrels } from '../evaluate/index.js';
import type { Logger } from '../logger.js';
import { openPairs } from '../read/index.js';
import { resolveRedis } from '../redis/connect.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { startRerankServer } from '../serve/rerank-server.js';
import { LineWriter } from '../write/line-writer.js';
import { writeOutputs, type OutputSummary } from '../write/write-outputs.js';
import { writeManifest } from './manifest.js';
import type { RunConfig } from './run-config.js';
import { deriveRunId, sha256File } from './run-id.js';
import { normalizeRunOptions, readerOptionsOf, type RunOptions } from './run-options.js';
import { RunStore } from './run-store.js';

export interface RunReport {
  runId: string;
  /** 0: every pair scored; 1: some pairs failed (see failures.jsonl). */
  exitCode: 0 | 1;
  outDir: string;
  summary: OutputSummary;
  producer: ProducerReport;
}

/** Where rerank-batch keeps its own files inside --out (the spool). */
export const STATE_DIR = '.rerank-batch';

/**
 * The whole pipeline in one process: read and enqueue (producer), score (in-process workers, plus any
 * `worker` processes on other machines), collect, then write outputs, metrics and the manifest.
 * Running it again with the same input and options resumes the same run and redoes nothing.
 */
export async function runPipeline(input: RunOptions, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<RunReport> {
  const startedAt = new Date();
  const options = normalizeRunOptions(input, env);
  await mkdir(options.out, { recursive: true });
  const inputSum = await sha256File(options.input).catch((err: unknown) => {
    throw new InputError('ERR_INPUT_OPEN', `cannot read input: ${err instanceof Error ? err.message : String(err)}`, { file: options.input });
  });
  const inputs: Record<string, { path: string; sha256: string; bytes: number }> = { input: { path: options.input, ...inputSum } };
  let qrels: Qrels | undefined;
  if (options.qrels !== undefined) {
    inputs.qrels = { path: options.qrels, ...(await sha256File(options.qrels)) };
    qrels = await readQrels(options.qrels);
  }
  const runId = options.runId ?? deriveRunId(inputSum.sha256, options);
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step().catch((err: unknown) => logger.debug({ err }, 'cleanup step failed'));
  };

  try {
    const redis = await resolveRedis(options.redisUrl, logger);
    cleanups.push(() => redis.close());
    let apiUrl = options.apiUrl;
    if (apiUrl === undefined) {
      const server = await startRerankServer();
      cleanups.push(() => server.close());
      apiUrl = server.url;
      logger.warn(
        { apiUrl },
        'no rerank API configured (--api-url or RERANK_API_URL): scoring with the built-in local server (BM25, lexical). Workers on other machines cannot reach it.',
      );
    } else if (env.RERANK_API_KEY === undefined || env.RERANK_API_KEY === '') {
      logger.warn('RERANK_API_KEY is not set: requests carry no Authorization header');
    }
    const connection = redis.connect();
    cleanups.push(() => connection.quit());
    await warnOnEvictionPolicy(connection, logger);
    const store = new RunStore(connection, options.prefix);
    const config: RunConfig = {
      runId,
      apiUrl,
      builtinServer: options.apiUrl === undefined,
      model: options.model,
      template: options.template,
      instruction: options.instruction,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      minRetryDelayMs: options.minRetryDelayMs,
      maxRetryDelayMs: options.maxRetryDelayMs,
    };
    const queue: RerankQueue = new Queue(runQueueName(runId), { connection, prefix: options.prefix });
    cleanups.push(() => queue.close());
    if ((await store.register(config)) === 'aborted') {
      // The run was stopped (e.g. a refused API key): its batches failed without a fair try; try them again.
      await queue.retryJobs({ state: 'failed' });
    }

    const spool = await Spool.open(join(options.out, STATE_DIR, `${runId}.spool`));
    cleanups.push(async () => spool.close());
    const collectedBefore = await store.collectedCount(runId);
    if (collectedBefore > spool.counts().scored) {
      throw new RerankBatchError(
        'ERR_RUN_SPOOL_MISSING',
        `run ${runId} has ${collectedBefore} batches collected into another output directory; resume it with the same --out, or pass a new --run-id`,
      );
    }
    logger.info({ runId, redis: redis.displayUrl, apiUrl, model: options.model, resumed: collectedBefore > 0 }, 'run started');

    if (options.workers) {
      const host = new WorkerHost(() => redis.connect(), { prefix: options.prefix, concurrency: options.concurrency, runIds: [runId] }, logger, env.RERANK_API_KEY);
      await host.start();
      cleanups.push(() => host.close(true));
    }

    let rejected = 0;
    const rejects = options.onBadRow === 'skip' ? new LineWriter(join(options.out, 'rejects.jsonl')) : undefined;
    const readerOptions = readerOptionsOf(options);
    readerOptions.onReject = (reject) => {
      rejected += 1;
      void rejects?.write(`${JSON.stringify(reject)}\n`);
    };
    readerOptions.onNotice = (notice) => logger.warn({ notice: notice.kind }, notice.message);

    const collector = new Collector(queue, store, spool, { runId }, logger);
    const stopCollecting = new AbortController();
    const collecting = collector.collect(stopCollecting.signal);
    // A rejected collect() must not go unhandled while the producer still runs.
    collecting.catch(() => undefined);
    let producer: ProducerReport;
    try {
      producer = await produce(
        openPairs(options.input, readerOptions),
        queue,
        store,
        { runId, file: options.input, maxDocsPerRequest: options.maxDocsPerRequest, maxRequestBytes: options.maxRequestBytes, maxBufferedBytes: options.maxBufferedBytes, maxPending: options.maxPending, attempts: options.attempts },
        logger,
      );
    } catch (err) {
      stopCollecting.abort();
      await collecting.catch(() => undefined);
      if (err instanceof InputError) {
        // This input can never complete the run: drop what was queued for it.
        await queue.obliterate({ force: true });
        await store.delete(runId);
      }
      throw err;
    }
    await rejects?.commit();
    await collecting;

    const summary = await writeOutputs(spool, { outDir: options.out, runTag: options.runTag, topN: options.topN, qrels, relLevel: options.relLevel });
    const exitCode = summary.failedPairs > 0 ? 1 : 0;
    await writeManifest(options.out, {
      runId,
      startedAt,
      finishedAt: new Date(),
      config,
      options,
      redis: { url: redis.displayUrl, source: redis.source },
      inputs,
      producer: { ...producer, rejected },
      summary,
      exitCode,
    });
    await store.complete(runId);
    logger.info({ runId, out: options.out, queries: summary.queries, scoredPairs: summary.scoredPairs, failedPairs: summary.failedPairs }, 'run finished');
    return { runId, exitCode, outDir: options.out, summary, producer };
  } finally {
    await cleanup();
  }
}
