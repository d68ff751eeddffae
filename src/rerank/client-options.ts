import { UsageError } from '../errors/usage-error.js';
import { DEFAULT_INSTRUCTION, resolvePromptFormat, type PromptFormat } from './prompt.js';
import type { RerankApiError } from './errors/rerank-api-error.js';
import type { RetryableApiError } from './errors/retryable-api-error.js';
import { PROVIDERS, PROVIDER_NAMES, DEFAULT_PROVIDER, type ProviderName, type ProviderSpec } from './providers/index.js';

/** Options of {@link RerankClient}. Only `apiUrl` is required. */
export interface RerankClientOptions {
  /** Full endpoint URL, e.g. `https://api.regolo.ai/rerank`. Required; http or https. */
  apiUrl: string;
  /** Bearer token. The CLI reads it from RERANK_API_KEY. No Authorization header is sent without one. */
  apiKey?: string | undefined;
  /** The API's dialect (request and answer shape). Default 'regolo'. */
  provider?: ProviderName | undefined;
  /** Model id sent with every request. Default the provider's (regolo: 'Qwen3-Reranker-4B'; none for servers that serve one). */
  model?: string | undefined;
  /** How query and documents are written: default Qwen3 tags for a Qwen3 reranker model, raw text otherwise. */
  format?: PromptFormat | undefined;
  /** `{instruction}` of the format. Default {@link DEFAULT_INSTRUCTION}. */
  instruction?: string | undefined;
  /** Sent to providers that take a per-document token cap (Cohere's max_tokens_per_doc). */
  maxTokensPerDoc?: number | undefined;
  /** Timeout of one HTTP request (headers and body), in ms. Default 60000. */
  timeoutMs?: number | undefined;
  /** In-process retries after the first attempt (so up to retries+1 requests). Default 5. */
  retries?: number | undefined;
  /** Backoff before the first retry, in ms. Default 500. */
  minRetryDelayMs?: number | undefined;
  /** Cap of one backoff delay, in ms. Default 30000. */
  maxRetryDelayMs?: number | undefined;
  /** Exponential backoff factor. Default 2. */
  factor?: number | undefined;
  /** Multiply each backoff by a random factor in [1, 2) (p-retry's `randomize`). Default true. */
  jitter?: boolean | undefined;
  /** Cap on a server's Retry-After, in ms (a server asking for an hour must not stall the run). Default 120000. */
  maxRetryAfterMs?: number | undefined;
  /**
   * Told of every failed attempt's API error; true stops retrying a retryable one (it is thrown at once).
   * The worker uses it to stop a run whose first requests all fail the same way.
   */
  giveUp?: ((error: RerankApiError) => boolean) | undefined;
  /**
   * Called before each retry, for metrics and logging: the error that failed attempt `attempt`
   * (1-based) and the wait before the next one, in ms.
   */
  onRetry?: ((error: RetryableApiError, attempt: number, delayMs: number) => void) | undefined;
  /** Told of every HTTP request once it has ended (metrics). Without it no request is timed. */
  onRequest?: RequestObserver | undefined;
}

/** One HTTP request of the client, as an observer sees it. */
export interface RequestRecord {
  /** The HTTP status answered, or why there was none: a network error, our timeout, the caller's abort. */
  status: number | 'network' | 'timeout' | 'aborted';
  /** From sending the request to the end of its answer (or its failure), ms. */
  durationMs: number;
}

export type RequestObserver = (request: RequestRecord) => void;

/** Options with every default applied and every value checked. */
export interface NormalizedClientOptions {
  apiUrl: string;
  apiKey: string | undefined;
  provider: ProviderSpec;
  model: string | undefined;
  format: PromptFormat;
  instruction: string;
  maxTokensPerDoc: number | undefined;
  giveUp: ((error: RerankApiError) => boolean) | undefined;
  timeoutMs: number;
  retries: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  factor: number;
  jitter: boolean;
  maxRetryAfterMs: number;
  onRetry: ((error: RetryableApiError, attempt: number, delayMs: number) => void) | undefined;
  onRequest: RequestObserver | undefined;
}

export const CLIENT_DEFAULTS = {
  provider: DEFAULT_PROVIDER,
  instruction: DEFAULT_INSTRUCTION,
  timeoutMs: 60_000,
  retries: 5,
  minRetryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  factor: 2,
  jitter: true,
  maxRetryAfterMs: 120_000,
} as const satisfies Partial<Omit<NormalizedClientOptions, 'provider'>> & { provider: ProviderName };

function bad(option: string, reason: string): never {
  throw new UsageError(`rerank client option ${option}: ${reason}`, 'ERR_USAGE');
}

