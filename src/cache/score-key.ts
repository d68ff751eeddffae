import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';

/**
 * Everything besides the two texts that decides what an API answers for a pair: who scores (the endpoint,
 * or the built-in server; the provider's dialect and model) and how the texts are written into the
 * request (the prompt patterns, the instruction, the cuts applied to a long document). Two pairs with the
 * same identity and the same texts get the same score, so one can stand for the other.
 */
export const scoreIdentitySchema = z.object({
  /** The endpoint URL, or 'builtin' for the built-in local server (BM25: never mistaken for a model). */
  endpoint: z.string(),
  provider: z.string(),
  /** The model named in requests; '' when the request names none (a server serving one). */
  model: z.string(),
  queryTemplate: z.string(),
  documentTemplate: z.string(),
  instruction: z.string(),
  /** The per-document token cap sent to the provider (it cuts longer documents), or null. */
  maxTokensPerDoc: z.number().int().positive().nullable(),
  /** Passage windows, and the most passages a document is sent as; null when documents are sent whole. */
  passages: z.object({ length: z.number().int().positive(), stride: z.number().int().positive(), maxBytes: z.number().int().positive().nullable(), maxPassages: z.number().int().positive() }).nullable(),
});

export type ScoreIdentity = z.infer<typeof scoreIdentitySchema>;

/** Bytes of a score key: a sha256 cut to 128 bits (no collision in any cache that fits on a disk). */
export const SCORE_KEY_BYTES = 16;

/** The identity as one canonical text (fixed key order), which is hashed into every key and recorded with the scores. */
export function identityText(identity: ScoreIdentity): string {
  const { endpoint, provider, model, queryTemplate, documentTemplate, instruction, maxTokensPerDoc, passages } = identity;
  return JSON.stringify({ v: 1, endpoint, provider, model, queryTemplate, documentTemplate, instruction, maxTokensPerDoc, passages: passages === null ? null : { length: passages.length, stride: passages.stride, maxBytes: passages.maxBytes, maxPassages: passages.maxPassages } });
}

/**
 * Score keys of one identity: `key(query, text)` is the content address of a pair, where `query` is the
 * query text and `text` the document text as the job carries it (cut to the passages' byte cap when one
 * applies), both before the prompt pattern (which the identity holds). The texts are length-prefixed, so
 * no two pairs hash the same bytes.
 */
export class ScoreKeys {
  /** The identity's text, and a 4-byte tag of it stored with each score (`cache stats`, `prune --model`). */
  readonly text: string;
  readonly tag: number;
  private readonly prefix: Hash;

  constructor(identity: ScoreIdentity) {
    this.text = identityText(identity);
    this.tag = identityTag(this.text);
    this.prefix = createHash('sha256').update(this.text).update('\u0000');
  }

  key(query: string, text: string): Buffer {
    return this.prefix.copy().update(`${query.length}:${query}\u0000${text.length}:`).update(text).digest().subarray(0, SCORE_KEY_BYTES);
  }
}

/** The tag of an identity text: its sha256's first 4 bytes, as an unsigned integer. */
export function identityTag(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}
