import type { SourcePosition } from '../interfaces.js';
import type { ErrorCode } from './error-codes.js';
import { RerankBatchError } from './rerank-batch-error.js';

/**
 * Bad input data. The message always names the file and line (and the field when one is at fault),
 * e.g. `pairs.csv:12: field "doc_id": empty value`. Exit code 2.
 */
export class InputError extends RerankBatchError {
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  /** The message without its position prefix. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, where: Partial<SourcePosition> & { file: string }, options?: { cause?: unknown }) {
    const at = where.line === undefined ? where.file : `${where.file}:${where.line}`;
    const field = where.field === undefined ? '' : ` field "${where.field}":`;
    super(code, `${at}:${field} ${reason}`, options);
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
    this.reason = reason;
  }
}
