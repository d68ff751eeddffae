import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { ZodError } from 'zod';
import { parseRerankJobPayload, resultEcho, type RerankJobPayload, type RerankJobResult } from '../jobs/rerank-job.js';
import type { Logger } from '../src/logger.js';
import { AuthError } from '../src/rerank/errors/auth-error.js';
import { PermanentApiError } from '../src/rerank/errors/permanent-api-error.js';
import { RerankClient } from '../src/rerank/rerank-client.js';
import { promptFormatOf, type RunConfig } from '../src/state/run-config.js';
import { formatDocument, formatQuery } from '../src/rerank/prompt.js';
import { approxTokens } from '../src/rerank/request-cost.js';
import { batchTexts, foldScores } from './batch-texts.js';
import { FirstRequestsWatch } from './first-requests-watch.js';
import type { RunStore } from '../src/state/run-store.js';
import { encodeFailure } from '../jobs/failure-reason.js';
import { scoreEntries, type ScoreCache } from '../src/cache/score-cache.js';
import { ScoreKeys } from '../src/cache/score-key.js';
import type { WorkerObserver } from './worker-observer.js';

export interface ProcessorDeps {
  store: RunStore;
  /** From RERANK_API_KEY of this process's environment; never stored anywhere. */
  apiKey: string | undefined;
  logger: Logger;
  /** Called once when the API refused the key: the caller stops taking jobs of that run. */
  onRunAborted: (runId: string) => void;
  /**
   * Called on a 429 with the wait before the next try: the caller pauses the run's queue for every
   * worker (BullMQ's rate limit), so all back off together instead of each hitting the limit alone.
   */
  onRateLimited: (runId: string, waitMs: number) => void;
  /** Aborted at shutdown: in-flight requests stop and their jobs go back to the queue, no attempt spent. */
  handBack: AbortSignal;
  /**
   * The score cache of this machine, for workers in the process that planned the run (`run`, `collect`):
   * each score is stored as soon as the API gives it, so a run whose Redis state is lost re-sends at most
   * the requests in flight. Workers elsewhere have none; the collector stores their scores.
   */
  scoreCache?: ScoreCache | undefined;
  /** Told of requests, retries, pauses and batches (metrics); absent, nothing is recorded. */
  observer?: WorkerObserver | undefined;
}

/** The BullMQ processor, and `release(runId)`: drop a run's client and close its keep-alive connections. */
export interface RerankProcessor {
  (job: Job<RerankJobPayload, RerankJobResult, string>, token?: string): Promise<RerankJobResult>;
  release(runId: string): Promise<void>;
}

/** A client per run (runs may use different providers, models or endpoints), made from the run's stored config. */
function clientFor(runId: string, config: RunConfig, deps: ProcessorDeps, watch: FirstRequestsWatch): RerankClient {
  const observer = deps.observer;
  return new RerankClient({
    apiUrl: config.apiUrl,
    // The built-in local server is ours: it takes no key, so none is sent to it.
    apiKey: config.builtinServer ? undefined : deps.apiKey,
    provider: config.provider,
    model: config.model,
    format: promptFormatOf(config),
    instruction: config.instruction,
    maxTokensPerDoc: config.maxTokensPerDoc,
    giveUp: (error) => watch.failed(error) !== undefined,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    minRetryDelayMs: config.minRetryDelayMs,
    maxRetryDelayMs: config.maxRetryDelayMs,
    onRetry: (error, _attempt, delayMs) => {
      observer?.retry(runId, 'request');
      if (error.code !== 'ERR_API_RATE_LIMITED') return;
      deps.onRateLimited(runId, delayMs);
      observer?.paused(runId, 'rate_limited', delayMs);
    },
    ...(observer === undefined ? {} : { onRequest: (request) => observer.request(runId, request) }),
  });
}

interface Scored {
  scores: number[];
  requests: number;
  rateLimited: number;
}

