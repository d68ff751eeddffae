import { createHash } from 'node:crypto';
import type { RequestShape } from '../options/request-shape.js';
import type { SubmitSettings } from '../options/run-options.js';

/** The options that change what is read or where it is sent: with the request shape, they name the run. */
export type RunIdentity = Pick<SubmitSettings, 'depth' | 'onEmptyText' | 'maxDocumentBytes' | 'onLongDocument' | 'format' | 'columns' | 'onBadRow' | 'apiUrl'>;

/**
 * A run id derived from the input's content and every option that changes what is sent or how it is
 * batched: the same command on the same input resumes the same run; any such change starts a new one.
 * The built-in server's URL changes with its port, so it counts as "builtin". The key's shape must stay
 * as it is: a changed id would orphan runs in flight (a test pins it); settings added since are keyed
 * only when they differ from what runs had before them (the seed provider, no token caps, no passages).
 */
export function deriveRunId(inputSha256: Record<string, string>, options: RunIdentity, shape: RequestShape): string {
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
    model: shape.model,
    template: shape.format.name,
    instruction: shape.instruction,
    maxDocsPerRequest: shape.maxDocsPerRequest,
    maxRequestBytes: shape.maxRequestBytes,
    ...(shape.provider === 'regolo' ? {} : { provider: shape.provider }),
    ...(shape.format.name === 'custom' ? { queryTemplate: shape.format.query, documentTemplate: shape.format.document } : {}),
    ...(shape.maxTokensPerRequest === undefined ? {} : { maxTokensPerRequest: shape.maxTokensPerRequest }),
    ...(shape.maxTokensPerDoc === undefined ? {} : { maxTokensPerDoc: shape.maxTokensPerDoc }),
    ...(shape.passages === undefined ? {} : { passages: shape.passages }),
  });
  return `r${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
