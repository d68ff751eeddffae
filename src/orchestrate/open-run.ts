import { existsSync } from 'node:fs';
import { Queue, type Telemetry } from 'bullmq';
import { runQueueName } from '../../jobs/names.js';
import { EVENTS_MAX_LEN } from '../../jobs/default-job-options.js';
import type { RerankQueue } from '../../jobs/rerank-queue.js';
import { InputError } from '../errors/input-error.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { Logger } from '../logger.js';
import { redisSettingsOf, resolveRedis, type RedisConnection, type RedisSettings, type ResolvedRedis } from '../redis/connect.js';
import { closeWhenStarted, quitOrDrop, settlesWithin } from '../redis/connection-loss.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { startRerankServer } from '../serve/rerank-server.js';
import { RUN_CONFIG_VERSION, type RunConfig } from '../state/run-config.js';
import { sha256File } from '../read/file-checksum.js';
import { deriveRunId } from './run-id.js';
import { endpointOf, requestShapeOf, scoreIdentityOf } from '../options/request-shape.js';
import { API_KEY_ENV } from '../rerank/errors/auth-error.js';
import { PROVIDERS } from '../rerank/providers/index.js';
import { cacheDirOf, type SubmitSettings } from '../options/run-options.js';
import { RunStore, type RunState, type RunStatus } from '../state/run-store.js';
import { checkSameInput, inputIdentityOf } from '../state/input-identity.js';
import { checkSpoolInput, discardSpool, spoolIsCachedIn, spoolPathOf } from '../collect/spool-identity.js';
import { bullmqTelemetry, flushTraces } from '../monitor/tracing.js';

/** Checksums of a run's input files, by role (input, run_file, docs, queries, qrels). */
export type InputChecksums = Record<string, { path: string; sha256: string; bytes: number }>;

/** A connection to one run's Redis state and queue; `close()` releases all of it. */
export interface RunHandle {
  runId: string;
  redis: ResolvedRedis;
  connection: RedisConnection;
  store: RunStore;
  queue: RerankQueue;
  close(): Promise<void>;
}

/** A run being submitted: its handle plus what was resolved for it. */
export interface SubmittedRunHandle extends RunHandle {
  config: RunConfig;
  inputs: InputChecksums;
  /** Status of the run in Redis before this submission (undefined: a new run). */
  previousStatus: RunStatus | undefined;
  /** The score cache's directory; undefined when the run uses none (--no-cache when it started). */
  cacheDir: string | undefined;
}

/** Checksum every input file; an unreadable one is an input error naming it. */
export async function checksumInputs(options: Pick<SubmitSettings, 'input' | 'runFile' | 'docs' | 'queries'> & { qrels?: string | undefined }): Promise<InputChecksums> {
  const files: [string, string | undefined][] = [
    ['input', options.input],
    ['run_file', options.runFile],
    ['docs', options.docs],
    ['queries', options.queries],
    ['qrels', options.qrels],
  ];
  const inputs: InputChecksums = {};
  for (const [role, path] of files) {
    if (path === undefined) continue;
    try {
      inputs[role] = { path, ...(await sha256File(path)) };
    } catch (err) {
      throw new InputError('ERR_INPUT_FILE', `cannot read file: ${err instanceof Error ? err.message : String(err)}`, { file: path });
    }
  }
  return inputs;
}

/** How long the whole cleanup may wait: closing through a Redis that is down would never end. */
const CLEANUP_MS = 1_500;

function closer(steps: (() => Promise<unknown>)[], logger: Logger): () => Promise<void> {
  return async () => {
    const deadline = Date.now() + CLEANUP_MS;
    for (const step of steps.reverse()) {
      // Past the deadline a step is still started (it frees what it can), just not waited for.
      await settlesWithin(step().catch((err: unknown) => logger.debug({ err }, 'cleanup step failed')), deadline - Date.now());
    }
    steps.length = 0;
  };
}

