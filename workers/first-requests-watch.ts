import type { RerankApiError } from '../src/rerank/errors/rerank-api-error.js';
import { RetryableApiError } from '../src/rerank/errors/retryable-api-error.js';
import { PROVIDERS, type ProviderName } from '../src/rerank/providers/index.js';

/** Failures in a row, before any success, after which a run is taken to be misconfigured. */
export const MISCONFIGURED_AFTER = 3;

/** Failures retrying cannot mend when they are all a run has seen: a wrong path, wrong fields, another dialect's answers. */
function isSystematic(error: RerankApiError): boolean {
  if (error instanceof RetryableApiError) return error.code === 'ERR_API_MALFORMED_RESPONSE' && error.shapeMismatch;
  return error.code === 'ERR_API_NOT_FOUND' || error.code === 'ERR_API_BAD_REQUEST' || error.code === 'ERR_API_UNPROCESSABLE';
}

/**
 * Watches the first requests of a run in this process. While none has succeeded, the same systematic
 * failure MISCONFIGURED_AFTER times (transient failures between them neither count nor break the streak;
 * another systematic failure starts it again) means the run cannot work as configured (wrong --provider or
 * --api-url): `failed` then answers with the reason, and the caller stops the run, instead of every batch
 * spending its retries and attempts. One success and the watch is off: a later 422 or a malformed answer
 * inside a healthy run is that batch's failure, retried or failed as usual.
 */
export class FirstRequestsWatch {
  #healthy = false;
  #signature: string | undefined;
  #count = 0;
  #verdict: string | undefined;

  constructor(
    private readonly provider: ProviderName,
    private readonly url: string,
  ) {}

  succeeded(): void {
    this.#healthy = true;
  }

  /** The reason to stop the run, once it is misconfigured (and from then on); undefined otherwise. */
  get verdict(): string | undefined {
    return this.#verdict;
  }

  /** Record a failed attempt; returns the verdict when this failure settles it. */
  failed(error: RerankApiError): string | undefined {
    if (this.#verdict !== undefined) return this.#verdict;
    if (this.#healthy || !isSystematic(error)) return undefined;
    const signature = `${error.code} ${error.status ?? ''}`;
    if (signature !== this.#signature) {
      this.#signature = signature;
      this.#count = 0;
    }
    this.#count += 1;
    if (this.#count >= MISCONFIGURED_AFTER) this.#verdict = this.#explain(error);
    return this.#verdict;
  }

  #explain(error: RerankApiError): string {
    const spec = PROVIDERS[this.provider];
    const first = `the first ${this.#count} requests to ${this.url} all failed the same way (${error.message})`;
    if (error.code === 'ERR_API_NOT_FOUND') {
      return `${first}: the URL is not a rerank endpoint; --provider ${spec.name} posts to its documented path ${spec.path} (e.g. ${spec.endpoint}): check --api-url and --provider`;
    }
    if (error.code === 'ERR_API_MALFORMED_RESPONSE') return `${first}: the answers are not ${spec.title} answers: check --provider (or --api-url)`;
    const fields = Object.keys(spec.requestBody({ model: spec.defaultModel ?? 'm', query: 'q', documents: ['d'], maxTokensPerDoc: undefined })).join(', ');
    return `${first}: the server refused the request itself; --provider ${spec.name} sends the fields ${fields}: check --provider, --model and --api-url`;
  }
}
