import { RerankApiError, type RerankApiErrorDetails } from './rerank-api-error.js';

/** Environment variable the CLI reads the API key from (named in messages; its value never is). */
export const API_KEY_ENV = 'RERANK_API_KEY';

/** 401/403: the key is missing, wrong or not allowed. Fatal for the whole run. Code ERR_API_AUTH. */
export class AuthError extends RerankApiError {
  declare readonly code: 'ERR_API_AUTH';

  /** `said`: the API's own message, as `: text` (empty when it gave none). */
  constructor(details: RerankApiErrorDetails & { status: number; keySent: boolean; said?: string | undefined }) {
    const why = details.keySent ? 'the API key was rejected' : 'no API key was sent';
    super('ERR_API_AUTH', `rerank API answered HTTP ${details.status}${details.said ?? ''} (${why}): check ${API_KEY_ENV}`, details);
  }
}
