import type { ErrorCode } from './error-codes.js';
import { RerankBatchError } from './rerank-batch-error.js';

/** A bad command line or option value. Exit code 2. */
export class UsageError extends RerankBatchError {
  constructor(message: string, code: ErrorCode = 'ERR_USAGE') {
    super(code, message);
  }
}