function number(option: string, value: number | undefined, fallback: number, rule: { min: number; integer?: boolean; positive?: boolean }): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(option, `expected a finite number, got ${String(value)}`);
  if (rule.integer === true && !Number.isInteger(value)) bad(option, `expected an integer, got ${value}`);
  if (rule.positive === true ? value <= rule.min : value < rule.min) bad(option, `expected ${rule.positive === true ? '>' : '>='} ${rule.min}, got ${value}`);
  return value;
}

/**
 * The one place client options get their defaults and checks (csv-parse's normalize_options style).
 * Throws UsageError naming the option for a bad value.
 */
export function normalizeClientOptions(options: RerankClientOptions): NormalizedClientOptions {
  const apiUrl = options.apiUrl;
  if (typeof apiUrl !== 'string' || apiUrl.trim() === '') bad('apiUrl', 'required (the full rerank endpoint URL)');
  let parsed: URL;
  try {
    parsed = new URL(apiUrl.trim());
  } catch {
    bad('apiUrl', 'not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') bad('apiUrl', `expected an http(s) URL, got ${parsed.protocol}`);
  if (parsed.username !== '' || parsed.password !== '') bad('apiUrl', 'must not contain credentials (pass the key as apiKey / RERANK_API_KEY)');

  const apiKey = options.apiKey === undefined || options.apiKey.trim() === '' ? undefined : options.apiKey.trim();
  if (apiKey !== undefined && /[\r\n]/.test(apiKey)) bad('apiKey', 'contains a line break');

  const providerName = options.provider ?? CLIENT_DEFAULTS.provider;
  if (!PROVIDER_NAMES.includes(providerName)) bad('provider', `expected one of ${PROVIDER_NAMES.join(', ')}, got ${String(providerName)}`);
  const provider = PROVIDERS[providerName];

  const model = options.model ?? provider.defaultModel;
  if (model !== undefined && (typeof model !== 'string' || model.trim() === '')) bad('model', 'must be a non-empty string');

  let format = options.format;
  if (format === undefined) {
    const auto = resolvePromptFormat({ template: 'auto', model });
    if (typeof auto === 'string') bad('format', auto);
    format = auto;
  }
  if (typeof format.query !== 'string' || !format.query.includes('{query}')) bad('format', 'the query pattern must contain {query}');
  if (typeof format.document !== 'string' || !format.document.includes('{document}')) bad('format', 'the document pattern must contain {document}');

  const instruction = options.instruction ?? CLIENT_DEFAULTS.instruction;
  if (typeof instruction !== 'string' || instruction.trim() === '') bad('instruction', 'must be a non-empty string');

  const minRetryDelayMs = number('minRetryDelayMs', options.minRetryDelayMs, CLIENT_DEFAULTS.minRetryDelayMs, { min: 0 });
  const maxRetryDelayMs = number('maxRetryDelayMs', options.maxRetryDelayMs, Math.max(CLIENT_DEFAULTS.maxRetryDelayMs, minRetryDelayMs), { min: 0 });
  if (maxRetryDelayMs < minRetryDelayMs) bad('maxRetryDelayMs', `must be >= minRetryDelayMs (${minRetryDelayMs}), got ${maxRetryDelayMs}`);

  const jitter = options.jitter ?? CLIENT_DEFAULTS.jitter;
  if (typeof jitter !== 'boolean') bad('jitter', 'expected a boolean');
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') bad('onRetry', 'expected a function');
  if (options.onRequest !== undefined && typeof options.onRequest !== 'function') bad('onRequest', 'expected a function');
  if (options.giveUp !== undefined && typeof options.giveUp !== 'function') bad('giveUp', 'expected a function');
  const maxTokensPerDoc = options.maxTokensPerDoc === undefined ? undefined : number('maxTokensPerDoc', options.maxTokensPerDoc, 0, { min: 1, integer: true });

  return {
    apiUrl: parsed.toString(),
    apiKey,
    provider,
    model: model?.trim(),
    format,
    instruction,
    maxTokensPerDoc,
    giveUp: options.giveUp,
    timeoutMs: number('timeoutMs', options.timeoutMs, CLIENT_DEFAULTS.timeoutMs, { min: 0, positive: true }),
    retries: number('retries', options.retries, CLIENT_DEFAULTS.retries, { min: 0, integer: true }),
    minRetryDelayMs,
    maxRetryDelayMs,
    factor: number('factor', options.factor, CLIENT_DEFAULTS.factor, { min: 1 }),
    jitter,
    maxRetryAfterMs: number('maxRetryAfterMs', options.maxRetryAfterMs, CLIENT_DEFAULTS.maxRetryAfterMs, { min: 0 }),
    onRetry: options.onRetry,
    onRequest: options.onRequest,
  };
}
