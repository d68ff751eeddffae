import { z } from 'zod';
import { json, SERVED_MODEL, resultCount, statusPhrase, usageTokens, uuidOf, type Dialect, type Reply } from './dialect.js';
import { checkBody, fastApiError, fastApiValidation, jsonInvalidIssue, tooLongIssue } from './field-issues.js';

/**
 * Infinity (michaelfeil/infinity: libs/infinity_emb/infinity_emb/fastapi_schemas/pymodels.py and
 * errors.py): `POST /rerank {query, documents, return_documents?, model?, top_n?, raw_scores?}`, answer
 * `{object: "rerank", results: [{relevance_score, index, document}], model, usage: {prompt_tokens,
 * total_tokens}, id, created}` (document null unless asked for). `documents` holds 1 to 2,048 strings, so a
 * longer list is FastAPI's 422 `{"detail": [...]}` like any validation error. Its own errors (an unknown
 * model, ...) are OpenAI-style `{"error": {message, type, param, code}}`; unknown routes and a refused
 * bearer token are FastAPI's `{"detail": "..."}`.
 */

const requestSchema = z.object({
  query: z.string(),
  documents: z.array(z.string()).min(1),
  return_documents: z.boolean().optional(),
  model: z.string().optional(),
  top_n: z.number().int().gt(0).nullish(),
  raw_scores: z.boolean().optional(),
});

function error(status: number, message: string): Reply {
  if (status === 401 || status === 404 || status === 405) return fastApiError(status, message);
  return json(status, { error: { message, type: statusPhrase(status), param: null, code: status } });
}

export const infinity: Dialect = {
  name: 'infinity',
  paths: ['/rerank'],
  documentsField: 'documents',
  maxDocuments: 2048,
  retryAfter: false,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) return { ok: false, reply: fastApiValidation(checked.issues) };
    const { model, query, documents, top_n: topN, return_documents: returnDocuments } = checked.data;
    return { ok: true, request: { model, query, documents, topN: resultCount(topN, documents.length), returnDocuments: returnDocuments === true } };
  },
  invalidJson: (reason) => fastApiValidation([jsonInvalidIssue(reason)]),
  tooManyDocuments: (documents, max) => fastApiValidation([tooLongIssue('documents', documents, max)]),
  error,
  render: (request, results, sequence) => {
    const tokens = usageTokens(request);
    return JSON.stringify({
      object: 'rerank',
      results: results.map(({ index, score }) => ({ relevance_score: score, index, document: request.returnDocuments ? request.documents[index] : null })),
      model: request.model ?? SERVED_MODEL,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
      id: `infinity-${uuidOf(sequence)}`,
      created: Math.floor(Date.now() / 1000),
    });
  },
};
