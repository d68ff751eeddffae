import type { ErrorCode } from './error-codes.js';
import { InputError } from './input-error.js';
import { RerankBatchError } from './rerank-batch-error.js';
import { UsageError } from './usage-error.js';

/** An error as it crosses from a worker thread: what it takes to throw the same class, code and message. */
export interface SerializedError {
  name: string;
  message: string;
  code?: ErrorCode;
  reason?: string;
  file?: string;
  line?: number;
  field?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const serialized: SerializedError = { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  if (error instanceof RerankBatchError) serialized.code = error.code;
  if (error instanceof InputError) {
    serialized.reason = error.reason;
    serialized.file = error.file;
    if (error.line !== undefined) serialized.line = error.line;
    if (error.field !== undefined) serialized.field = error.field;
  }
  return serialized;
}

/** The same class, code and message on this side of the thread boundary. */
export function deserializeError(error: SerializedError): Error {
  let rebuilt: Error;
  if (error.name === 'InputError' && error.code !== undefined && error.file !== undefined) {
    const where = { file: error.file, ...(error.line === undefined ? {} : { line: error.line }), ...(error.field === undefined ? {} : { field: error.field }) };
    rebuilt = new InputError(error.code, error.reason ?? error.message, where);
  } else if (error.name === 'UsageError') {
    rebuilt = new UsageError(error.message, error.code);
  } else if (error.code !== undefined) {
    rebuilt = new RerankBatchError(error.code, error.message);
  } else {
    rebuilt = new Error(error.message);
  }
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
