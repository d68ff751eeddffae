import { UsageError } from '../errors/usage-error.js';
import { DEFAULT_INSTRUCTION, PROMPT_TEMPLATES, type PromptTemplate } from './prompt.js';
import type { RetryableApiError } from './errors/retryable-api-error.js';

export const DEFAULT_MODEL = 'Qwen3-Reranker-4B';

/** Options of {@link RerankClient}. Only `apiUrl` is required. */
export interface RerankClientOptions {
  /** Full endpoint URL, e.g. `https://api.regolo.ai/rerank`. Required; http or https. */
  apiUrl: string;
  /** Bearer token. The CLI reads it from RERANK_API_KEY. No Authorization header is sent without one. */
  apiKey?: string | undefined;
  /** Model id sent with every request. Default 'Qwen3-Reranker-4B'. */
  model?: string | undefined;
  /** Prompt template: 'qwen3' (tags, default) or 'none' (raw text). */
  template?: PromptTemplate | undefined;
  /** `<Instruct>` text for the qwen3 template. Default {@link DEFAULT_INSTRUCTION}. */
  instruction?: string | undefined;
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
   * Called before each retry, for metrics and logging: the error that failed attempt `attempt`
   * (1-based) and the wait before the next one, in ms.
   */
  onRetry?: ((error: RetryableApiError, attempt: number, delayMs: number) => void) | undefined;
}

/** Options with every default applied and every value checked. */
export interface NormalizedClientOptions {
  apiUrl: string;
  apiKey: string | undefined;
  model: string;
  template: PromptTemplate;
  instruction: string;
  timeoutMs: number;
  retries: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  factor: number;
  jitter: boolean;
  maxRetryAfterMs: number;
  onRetry: ((error: RetryableApiError, attempt: number, delayMs: number) => void) | undefined;
}

export const CLIENT_DEFAULTS = {
  model: DEFAULT_MODEL,
  template: 'qwen3',
  instruction: DEFAULT_INSTRUCTION,
  timeoutMs: 60_000,
  retries: 5,
  minRetryDelayMs: 500,
  maxRetryDelayMs: 30_000,
  factor: 2,
  jitter: true,
  maxRetryAfterMs: 120_000,
} as const satisfies Partial<NormalizedClientOptions>;

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

  const model = options.model ?? CLIENT_DEFAULTS.model;
  if (typeof model !== 'string' || model.trim() === '') bad('model', 'must be a non-empty string');

  const template = options.template ?? CLIENT_DEFAULTS.template;
  if (!PROMPT_TEMPLATES.includes(template)) bad('template', `expected one of ${PROMPT_TEMPLATES.join(', ')}, got ${String(template)}`);

  const instruction = options.instruction ?? CLIENT_DEFAULTS.instruction;
  if (typeof instruction !== 'string' || instruction.trim() === '') bad('instruction', 'must be a non-empty string');

  const minRetryDelayMs = number('minRetryDelayMs', options.minRetryDelayMs, CLIENT_DEFAULTS.minRetryDelayMs, { min: 0 });
  const maxRetryDelayMs = number('maxRetryDelayMs', options.maxRetryDelayMs, Math.max(CLIENT_DEFAULTS.maxRetryDelayMs, minRetryDelayMs), { min: 0 });
  if (maxRetryDelayMs < minRetryDelayMs) bad('maxRetryDelayMs', `must be >= minRetryDelayMs (${minRetryDelayMs}), got ${maxRetryDelayMs}`);

  const jitter = options.jitter ?? CLIENT_DEFAULTS.jitter;
  if (typeof jitter !== 'boolean') bad('jitter', 'expected a boolean');
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') bad('onRetry', 'expected a function');

  return {
    apiUrl: parsed.toString(),
    apiKey,
    model: model.trim(),
    template,
    instruction,
    timeoutMs: number('timeoutMs', options.timeoutMs, CLIENT_DEFAULTS.timeoutMs, { min: 0, positive: true }),
    retries: number('retries', options.retries, CLIENT_DEFAULTS.retries, { min: 0, integer: true }),
    minRetryDelayMs,
    maxRetryDelayMs,
    factor: number('factor', options.factor, CLIENT_DEFAULTS.factor, { min: 1 }),
    jitter,
    maxRetryAfterMs: number('maxRetryAfterMs', options.maxRetryAfterMs, CLIENT_DEFAULTS.maxRetryAfterMs, { min: 0 }),
    onRetry: options.onRetry,
  };
}