/**
 * A client per run, and the most documents the API has taken in one request of that run: after a 413,
 * later batches are split to that size up front instead of each paying for its own refusals.
 */
interface RunClient {
  client: RerankClient;
  maxDocs: number;
  config: RunConfig;
  watch: FirstRequestsWatch;
  /** The run's score keys, when it uses the cache and this process has one. */
  scoreKeys: ScoreKeys | undefined;
}

/** Approximate tokens of a request as the planner counts them: the query as sent once per text, and each text as sent. */
function requestTokens(client: RerankClient, query: string, texts: readonly string[]): number {
  const { format, instruction } = client.options;
  const queryTokens = approxTokens(Buffer.byteLength(formatQuery(query, format, instruction)));
  return texts.reduce((sum, text) => sum + queryTokens + approxTokens(Buffer.byteLength(formatDocument(text, format))), 0);
}

function concat(parts: Scored[], extraRequests = 0): Scored {
  return {
    scores: parts.flatMap((part) => part.scores),
    requests: parts.reduce((sum, part) => sum + part.requests, extraRequests),
    rateLimited: parts.reduce((sum, part) => sum + part.rateLimited, 0),
  };
}

/**
 * Score a batch; when the API answers 413 (payload too large), split it in half and score each half,
 * recursively, down to single documents, and remember the size for the run. Scores stay in order.
 */
async function rerankSplitting(run: RunClient, query: string, documents: string[], logger: Logger, signal: AbortSignal): Promise<Scored> {
  // Read once: concurrent jobs of the run may lower it while this one awaits.
  const size = run.maxDocs;
  if (documents.length > size) {
    const parts: Scored[] = [];
    for (let i = 0; i < documents.length; i += size) parts.push(await rerankSplitting(run, query, documents.slice(i, i + size), logger, signal));
    return concat(parts);
  }
  try {
    const outcome = await run.client.rerank(query, documents, { signal });
    run.watch.succeeded();
    return { scores: outcome.scores, requests: outcome.attempts, rateLimited: outcome.rateLimited };
  } catch (err) {
    if (!(err instanceof PermanentApiError && err.code === 'ERR_API_PAYLOAD_TOO_LARGE' && documents.length > 1)) throw err;
    const half = Math.ceil(documents.length / 2);
    run.maxDocs = Math.min(run.maxDocs, half);
    logger.info({ documents: documents.length, half }, 'API answered 413: splitting the batch in two (and later batches of this run up front)');
    const first = await rerankSplitting(run, query, documents.slice(0, half), logger, signal);
    const second = await rerankSplitting(run, query, documents.slice(half), logger, signal);
    return concat([first, second], err.attempts);
  }
}

/**
 * The BullMQ processor: one API request per job (plus in-process retries). Failures are sorted the way
 * BullMQ needs them: a permanent API error or a bad payload fails the job at once (UnrecoverableError),
 * anything retryable is thrown plainly so BullMQ tries again with backoff, and an auth error also
 * aborts the whole run so no other job hits the API with a bad key.
 */
