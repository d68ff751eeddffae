import { createHash } from 'node:crypto';
import type { SubmitSettings } from '../options/run-options.js';

/** The options that change what is sent to the API or how it is batched: they name the run. */
export type RunIdentity = Pick<
  SubmitSettings,
  'depth' | 'onEmptyText' | 'maxDocumentBytes' | 'onLongDocument' | 'format' | 'columns' | 'onBadRow' | 'apiUrl' | 'model' | 'template' | 'instruction' | 'maxDocsPerRequest' | 'maxRequestBytes'
>;

/**
 * A run id derived from the input's content and every option that changes what is sent or how it is
 * batched: the same command on the same input resumes the same run; any such change starts a new one.
 * The built-in server's URL changes with its port, so it counts as "builtin". The key's shape must stay
 * as it is: a changed id would orphan runs in flight (a test pins it).
 */
export function deriveRunId(inputSha256: Record<string, string>, options: RunIdentity): string {
  const key = JSON.stringify({
    inputs: Object.entries(inputSha256).sort(),
    depth: options.depth ?? null,
    onEmptyText: options.onEmptyText,
    maxDocumentBytes: options.maxDocumentBytes,
    onLongDocument: options.onLongDocument,
    format: options.format ?? null,
    columns: Object.entries(options.columns ?? {}).sort(),
    onBadRow: options.onBadRow,
    api: options.apiUrl ?? 'builtin',
    model: options.model,
    template: options.template,
    instruction: options.instruction,
    maxDocsPerRequest: options.maxDocsPerRequest,
    maxRequestBytes: options.maxRequestBytes,
  });
  return `r${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
