import type { ProviderName } from '../../rerank/providers/provider-name.js';
import { tokenize } from '../bm25-scorer.js';

/**
 * One provider's API as the built-in server speaks it: where it listens, what a request must hold, what
 * an answer and an error look like. Written from each provider's own documentation or source (named in
 * each module), never from the client's provider specs, so that the two can be checked against each other.
 */

/** An HTTP answer: status and body (JSON, plain text, or '' for none). */
export interface Reply {
  status: number;
  body: string;
  /** Default application/json. */
  contentType?: string;
}

/** A request that passed the dialect's checks, in the dialect's own field names' meaning. */
export interface DialectRequest {
  /** The model named, if any. */
  model: string | undefined;
  query: string;
  documents: string[];
  /** How many results to return (at most the number of documents). */
  topN: number;
  /** Whether the answer carries each document's text. */
  returnDocuments: boolean;
}

/** One scored document of an answer, best first. */
export interface Ranked {
  index: number;
  score: number;
}

export type ParseOutcome = { ok: true; request: DialectRequest } | { ok: false; reply: Reply };

export interface Dialect {
  readonly name: ProviderName;
  /** Paths the dialect answers on; the first is the documented one (the server's `url`). */
  readonly paths: readonly [string, ...string[]];
  /** The body field holding the documents (`documents`, `input`, `texts`). */
  readonly documentsField: string;
  /** Documented most documents per request: the server's default `maxDocuments`. */
  readonly maxDocuments: number;
  /** Whether the provider's 429 and 503 answers carry Retry-After. */
  readonly retryAfter: boolean;
  /** Check a parsed JSON body like the provider does. */
  parse(json: unknown): ParseOutcome;
  /** The answer to a body that is not JSON (`reason`: the parser's message). */
  invalidJson(reason: string): Reply;
  /** The answer to a request with more than `max` documents. */
  tooManyDocuments(documents: readonly string[], max: number): Reply;
  /** An error answer of `status` in the provider's error format. */
  error(status: number, message: string): Reply;
  /** The JSON text of a 200 answer; `sequence` numbers the answers (for ids). */
  render(request: DialectRequest, results: readonly Ranked[], sequence: number): string;
}

/** The model named in answers when a request names none (self-hosted servers serve one). */
export const SERVED_MODEL = 'rerank-batch-bm25';

export function json(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `sequence` as 16 hex digits. */
export function hexId(sequence: number): string {
  return sequence.toString(16).padStart(16, '0');
}

/** A version-4-shaped UUID numbered by `sequence` (deterministic, unlike a real one). */
export function uuidOf(sequence: number): string {
  const hex = sequence.toString(16).padStart(12, '0').slice(-12);
  return `00000000-0000-4000-8000-${hex}`;
}

/** Tokens a cross-encoder would read: the query once per document plus every document (BM25 tokens here). */
export function usageTokens(request: DialectRequest): number {
  const queryTokens = tokenize(request.query).length;
  let total = 0;
  for (const document of request.documents) total += queryTokens + tokenize(document).length;
  return total;
}

/** The number of results a `top_n`-like field asks for: all when absent, at most all. */
export function resultCount(requested: number | null | undefined, documents: number): number {
  return requested === undefined || requested === null ? documents : Math.min(requested, documents);
}

const STATUS_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The HTTP reason phrase of `status` ('Error' for one not listed). */
export function statusPhrase(status: number): string {
  return STATUS_PHRASES[status] ?? 'Error';
}
