import { z } from 'zod';
import { resultCount, usageTokens, type Dialect } from './dialect.js';
import { checkBody, fastApiError, fastApiValidation, jsonInvalidIssue, tooLongIssue } from './field-issues.js';

/**
 * Jina Reranker API (https://jina.ai/reranker/, `POST https://api.jina.ai/v1/rerank`): `{model, query,
 * documents, top_n?, return_documents?}`, answer `{model, usage: {total_tokens}, results: [{index,
 * document?: {text}, relevance_score}]}` (documents returned unless `return_documents: false`). A FastAPI
 * service: errors `{"detail": "..."}`, validation 422 `{"detail": [...]}`. No per-request document cap is
 * documented; the list is refused above the server's general 1,000 like any pydantic max_length.
 */

const requestSchema = z.object({
  model: z.string(),
  query: z.string(),
  documents: z.array(z.string()).min(1),
  top_n: z.number().int().gte(1).nullish(),
  return_documents: z.boolean().optional(),
});

export const jina: Dialect = {
  name: 'jina',
  paths: ['/v1/rerank'],
  documentsField: 'documents',
  maxDocuments: 1000,
  retryAfter: false,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) return { ok: false, reply: fastApiValidation(checked.issues) };
    const { model, query, documents, top_n: topN, return_documents: returnDocuments } = checked.data;
    return { ok: true, request: { model, query, documents, topN: resultCount(topN, documents.length), returnDocuments: returnDocuments !== false } };
  },
  invalidJson: (reason) => fastApiValidation([jsonInvalidIssue(reason)]),
  tooManyDocuments: (documents, max) => fastApiValidation([tooLongIssue('documents', documents, max)]),
  error: fastApiError,
  render: (request, results) =>
    JSON.stringify({
      model: request.model,
      usage: { total_tokens: usageTokens(request) },
      results: results.map(({ index, score }) =>
        request.returnDocuments ? { index, document: { text: request.documents[index] }, relevance_score: score } : { index, relevance_score: score },
      ),
    }),
};
