import pRetry, { AbortError } from 'p-retry';
import { normalizeClientOptions, type NormalizedClientOptions, type RerankClientOptions } from './client-options.js';
import { formatDocument, formatQuery } from './prompt.js';
import { parseJsonBody, parseRerankResponse } from './response.js';
import { errorMessageOf } from './providers/index.js';
import { parseRetryAfter } from './retry-after.js';
import { HttpPoster, type PostResponse } from './http-post.js';
import { AuthError } from './errors/auth-error.js';
import { PermanentApiError, type PermanentApiErrorCode } from './errors/permanent-api-error.js';
import { RerankApiError, safeUrl } from './errors/rerank-api-error.js';
import { RetryableApiError } from './errors/retryable-api-error.js';

export type { RerankClientOptions } from './client-options.js';

/** What one `rerank` call produced. */
export interface RerankOutcome {
  /** One score per input document, in the input order, exactly as the API returned it. */
  scores: number[];
  /** HTTP requests made (1 when the first one succeeded). */
  attempts: number;
  /** attempts - 1. */
  retries: number;
  /** HTTP 429 answers seen along the way. */
  rateLimited: number;
}

export interface RerankCallOptions {
  /** Aborts the call (the request in flight and any retry wait); the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Marks our own per-request timeout apart from the caller's abort. */
class RequestTimeout extends Error {}

/** Wait `ms`, or reject with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `fetch failed (ECONNRESET: other side closed)` from undici's TypeError and its cause. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}

/** The provider's error message if the body has one, else its first ~200 characters on one line, for an error message. */
function snippet(body: string): string {
  let message: string | undefined;
  try {
    message = errorMessageOf(JSON.parse(body));
  } catch {
    message = undefined;
  }
  const line = (message ?? body).replace(/\s+/g, ' ').trim();
  if (line === '') return '';
  return `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}

/**
 * Client of a rerank endpoint in one provider's dialect (see ./providers; the seed API is
 * shared/seed-rerank-api.md).
 *
 * Every call asks for every document's score (`top_n`/`top_k` = documents.length) and returns them in
 * input order.
 * Transient failures (RetryableApiError) are retried in-process with p-retry: exponential backoff
 * `minRetryDelayMs * factor^n`, capped at `maxRetryDelayMs`, times a random factor in [1, 2) when `jitter`;
 * a Retry-After (capped at `maxRetryAfterMs`) raises the wait to at least that long. The wait is computed
 * here and taken once in p-retry's `onFailedAttempt` (p-retry's own delay is set to 0), so backoff and
 * Retry-After are never added together. PermanentApiError and AuthError are thrown at once.
 */
export class RerankClient {
  readonly options: NormalizedClientOptions;
  readonly #headers: Record<string, string>;
  readonly #displayUrl: string;
  readonly #poster: HttpPoster;

  constructor(options: RerankClientOptions) {
    this.options = normalizeClientOptions(options);
    this.#displayUrl = safeUrl(this.options.apiUrl);
    this.#poster = new HttpPoster(this.options.apiUrl);
    this.#headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (this.options.apiKey !== undefined) this.#headers.Authorization = `Bearer ${this.options.apiKey}`;
  }

  /** Close the client's keep-alive connections, each once its request (if any) has ended. */
  close(): void {
    this.#poster.close();
  }

  /** The API key stays out of `console.log(client)` / util.inspect and JSON. */
  toJSON(): Record<string, unknown> {
    return { ...this.options, apiKey: this.options.apiKey === undefined ? undefined : '[redacted]', onRetry: undefined, onRequest: undefined };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, unknown> {
    return this.toJSON();
  }

  /** Score `documents` against `query`. An empty `documents` returns no scores without a request. */
  async rerank(query: string, documents: string[], opts: RerankCallOptions = {}): Promise<RerankOutcome> {
    if (documents.length === 0) return { scores: [], attempts: 0, retries: 0, rateLimited: 0 };
    const { provider, model, format, instruction, maxTokensPerDoc, retries, factor, onRetry, giveUp } = this.options;
    // Encoded once, as bytes: the string (tens of KB) dies at once instead of staying on V8's heap for
    // the whole request and its retries, where the garbage collector would copy it again and again.
    const body = Buffer.from(
      JSON.stringify(
        provider.requestBody({
          model,
          query: formatQuery(query, format, instruction),
          documents: documents.map((document) => formatDocument(document, format)),
          maxTokensPerDoc,
        }),
      ),
      'utf8',
    );
    const signal = opts.signal;
    let attempts = 0;
    let rateLimited = 0;

    const scores = await pRetry(
      async (attemptNumber: number) => {
        attempts = attemptNumber;
        try {
          return await this.#attempt(body, documents.length, signal);
        } catch (error) {
          if (error instanceof RerankApiError) error.attempts = attemptNumber;
          const stop = error instanceof RerankApiError && giveUp?.(error) === true;
          if (error instanceof RetryableApiError && !stop) {
            if (error.code === 'ERR_API_RATE_LIMITED') rateLimited++;
            throw error;
          }
          // Permanent and auth errors, and errors the caller gave up on: stop now (p-retry rethrows the original error).
          if (error instanceof RerankApiError) throw new AbortError(error);
          throw error;
        }
      },
      {
        retries,
        factor,
        // The wait is taken in onFailedAttempt (backoff and Retry-After combined), not by p-retry.
        minTimeout: 0,
        randomize: false,
        signal,
        shouldRetry: ({ error }) => error instanceof RetryableApiError,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
          if (!(error instanceof RetryableApiError) || retriesLeft <= 0 || signal?.aborted === true) return;
          const delayMs = this.retryDelayMs(error, retriesConsumed);
          onRetry?.(error, attemptNumber, delayMs);
          await sleep(delayMs, signal);
        },
      },
    );
    return { scores, attempts, retries: attempts - 1, rateLimited };
  }

  /**
   * Wait before retry number `retriesConsumed + 1`: the exponential backoff (with jitter), raised to the
   * server's Retry-After (capped at maxRetryAfterMs) when it asked for longer.
   */
  retryDelayMs(error: RetryableApiError, retriesConsumed: number, random: () => number = Math.random): number {
    const { minRetryDelayMs, maxRetryDelayMs, factor, jitter, maxRetryAfterMs } = this.options;
    const spread = jitter ? 1 + random() : 1;
    const backoff = Math.min(Math.round(spread * minRetryDelayMs * factor ** retriesConsumed), maxRetryDelayMs);
    const retryAfter = error.retryAfterMs === undefined ? 0 : Math.min(error.retryAfterMs, maxRetryAfterMs);
    return Math.max(backoff, retryAfter);
  }

  async #attempt(body: Buffer, documentCount: number, callerSignal: AbortSignal | undefined): Promise<number[]> {
    // One controller per request, aborted by our timeout or the caller's signal. (AbortSignal.any with a
    // long-lived caller signal leaks dependants in some Node versions; explicit listeners are removed below.)
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new RequestTimeout()), this.options.timeoutMs);
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) controller.abort(callerSignal.reason);
      else callerSignal.addEventListener('abort', onCallerAbort, { once: true });
    }
    const url = this.#displayUrl;
    const observe = this.options.onRequest;
    const started = observe === undefined ? 0 : performance.now();
    let response: PostResponse;
    try {
      response = await this.#poster.post(this.#headers, body, controller.signal);
    } catch (error) {
      if (callerSignal?.aborted === true) {
        observe?.({ status: 'aborted', durationMs: performance.now() - started });
        throw callerSignal.reason;
      }
      if (controller.signal.reason instanceof RequestTimeout) {
        observe?.({ status: 'timeout', durationMs: performance.now() - started });
        throw new RetryableApiError('ERR_API_TIMEOUT', `rerank request timed out after ${this.options.timeoutMs} ms`, { url });
      }
      observe?.({ status: 'network', durationMs: performance.now() - started });
      throw new RetryableApiError('ERR_API_NETWORK', `rerank request failed: ${describeNetworkError(error)}`, { url, cause: error });
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }

    const { status } = response;
    observe?.({ status, durationMs: performance.now() - started });
    const text = this.#redact(response.body);
    if (status >= 200 && status < 300) {
      const context = { url, status, body: text };
      return parseRerankResponse(parseJsonBody(context), documentCount, context, this.options.provider);
    }
    throw this.#errorForStatus(status, text, response.retryAfter);
  }

  /** A server echoing the key back must not put it into an error. */
  #redact(text: string): string {
    const key = this.options.apiKey;
    return key !== undefined && text.includes(key) ? text.split(key).join('[redacted]') : text;
  }

  #errorForStatus(status: number, body: string, retryAfterHeader: string | null): RerankApiError {
    const url = this.#displayUrl;
    const details = { url, status, responseBody: body };
    const what = `rerank API answered HTTP ${status}${snippet(body)}`;
    if (status === 401 || status === 403) return new AuthError({ ...details, keySent: this.options.apiKey !== undefined, said: snippet(body) });
    if (status === 429) {
      return new RetryableApiError('ERR_API_RATE_LIMITED', what, { ...details, retryAfterMs: parseRetryAfter(retryAfterHeader) });
    }
    if (status === 408) return new RetryableApiError('ERR_API_TIMEOUT', what, details);
    if (status >= 500) return new RetryableApiError('ERR_API_SERVER', what, { ...details, retryAfterMs: parseRetryAfter(retryAfterHeader) });
    let code: PermanentApiErrorCode = 'ERR_API_BAD_REQUEST';
    if (status === 404) code = 'ERR_API_NOT_FOUND';
    else if (status === 413) code = 'ERR_API_PAYLOAD_TOO_LARGE';
    else if (status === 422) code = 'ERR_API_UNPROCESSABLE';
    return new PermanentApiError(code, status < 400 ? `rerank API answered unexpected HTTP ${status}${snippet(body)}` : what, details);
  }
}
