import { RetryableApiError } from './errors/retryable-api-error.js';
import { providersReading, type ProviderSpec } from './providers/index.js';

/** Where the response came from, for the error. */
export interface ResponseContext {
  url: string;
  status: number;
  /** Raw body text, kept (truncated) on the error. */
  body: string;
}

function malformed(reason: string, context: ResponseContext, extra: { cause?: unknown; shapeMismatch?: boolean } = {}): RetryableApiError {
  return new RetryableApiError('ERR_API_MALFORMED_RESPONSE', `malformed rerank response: ${reason}`, {
    status: context.status,
    url: context.url,
    responseBody: context.body,
    cause: extra.cause,
    shapeMismatch: extra.shapeMismatch,
  });
}

/**
 * Validate a parsed answer of `provider` for a request of `documentCount` documents and return the scores
 * in the request's document order (`scores[i]` belongs to `documents[i]`), exactly as JSON.parse read
 * them. Every index 0..n-1 must appear exactly once with a finite score; anything else is a
 * RetryableApiError ERR_API_MALFORMED_RESPONSE saying what is wrong. An answer of another shape altogether
 * is marked `shapeMismatch` and names the providers whose shape it has.
 */
export function parseRerankResponse(json: unknown, documentCount: number, context: ResponseContext, provider: ProviderSpec): number[] {
  const results = provider.readResults(json);
  if (typeof results === 'string') {
    const fits = providersReading(json);
    const hint = fits.length > 0 ? ` (it has the shape of ${fits.join(', ')} answers: is --provider ${provider.name} right?)` : ` (not a ${provider.name} answer)`;
    throw malformed(`${results}${hint}`, context, { shapeMismatch: true });
  }
  const scores = new Array<number>(documentCount);
  const seen = new Uint8Array(documentCount);
  for (const { index, score } of results) {
    if (index >= documentCount) throw malformed(`index ${index} out of range (${documentCount} documents sent)`, context);
    if (seen[index] === 1) throw malformed(`index ${index} appears twice`, context);
    if (!Number.isFinite(score)) throw malformed(`index ${index}: score is not a finite number`, context);
    seen[index] = 1;
    scores[index] = score;
  }
  if (results.length !== documentCount) {
    const missing = seen.indexOf(0);
    throw malformed(`index ${missing} missing (${results.length} of ${documentCount} results)`, context);
  }
  return scores;
}

/** JSON.parse the body; a body that is not JSON is ERR_API_MALFORMED_RESPONSE. */
export function parseJsonBody(context: ResponseContext): unknown {
  try {
    return JSON.parse(context.body);
  } catch (error) {
    const reason = context.body.length === 0 ? 'empty body' : 'body is not valid JSON';
    throw malformed(reason, context, { cause: error });
  }
}
