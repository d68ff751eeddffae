import { RerankApiError, type RerankApiErrorDetails } from './rerank-api-error.js';

export type RetryableApiErrorCode =
  | 'ERR_API_NETWORK'
  | 'ERR_API_TIMEOUT'
  | 'ERR_API_RATE_LIMITED'
  | 'ERR_API_SERVER'
  | 'ERR_API_MALFORMED_RESPONSE';

/**
 * A transient failure worth retrying: network error, timeout (or HTTP 408), 429, 5xx, or a response
 * that is not the documented shape.
 */
export class RetryableApiError extends RerankApiError {
  declare readonly code: RetryableApiErrorCode;
  /** Wait the server asked for (Retry-After, seconds or HTTP-date), in ms; not yet capped. */
  readonly retryAfterMs: number | undefined;
  /** ERR_API_MALFORMED_RESPONSE only: valid JSON of another shape (a wrong --provider?), not a cut or garbled body. */
  readonly shapeMismatch: boolean;

  constructor(code: RetryableApiErrorCode, message: string, details: RerankApiErrorDetails & { retryAfterMs?: number | undefined; shapeMismatch?: boolean | undefined }) {
    super(code, message, details);
    this.retryAfterMs = details.retryAfterMs;
    this.shapeMismatch = details.shapeMismatch === true;
  }
}
