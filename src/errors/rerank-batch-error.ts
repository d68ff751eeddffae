import type { ErrorCode } from './error-codes.js';

/**
 * Base class of every error rerank-batch raises on purpose. `code` is stable and documented in the
 * README; messages may change between versions, codes do not.
 */
export class RerankBatchError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
