import type { ProviderName } from './provider-name.js';

/**
 * Vocabulary of providers:
 * - **provider**: one rerank API dialect: request and response shape, auth, documented limits, billing;
 * - **billing unit**: what the provider charges for: a request (self-hosted servers), a search unit
 *   (Cohere: one query with up to 100 documents) or tokens (Jina, Voyage, Mixedbread);
 * - **approximate token**: 4 UTF-8 bytes of text; no tokenizer runs here, so token limits are kept with
 *   this estimate (about right for English, low for scripts of 3-byte characters).
 */
export type BillingUnit = 'request' | 'search-unit' | 'token';

export interface ProviderLimits {
  /** Most documents in one request. */
  maxDocsPerRequest: number;
  /** Most bytes of document text in one request (UTF-8, plus 16 per document). */
  maxRequestBytes: number;
  /** Most approximate tokens in one request, counted as query tokens x documents + document tokens. */
  maxTokensPerRequest?: number;
  /** Longest document sent, in approximate tokens. */
  maxTokensPerDoc?: number;
}

/** One scored document of an answer: its index in the request and its score. */
export interface ResultItem {
  index: number;
  score: number;
}

/** What a request carries, before the provider shapes it. */
export interface ProviderRequest {
  /** Undefined: the request names no model (the server serves one). */
  model: string | undefined;
  query: string;
  documents: string[];
  /** Passed to providers that take a per-document token cap (Cohere's max_tokens_per_doc). */
  maxTokensPerDoc: number | undefined;
}

export interface ProviderSpec {
  name: ProviderName;
  title: string;
  /** The API reference the shapes and limits below were taken from. */
  reference: string;
  /** The documented endpoint: the hosted API, or a self-hosted server's usual local address. */
  endpoint: string;
  /** A hosted, paid API (its endpoint is used when a key is set and no URL is given). */
  hosted: boolean;
  /** The documented path of the endpoint (the built-in server's dialect answers there). */
  path: string;
  /** Model named when the user names none; undefined: no model field is sent unless the user names one. */
  defaultModel: string | undefined;
  limits: ProviderLimits;
  /** Where each limit comes from, for the README. */
  limitsNote: string;
  billing: { unit: BillingUnit; documentsPerUnit?: number };
  /** How the provider signals a rate limit, for the README. */
  rateLimitNote: string;
  /** The JSON body of a request. */
  requestBody(request: ProviderRequest): Record<string, unknown>;
  /** The scored documents of a 200 answer, or what is wrong with its shape. */
  readResults(json: unknown): ResultItem[] | string;
}

/** `{"error": {"message"}}`, `{"error": "..."}`, `{"message"}`, `{"detail": "..." | [{msg}]}`: every error body the providers document. */
export function errorMessageOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const record = json as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>).message === 'string') return (error as Record<string, string>).message;
  if (typeof record.message === 'string') return record.message;
  const detail = record.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    // FastAPI's validation list: [{loc: ['body', 'texts'], msg: 'Field required'}] -> "body.texts: Field required".
    const messages = detail.map((item: unknown) => {
      if (typeof item !== 'object' || item === null) return undefined;
      const { msg, loc } = item as Record<string, unknown>;
      if (typeof msg !== 'string') return undefined;
      return Array.isArray(loc) && loc.length > 0 ? `${loc.map(String).join('.')}: ${msg}` : msg;
    });
    const known = messages.filter((m): m is string => m !== undefined);
    if (known.length > 0) return known.join('; ');
  }
  return undefined;
}