export function createRerankProcessor(deps: ProcessorDeps): RerankProcessor {
  const clients = new Map<string, Promise<RunClient>>();
  const getClient = (runId: string): Promise<RunClient> => {
    let client = clients.get(runId);
    if (client === undefined) {
      client = deps.store.get(runId).then((state) => {
        if (state === undefined) throw new UnrecoverableError(encodeFailure('ERR_RUN_UNKNOWN', 'RunStateError', `run ${runId} has no state in Redis (cancelled?)`));
        const watch = new FirstRequestsWatch(state.config.provider, state.config.apiUrl);
        const scoreKeys = deps.scoreCache !== undefined && state.config.cache !== undefined ? new ScoreKeys(state.config.cache.identity) : undefined;
        return { client: clientFor(runId, state.config, deps, watch), maxDocs: Number.POSITIVE_INFINITY, config: state.config, watch, scoreKeys };
      });
      client.catch(() => clients.delete(runId));
      clients.set(runId, client);
    }
    return client;
  };

  const processJob = async (job: Job<RerankJobPayload, RerankJobResult, string>, token?: string): Promise<RerankJobResult> => {
    let payload: RerankJobPayload;
    try {
      payload = parseRerankJobPayload(job.data);
    } catch (err) {
      const detail = err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(err);
      throw new UnrecoverableError(encodeFailure('ERR_JOB_PAYLOAD', 'JobPayloadError', `invalid job payload: ${detail}`));
    }
    if (payload.unscored === true) return { ...resultEcho(payload), scores: [], requests: 0, rateLimited: 0 };
    const run = await getClient(payload.runId);
    let texts: ReturnType<typeof batchTexts>;
    try {
      texts = batchTexts(payload.docs, run.config.passages);
    } catch (err) {
      throw new UnrecoverableError(encodeFailure('ERR_JOB_PAYLOAD', 'JobPayloadError', `invalid job payload: ${err instanceof Error ? err.message : String(err)}`));
    }
    const perMinute = run.config.tokensPerMinute;
    if (perMinute !== undefined) {
      const waitMs = await deps.store.takeTokens(payload.runId, requestTokens(run.client, payload.query, texts.texts), perMinute);
      if (waitMs > 0) {
        // BullMQ's manual rate limit: the run's queue pauses for every worker, the job waits, no attempt spent.
        deps.onRateLimited(payload.runId, waitMs);
        deps.observer?.paused(payload.runId, 'token_budget', waitMs);
        throw Worker.RateLimitError();
      }
    }
    // attemptsMade counts the attempts that failed: neither a hand-back nor a rate limit spends one.
    if (job.attemptsMade > 0) deps.observer?.retry(payload.runId, 'job');
    deps.observer?.inFlight(payload.runId, 1);
    try {
      const scored = await rerankSplitting(run, payload.query, texts.texts, deps.logger, deps.handBack);
      const folded = foldScores(texts.spans, scored.scores);
      deps.observer?.scored(payload.runId, folded.scores.length);
      // Committed, not flushed: it outlives a killed process; the collector flushes it before spooling it.
      const cache = run.scoreKeys === undefined ? undefined : deps.scoreCache;
      if (cache !== undefined && run.scoreKeys !== undefined) await cache.put(scoreEntries(run.scoreKeys, payload.query, payload.docs, folded.scores, folded.passages, Date.now()), false);
      return { ...resultEcho(payload), ...scored, ...folded, ...(cache === undefined ? {} : { storedIn: cache.id }) };
    } catch (err) {
      if (deps.handBack.aborted && token !== undefined) {
        // Shutting down: put the job back, ready at once, without spending an attempt.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const verdict = run.watch.verdict;
      if (verdict !== undefined) {
        await deps.store.abort(payload.runId, 'ERR_API_MISCONFIGURED', verdict);
        deps.onRunAborted(payload.runId);
        throw new UnrecoverableError(encodeFailure('ERR_API_MISCONFIGURED', 'RerankApiError', verdict));
      }
      if (err instanceof AuthError) {
        await deps.store.abort(payload.runId, err.code, err.message);
        deps.onRunAborted(payload.runId);
        throw new UnrecoverableError(encodeFailure(err.code, err.name, err.message));
      }
      if (err instanceof PermanentApiError) throw new UnrecoverableError(encodeFailure(err.code, err.name, err.message));
      if (err instanceof Error && 'code' in err && typeof err.code === 'string') throw new Error(encodeFailure(err.code, err.name, err.message));
      throw err;
    } finally {
      deps.observer?.inFlight(payload.runId, -1);
    }
  };
  const release = async (runId: string): Promise<void> => {
    const client = clients.get(runId);
    clients.delete(runId);
    (await client?.catch(() => undefined))?.client.close();
  };
  return Object.assign(processJob, { release });
}
