import type { ProviderSpec } from './provider-spec.js';
import { readResultsField } from './result-shapes.js';

/**
 * Cohere Rerank v2 (https://docs.cohere.com/reference/rerank): `{model, query, documents, top_n,
 * max_tokens_per_doc}`, answer `{id, results: [{index, relevance_score}], meta: {billed_units:
 * {search_units}}}`, errors `{"message": ...}`. A search unit is one query with up to 100 documents, so a
 * request of 100 documents costs one unit and one of 50 costs one too.
 */
export const cohere: ProviderSpec = {
  name: 'cohere',
  title: 'Cohere Rerank v2',
  reference: 'https://docs.cohere.com/reference/rerank',
  endpoint: 'https://api.cohere.com/v2/rerank',
  hosted: true,
  path: '/v2/rerank',
  defaultModel: 'rerank-v3.5',
  limits: { maxDocsPerRequest: 1000, maxRequestBytes: 8 * 1024 * 1024, maxTokensPerDoc: 4096 },
  limitsNote: "documents: the recommended maximum; tokens: max_tokens_per_doc's default",
  billing: { unit: 'search-unit', documentsPerUnit: 100 },
  rateLimitNote: '429 (trial keys: 10 calls/min; production: 1,000/min)',
  requestBody: ({ model, query, documents, maxTokensPerDoc }) => ({
    model,
    query,
    documents,
    top_n: documents.length,
    ...(maxTokensPerDoc === undefined ? {} : { max_tokens_per_doc: maxTokensPerDoc }),
  }),
  readResults: readResultsField,
};
