/**
 * BullMQ keeps only a message string for a failed job (`failedReason`). Workers put the error's stable
 * code and class in front of the message so the collector can write them to failures.jsonl.
 */
export interface FailureReason {
  code: string;
  errorClass: string;
  message: string;
}

const PATTERN = /^\[([A-Z0-9_]+) ([A-Za-z0-9_]+)\] ([\s\S]*)$/;

/** `code`: an ERROR_CODES entry (src/errors/error-codes.ts) or another error's own code; a string, as jobs/ does not import src/. */
export function encodeFailure(code: string, errorClass: string, message: string): string {
  return `[${code} ${errorClass}] ${message}`;
}

/** Decode a failedReason; a reason from elsewhere (a stalled job, a crash) keeps its text under a generic code. */
export function decodeFailure(reason: string | undefined): FailureReason {
  const match = PATTERN.exec(reason ?? '');
  if (match === null) return { code: 'ERR_JOB_FAILED', errorClass: 'Error', message: reason ?? 'unknown failure' };
  return { code: match[1] as string, errorClass: match[2] as string, message: match[3] as string };
}
