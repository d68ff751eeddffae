import { z } from 'zod';
import { RetryableApiError } from './errors/retryable-api-error.js';

/** The part of a rerank response we rely on; other fields (id, meta, document, ...) pass through unchecked. */
const ResponseSchema = z.looseObject({
  results: z.array(
    z.looseObject({
      index: z.number().int().nonnegative(),
      relevance_score: z.number(),
    }),
  ),
});

/** Where the response came from, for the error. */
export interface ResponseContext {
  url: string;
  status: number;
  /** Raw body text, kept (truncated) on the error. */
  body: string;
}

function malformed(reason: string, context: ResponseContext, cause?: unknown): RetryableApiError {
  return new RetryableApiError('ERR_API_MALFORMED_RESPONSE', `malformed rerank response: ${reason}`, {
    status: context.status,
    url: context.url,
    responseBody: context.body,
    cause,
  });
}

/**
 * Validate a parsed rerank response for a request of `documentCount` documents and return the scores in
 * the request's document order (`scores[i]` belongs to `documents[i]`), exactly as JSON.parse read them.
 * Every index 0..n-1 must appear exactly once with a finite score; anything else is a
 * RetryableApiError ERR_API_MALFORMED_RESPONSE saying what is wrong.
 */
export function parseRerankResponse(json: unknown, documentCount: number, context: ResponseContext): number[] {
  const parsed = ResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
    throw malformed(`${where}: ${issue?.message ?? 'unexpected shape'}`, context);
  }
  const results = parsed.data.results;
  const scores = new Array<number>(documentCount);
  const seen = new Uint8Array(documentCount);
  for (const result of results) {
    const { index, relevance_score: score } = result;
    if (index >= documentCount) throw malformed(`index ${index} out of range (${documentCount} documents sent)`, context);
    if (seen[index] === 1) throw malformed(`index ${index} appears twice`, context);
    if (!Number.isFinite(score)) throw malformed(`index ${index}: relevance_score is not a finite number`, context);
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
    throw malformed(reason, context, error);
  }
}
