import { createHash } from 'node:crypto';
import type { RerankJobPayload } from './rerank-job.js';

/**
 * Deterministic job id from run id, query and the batch's content (ids, texts and first-stage data):
 * submitting the same input twice yields the same ids, and BullMQ adds nothing for an id it holds.
 * Fields are length-prefixed so that no two different batches serialise alike. The batch is hashed as
 * one string: one hash update per field cost twice as much (~8 calls a document).
 */
export function rerankJobId(payload: RerankJobPayload): string {
  let key = '';
  const put = (value: string): void => {
    key += `${value.length}:${value}`;
  };
  put(payload.runId);
  put(payload.queryId);
  put(payload.query);
  put(payload.unscored === true ? 'unscored' : '');
  for (const doc of payload.docs) {
    put(doc.id);
    put(doc.text);
    put(doc.score === undefined ? '' : String(doc.score));
    put(doc.rank === undefined ? '' : String(doc.rank));
    // Unprefixed marks ('#' never starts a length): batches without copies or passages keep their old ids.
    if (doc.copyOf !== undefined) key += `#c${doc.copyOf}`;
    if (doc.passages !== undefined) key += `#p${doc.passages}`;
  }
  // BullMQ ids must not be integers nor contain ':'; hex with a prefix is neither.
  return `b-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}
