export { RerankClient, type RerankOutcome, type RerankCallOptions } from './rerank-client.js';
export { normalizeClientOptions, CLIENT_DEFAULTS, type RerankClientOptions, type NormalizedClientOptions, type RequestObserver, type RequestRecord } from './client-options.js';
export {
  formatQuery,
  formatDocument,
  resolvePromptFormat,
  DEFAULT_INSTRUCTION,
  PROMPT_TEMPLATES,
  TEMPLATE_SETTINGS,
  QWEN3_FORMAT,
  RAW_FORMAT,
  type PromptTemplate,
  type PromptFormat,
  type TemplateSetting,
} from './prompt.js';
export { PROVIDERS, PROVIDER_NAMES, DEFAULT_PROVIDER, providersReading, errorMessageOf, type ProviderName, type ProviderSpec, type ProviderLimits, type BillingUnit } from './providers/index.js';
export { parseRerankResponse, parseJsonBody, type ResponseContext } from './response.js';
export { parseRetryAfter } from './retry-after.js';
export { RerankApiError, MAX_ERROR_BODY_BYTES, truncateBody, safeUrl, type RerankApiErrorDetails } from './errors/rerank-api-error.js';
export { RetryableApiError, type RetryableApiErrorCode } from './errors/retryable-api-error.js';
export { PermanentApiError, type PermanentApiErrorCode } from './errors/permanent-api-error.js';
export { AuthError, API_KEY_ENV } from './errors/auth-error.js';
