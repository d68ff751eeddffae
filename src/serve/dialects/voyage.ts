import { z } from 'zod';
import { resultCount, usageTokens, type Dialect } from './dialect.js';
import { checkBody, fastApiError, issueText } from './field-issues.js';

/**
 * Voyage AI reranker (https://docs.voyageai.com/reference/reranker-api): `POST /v1/rerank {query,
 * documents, model, top_k?, return_documents?, truncation?}`, answer `{object: "list", data: [{index,
 * relevance_score, document?}], model, usage: {total_tokens}}`, errors `{"detail": "..."}`; an invalid
 * request (bad JSON, types, limits) is 400. At most 1,000 documents per request.
 */

const requestSchema = z.object({
  query: z.string(),
  documents: z.array(z.string()).min(1),
  model: z.string(),
  top_k: z.number().int().gte(1).nullish(),
  return_documents: z.boolean().optional(),
  truncation: z.boolean().optional(),
});

export const voyage: Dialect = {
  name: 'voyage',
  paths: ['/v1/rerank'],
  documentsField: 'documents',
  maxDocuments: 1000,
  retryAfter: false,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) return { ok: false, reply: fastApiError(400, checked.issues.map(issueText).join('; ')) };
    const { model, query, documents, top_k: topK, return_documents: returnDocuments } = checked.data;
    return { ok: true, request: { model, query, documents, topN: resultCount(topK, documents.length), returnDocuments: returnDocuments === true } };
  },
  invalidJson: (reason) => fastApiError(400, `the request body is not valid JSON: ${reason}`),
  tooManyDocuments: (documents, max) => fastApiError(400, `the number of documents cannot exceed ${max}, got ${documents.length}`),
  error: fastApiError,
  render: (request, results) =>
    JSON.stringify({
      object: 'list',
      data: results.map(({ index, score }) =>
        request.returnDocuments ? { relevance_score: score, index, document: request.documents[index] } : { relevance_score: score, index },
      ),
      model: request.model,
      usage: { total_tokens: usageTokens(request) },
    }),
};
