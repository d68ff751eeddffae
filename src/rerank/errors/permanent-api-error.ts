import { RerankApiError, type RerankApiErrorDetails } from './rerank-api-error.js';

export type PermanentApiErrorCode = 'ERR_API_BAD_REQUEST' | 'ERR_API_NOT_FOUND' | 'ERR_API_UNPROCESSABLE' | 'ERR_API_PAYLOAD_TOO_LARGE';

/**
 * The API refused this request (400, 404, 422, other 4xx; 413 as ERR_API_PAYLOAD_TOO_LARGE so a caller can
 * split the batch). Retrying the same request cannot help; it is a failure of that batch only.
 */
export class PermanentApiError extends RerankApiError {
  declare readonly code: PermanentApiErrorCode;

  constructor(code: PermanentApiErrorCode, message: string, details: RerankApiErrorDetails) {
    super(code, message, details);
  }
}
