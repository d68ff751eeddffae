import { UnrecoverableError, type Job } from 'bullmq';
import { ZodError } from 'zod';
import { JOB_CONTRACT_VERSION, parseRerankJobPayload, type RerankJobPayload, type RerankJobResult } from '../jobs/rerank-job.js';
import type { Logger } from '../src/logger.js';
import { AuthError } from '../src/rerank/errors/auth-error.js';
import { PermanentApiError } from '../src/rerank/errors/permanent-api-error.js';
import { RerankClient } from '../src/rerank/rerank-client.js';
import type { RunConfig } from '../src/run/run-config.js';
import type { RunStore } from '../src/run/run-store.js';
import { encodeFailure } from './failure-reason.js';

export interface ProcessorDeps {
  store: RunStore;
  /** From RERANK_API_KEY of this process's environment; never stored anywhere. */
  apiKey: string | undefined;
  logger: Logger;
  /** Called once when the API refused the key: the caller stops taking jobs of that run. */
  onRunAborted: (runId: string) => void;
}

export type RerankProcessor = (job: Job<RerankJobPayload, RerankJobResult, string>) => Promise<RerankJobResult>;

/** A client per run (runs may use different models or endpoints), made from the run's stored config. */
function clientFor(config: RunConfig, apiKey: string | undefined): RerankClient {
  return new RerankClient({
    apiUrl: config.apiUrl,
    // The built-in local server is ours: it takes no key, so none is sent to it.
    apiKey: config.builtinServer ? undefined : apiKey,
    model: config.model,
    template: config.template,
    instruction: config.instruction,
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    minRetryDelayMs: config.minRetryDelayMs,
    maxRetryDelayMs: config.maxRetryDelayMs,
  });
}

/**
 * The BullMQ processor: one API request per job (plus in-process retries). Failures are sorted the way
 * BullMQ needs them: a permanent API error or a bad payload fails the job at once (UnrecoverableError),
 * anything retryable is thrown plainly so BullMQ tries again with backoff, and an auth error also
 * aborts the whole run so no other job hits the API with a bad key.
 */
export function createRerankProcessor(deps: ProcessorDeps): RerankProcessor {
  const clients = new Map<string, Promise<RerankClient>>();
  const getClient = (runId: string): Promise<RerankClient> => {
    let client = clients.get(runId);
    if (client === undefined) {
      client = deps.store.get(runId).then((state) => {
        if (state === undefined) throw new UnrecoverableError(encodeFailure('ERR_RUN_UNKNOWN', 'RunStateError', `run ${runId} has no state in Redis (cancelled?)`));
        return clientFor(state.config, deps.apiKey);
      });
      client.catch(() => clients.delete(runId));
      clients.set(runId, client);
    }
    return client;
  };

  return async (job) => {
    let payload: RerankJobPayload;
    try {
      payload = parseRerankJobPayload(job.data);
    } catch (err) {
      const detail = err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(err);
      throw new UnrecoverableError(encodeFailure('ERR_JOB_PAYLOAD', 'JobPayloadError', `invalid job payload: ${detail}`));
    }
    const client = await getClient(payload.runId);
    try {
      const outcome = await client.rerank(payload.query, payload.docs.map((doc) => doc.text));
      return { v: JOB_CONTRACT_VERSION, scores: outcome.scores, requests: outcome.attempts, rateLimited: outcome.rateLimited };
    } catch (err) {
      if (err instanceof AuthError) {
        await deps.store.abort(payload.runId, err.code, err.message);
        deps.onRunAborted(payload.runId);
        throw new UnrecoverableError(encodeFailure(err.code, err.name, err.message));
      }
      if (err instanceof PermanentApiError) throw new UnrecoverableError(encodeFailure(err.code, err.name, err.message));
      if (err instanceof Error && 'code' in err && typeof err.code === 'string') throw new Error(encodeFailure(err.code, err.name, err.message));
      throw err;
    }
  };
}