/**
 * Resolve Redis and the API, record the run in Redis and open its queue. With no API URL, `run` starts
 * the built-in local server (`allowBuiltinServer`); `submit` refuses, since remote workers could not
 * reach it.
 */
export async function openSubmittedRun(
  options: SubmitSettings & { qrels?: string | undefined },
  logger: Logger,
  env: NodeJS.ProcessEnv,
  mode: { allowBuiltinServer: boolean; /** The output directory whose spool the run will use (`run`): checked before anything is queued. */ out?: string },
): Promise<SubmittedRunHandle> {
  const inputs = await checksumInputs(options);
  const identity = inputIdentityOf(inputs);
  const shape = requestShapeOf(options);
  const runId = options.runId ?? deriveRunId(identity, { ...options, apiUrl: endpointOf(options, env) }, shape);
  const steps: (() => Promise<unknown>)[] = [];
  const close = closer(steps, logger);
  try {
    const redis = await resolveRedis(redisSettingsOf(options), logger, { allowPrivate: mode.allowBuiltinServer });
    steps.push(() => redis.close());
    let apiUrl = endpointOf(options, env);
    if (apiUrl === undefined) {
      if (!mode.allowBuiltinServer) throw new UsageError(`submit needs a rerank API the workers can reach: --api-url or RERANK_API_URL${PROVIDERS[options.provider].hosted ? `, or ${API_KEY_ENV} for ${PROVIDERS[options.provider].endpoint}` : ''}`);
      const server = await startRerankServer({ dialect: options.provider });
      steps.push(() => server.close());
      apiUrl = server.url;
      logger.warn(
        { apiUrl, dialect: options.provider },
        `no rerank API configured (--api-url or RERANK_API_URL${PROVIDERS[options.provider].hosted ? `, or ${API_KEY_ENV} for the provider's own endpoint` : ''}): scoring with the built-in local server (BM25, lexical). Workers on other machines cannot reach it.`,
      );
    } else if (env.RERANK_API_KEY === undefined || env.RERANK_API_KEY === '') {
      logger.warn('RERANK_API_KEY is not set: requests carry no Authorization header');
    }
    const connection = redis.connect();
    steps.push(() => quitOrDrop(connection));
    await warnOnEvictionPolicy(connection, logger);
    const store = new RunStore(connection, options.prefix);
    let existing = await store.get(runId);
    const known = existing?.config.inputs ?? (existing?.submission === undefined ? undefined : inputIdentityOf(existing.submission.inputs));
    if (known !== undefined) checkSameInput(runId, known, identity, 'its state in Redis');
    // Redis may have forgotten the run while its spool remembers: refuse before a request is paid for.
    if (mode.out !== undefined) checkSpoolInput(spoolPathOf(mode.out, runId), runId, identity);
    const telemetry = bullmqTelemetry(options.tracing);
    // Last of the cleanup: the spans of the queue (and of a run's workers, closed before) leave before the exit.
    if (telemetry !== undefined) steps.push(() => flushTraces());
    const queue = runQueue(runId, connection, options.prefix, logger, telemetry);
    steps.push(() => closeWhenStarted(queue));
    const cacheDir = options.cache ? cacheDirOf(options, env) : undefined;
    let lookups = cacheDir !== undefined;
    if (cacheDir !== undefined && mode.out !== undefined) {
      const spoolPath = spoolPathOf(mode.out, runId);
      if (existing !== undefined && existing.status !== 'running' && !existsSync(spoolPath) && (await store.collectedCount(runId)) > 0) {
        // Done before into another --out: this one is written again from the cache, not refused.
        logger.info({ runId, out: mode.out }, 'run finished before into another output directory: planning it again from the score cache');
        await queue.obliterate({ force: true });
        await store.delete(runId);
        existing = undefined;
      } else if (existing === undefined && existsSync(spoolPath)) {
        if (spoolIsCachedIn(spoolPath, cacheDir)) {
          // Redis forgot the run; every score of its spool is in the cache, which plans the run again.
          logger.info({ runId, spool: spoolPath }, 'Redis no longer knows this run: its spool is dropped and the run planned again from the score cache');
          discardSpool(spoolPath);
        } else {
          // A spool whose scores may not all be cached: the run is planned as it was, to match its batches.
          lookups = false;
        }
      }
    }
    const builtinServer = apiUrl !== endpointOf(options, env);
    // A resumed run keeps the cache settings it was planned with, or it would plan other batches; a new
    // one may use the scores obtained up to now.
    const cache: RunConfig['cache'] =
      existing !== undefined
        ? existing.config.cache
        : cacheDir === undefined
          ? undefined
          : {
              identity: scoreIdentityOf(shape, builtinServer ? 'builtin' : apiUrl),
              asOf: Date.now(),
              ...(options.cacheMaxAge === undefined ? {} : { maxAgeMs: options.cacheMaxAge }),
              refresh: options.refresh || !lookups,
            };
    const config: RunConfig = {
      v: RUN_CONFIG_VERSION,
      runId,
      inputs: identity,
      apiUrl,
      builtinServer,
      provider: shape.provider,
      ...(shape.model === undefined ? {} : { model: shape.model }),
      template: shape.format.name,
      ...(shape.format.name === 'custom' ? { queryTemplate: shape.format.query, documentTemplate: shape.format.document } : {}),
      instruction: shape.instruction,
      ...(shape.maxTokensPerDoc === undefined ? {} : { maxTokensPerDoc: shape.maxTokensPerDoc }),
      ...(shape.passages === undefined ? {} : { passages: shape.passages }),
      ...(options.requestsPerMinute === undefined ? {} : { requestsPerMinute: options.requestsPerMinute }),
      ...(options.tokensPerMinute === undefined ? {} : { tokensPerMinute: options.tokensPerMinute }),
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      minRetryDelayMs: options.minRetryDelayMs,
      maxRetryDelayMs: options.maxRetryDelayMs,
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      ...(cache === undefined ? {} : { cache }),
    };
    const previousStatus = await store.register(config);
    if (previousStatus === 'aborted') {
      // The run was stopped (e.g. a refused API key): its batches failed without a fair try.
      await queue.retryJobs({ state: 'failed' });
    }
    return { runId, redis, connection, store, queue, config, inputs, previousStatus, cacheDir: cache === undefined ? undefined : cacheDirOf(options, env), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A run's queue, with its event stream capped (EVENTS_MAX_LEN) and its errors logged (BullMQ reconnects);
 * `telemetry` traces the jobs it adds (`--tracing`).
 */
function runQueue(runId: string, connection: RedisConnection, prefix: string, logger: Logger, telemetry?: Telemetry): RerankQueue {
  const queue: RerankQueue = new Queue(runQueueName(runId), { connection, prefix, streams: { events: { maxLen: EVENTS_MAX_LEN } }, ...(telemetry === undefined ? {} : { telemetry }) });
  queue.on('error', (err: Error) => logger.debug({ runId, error: err.message }, 'queue error'));
  return queue;
}

/** Open an existing run by id (collect, status, retry-failed, cancel). Throws ERR_RUN_UNKNOWN when Redis has no such run. */
export async function openExistingRun(
  runId: string,
  redisSettings: RedisSettings,
  prefix: string,
  logger: Logger,
): Promise<RunHandle & { state: RunState }> {
  const steps: (() => Promise<unknown>)[] = [];
  const close = closer(steps, logger);
  try {
    const redis = await resolveRedis(redisSettings, logger, { allowPrivate: false });
    steps.push(() => redis.close());
    const connection = redis.connect();
    steps.push(() => quitOrDrop(connection));
    const store = new RunStore(connection, prefix);
    const state = await store.get(runId);
    if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `no run "${runId}" under prefix ${prefix} on ${redis.displayUrl}`);
    const queue = runQueue(runId, connection, prefix, logger);
    steps.push(() => closeWhenStarted(queue));
    return { runId, redis, connection, store, queue, state, close };
  } catch (err) {
    await close();
    throw err;
  }
}
