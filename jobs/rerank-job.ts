import { z } from 'zod';
import { JOB_CONTRACT_VERSION } from './contract-version.js';

export { JOB_CONTRACT_VERSION };

/** One candidate of a batch, as it travels to the worker. */
export const batchDocSchema = z.object({
  /** Document id (a string, never a number). */
  id: z.string().min(1),
  /** Document text, untagged; the worker applies the prompt template. Empty only in an unscored batch. */
  text: z.string(),
  /** First-stage score, when the input had one (for baseline metrics and ranked.jsonl). */
  score: z.number().finite().optional(),
  /** First-stage rank, when the input had one. */
  rank: z.number().int().positive().optional(),
  /**
   * `--passages`: the document, longer than one passage, is sent as this many passages (jobs/passages.ts,
   * at most the run's maxDocsPerRequest) and gets the best one's score.
   */
  passages: z.number().int().min(1).optional(),
  /** The same text as `docs[copyOf]` of this batch: not sent again (its text is ''), given that score. */
  copyOf: z.number().int().nonnegative().optional(),
});

/** Payload of a rerank job: one query and at most `maxDocsPerRequest` of its candidates. */
export const rerankJobPayloadSchema = z
  .object({
    v: z.literal(JOB_CONTRACT_VERSION),
    runId: z.string().min(1),
    queryId: z.string().min(1),
    query: z.string(),
    docs: z.array(batchDocSchema).min(1),
    /**
     * Pairs with an empty query or document text (`--on-empty-text score-lowest`): never sent to the API
     * (it rejects empty strings); they travel as a job so the collector counts them like any batch, and
     * are ranked below every scored candidate of their query.
     */
    unscored: z.boolean().optional(),
  })
  .superRefine((payload, ctx) => {
    if (payload.unscored === true) return;
    if (payload.query === '') ctx.addIssue({ code: 'custom', path: ['query'], message: 'empty query text' });
    payload.docs.forEach((doc, i) => {
      if (doc.copyOf !== undefined) {
        const original = payload.docs[doc.copyOf];
        if (doc.copyOf >= i || original === undefined || original.copyOf !== undefined) ctx.addIssue({ code: 'custom', path: ['docs', i, 'copyOf'], message: 'must name an earlier document that is not a copy' });
      } else if (doc.text === '') ctx.addIssue({ code: 'custom', path: ['docs', i, 'text'], message: 'empty document text' });
    });
  });

/**
 * What a worker returns for a batch: `scores[i]` is the API's score of `docs[i]`, exactly as returned
 * (none for an unscored batch). The batch is echoed without its texts, so the collector reads back only
 * the result, never the (large) payload.
 */
export const rerankJobResultSchema = z.object({
  v: z.literal(JOB_CONTRACT_VERSION),
  queryId: z.string(),
  query: z.string(),
  /** [doc id, first-stage score or null, first-stage rank or null], in payload order. */
  docs: z.array(z.tuple([z.string(), z.number().nullable(), z.number().nullable()])),
  unscored: z.boolean(),
  scores: z.array(z.number().finite()),
  /** HTTP requests made for this batch in the attempt that succeeded (1 = no in-process retry). */
  requests: z.number().int().nonnegative(),
  /** 429 answers seen during those requests. */
  rateLimited: z.number().int().nonnegative(),
  /** Per document of `docs`, for a document sent as passages: [passages, index of the best one]; null otherwise. Absent when none was split. */
  passages: z.array(z.tuple([z.number().int().positive(), z.number().int().nonnegative()]).nullable()).optional(),
  /**
   * The id of the score cache the worker stored these scores in (committed), when it had one (a worker in
   * the `run` or `collect` process): a collector with that cache has no need to store them again.
   */
  storedIn: z.string().optional(),
});

export type BatchDoc = z.infer<typeof batchDocSchema>;
export type RerankJobPayload = z.infer<typeof rerankJobPayloadSchema>;
export type RerankJobResult = z.infer<typeof rerankJobResultSchema>;

/**
 * Check a payload; throws a ZodError that names the bad field. Returns `data` itself, not zod's copy:
 * the schema has no defaults or transforms, so the copy would hold the same values, and a worker keeps
 * the payload for the whole request, long enough for V8 to promote (and later collect) a second copy.
 */
export function parseRerankJobPayload(data: unknown): RerankJobPayload {
  rerankJobPayloadSchema.parse(data);
  return data as RerankJobPayload;
}

/** The result of a batch, before the worker adds the scores. */
export function resultEcho(payload: RerankJobPayload): Pick<RerankJobResult, 'v' | 'queryId' | 'query' | 'docs' | 'unscored'> {
  return {
    v: JOB_CONTRACT_VERSION,
    queryId: payload.queryId,
    query: payload.query,
    docs: payload.docs.map((doc) => [doc.id, doc.score ?? null, doc.rank ?? null]),
    unscored: payload.unscored === true,
  };
}

/** Parse a result and check it is consistent (one score per document, none when unscored). */
export function parseRerankJobResult(value: unknown): RerankJobResult {
  const result = rerankJobResultSchema.parse(value);
  const expected = result.unscored ? 0 : result.docs.length;
  if (result.scores.length !== expected) {
    throw new Error(`result has ${result.scores.length} scores for ${result.docs.length} documents`);
  }
  if (result.passages !== undefined && result.passages.length !== result.docs.length) {
    throw new Error(`result has ${result.passages.length} passage records for ${result.docs.length} documents`);
  }
  return result;
}
