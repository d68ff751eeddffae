import type { ErrorCode } from '../../errors/error-codes.js';
import { RerankBatchError } from '../../errors/rerank-batch-error.js';

/** The codes of the rerank API errors. */
export type ApiErrorCode = Extract<ErrorCode, `ERR_API_${string}`>;

/** Largest response body (in UTF-8 bytes) an API error keeps, so a huge HTML error page cannot bloat logs. */
export const MAX_ERROR_BODY_BYTES = 2048;

/** Facts about one failed API exchange. Never holds the API key or the Authorization header. */
export interface RerankApiErrorDetails {
  /** HTTP status, when a response arrived. */
  status?: number | undefined;
  /** Endpoint URL (any `user:password@` part removed). */
  url: string;
  /** Attempts made so far (1 for the first request); set to the final count when the client gives up. */
  attempts?: number | undefined;
  /** Response body text, truncated to {@link MAX_ERROR_BODY_BYTES}. */
  responseBody?: string | undefined;
  cause?: unknown;
}

/** Cut `text` to at most `maxBytes` UTF-8 bytes without splitting a character; marks the cut with "…". */
export function truncateBody(text: string, maxBytes = MAX_ERROR_BODY_BYTES): string {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text) <= maxBytes) return text;
  const cut = Buffer.from(text).subarray(0, maxBytes);
  // A cut inside a multi-byte sequence decodes to U+FFFD: drop it.
  return `${cut.toString('utf8').replace(/\uFFFD$/, '')}…`;
}

/** `https://u:p@host/x` -> `https://host/x`: credentials in a URL must not reach an error message. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '[invalid url]';
  }
}

/**
 * Base of every rerank API failure (in the style of ky's HTTPError): carries the request and response
 * facts a caller needs to decide and report, never the API key.
 */
export class RerankApiError extends RerankBatchError {
  declare readonly code: ApiErrorCode;
  readonly status: number | undefined;
  readonly url: string;
  attempts: number;
  readonly responseBody: string | undefined;

  constructor(code: ApiErrorCode, message: string, details: RerankApiErrorDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.url = details.url;
    this.attempts = details.attempts ?? 1;
    this.responseBody = details.responseBody === undefined ? undefined : truncateBody(details.responseBody);
  }
}
