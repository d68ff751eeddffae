import type { ProviderSpec } from './provider-spec.js';
import { readDataRelevance } from './result-shapes.js';

/**
 * Voyage AI reranker (https://docs.voyageai.com/reference/reranker-api): `{query, documents, model,
 * top_k, return_documents, truncation}`, answer `{object: "list", data: [{index, relevance_score}],
 * model, usage: {total_tokens}}`, errors `{"detail": ...}`. At most 1,000 documents; the request's
 * tokens, counted as query tokens x documents + document tokens, at most 600K for rerank-2.5.
 */
export const voyage: ProviderSpec = {
  name: 'voyage',
  title: 'Voyage AI',
  reference: 'https://docs.voyageai.com/reference/reranker-api',
  endpoint: 'https://api.voyageai.com/v1/rerank',
  hosted: true,
  path: '/v1/rerank',
  defaultModel: 'rerank-2.5',
  limits: { maxDocsPerRequest: 1000, maxRequestBytes: 8 * 1024 * 1024, maxTokensPerRequest: 600_000 },
  limitsNote: 'documented for rerank-2.5',
  billing: { unit: 'token' },
  rateLimitNote: '429; limits in requests and tokens per minute by usage tier',
  requestBody: ({ model, query, documents }) => ({ query, documents, model, top_k: documents.length, return_documents: false, truncation: true }),
  readResults: readDataRelevance,
};
