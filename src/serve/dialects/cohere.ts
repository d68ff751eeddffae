import { z } from 'zod';
import { json, resultCount, uuidOf, type Dialect, type Reply } from './dialect.js';
import { checkBody, issueText } from './field-issues.js';

/**
 * Cohere Rerank v2 (https://docs.cohere.com/reference/rerank, errors: https://docs.cohere.com/reference/errors):
 * `POST /v2/rerank {model, query, documents, top_n?, max_tokens_per_doc?}`, answer `{id, results: [{index,
 * relevance_score}], meta: {api_version: {version: "2"}, billed_units: {search_units}}}` (a search unit is
 * one query with up to 100 documents). Every error is `{"message": "..."}`; a bad body is 400 ("invalid
 * request: ..."). 1,000 documents per request is the documented recommended maximum.
 */

const requestSchema = z.object({
  model: z.string().min(1),
  query: z.string().min(1),
  documents: z.array(z.string()).min(1),
  top_n: z.number().int().gte(1).optional(),
  max_tokens_per_doc: z.number().int().gte(1).optional(),
});

function error(status: number, message: string): Reply {
  return json(status, { message });
}

export const cohere: Dialect = {
  name: 'cohere',
  paths: ['/v2/rerank'],
  documentsField: 'documents',
  maxDocuments: 1000,
  retryAfter: false,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) return { ok: false, reply: error(400, `invalid request: ${checked.issues.map(issueText).join('; ')}`) };
    const { model, query, documents, top_n: topN } = checked.data;
    return { ok: true, request: { model, query, documents, topN: resultCount(topN, documents.length), returnDocuments: false } };
  },
  invalidJson: (reason) => error(400, `invalid request: could not parse the body as JSON: ${reason}`),
  tooManyDocuments: (documents, max) => error(400, `invalid request: too many documents: ${documents.length}, the maximum is ${max}`),
  error,
  render: (request, results, sequence) =>
    JSON.stringify({
      id: uuidOf(sequence),
      results: results.map(({ index, score }) => ({ index, relevance_score: score })),
      meta: { api_version: { version: '2' }, billed_units: { search_units: Math.ceil(request.documents.length / 100) } },
    }),
};
