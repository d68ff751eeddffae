import type { ProviderSpec } from './provider-spec.js';
import { readResultsField } from './result-shapes.js';

/**
 * Jina Reranker API (https://jina.ai/reranker/#apiform): `{model, query, documents, top_n,
 * return_documents}`, answer `{model, usage: {total_tokens}, results: [{index, relevance_score}]}`,
 * errors `{"detail": ...}`. Billed by tokens.
 */
export const jina: ProviderSpec = {
  name: 'jina',
  title: 'Jina Reranker',
  reference: 'https://jina.ai/reranker/#apiform',
  endpoint: 'https://api.jina.ai/v1/rerank',
  hosted: true,
  path: '/v1/rerank',
  defaultModel: 'jina-reranker-v2-base-multilingual',
  // No per-request document cap is documented; the model reads 1,024 tokens of query and document.
  limits: { maxDocsPerRequest: 100, maxRequestBytes: 8 * 1024 * 1024, maxTokensPerDoc: 1024 },
  limitsNote: "no document cap documented (100 is the runner's); the v2 model reads 1,024 tokens",
  billing: { unit: 'token' },
  rateLimitNote: '429 per key: requests and tokens per minute by tier',
  requestBody: ({ model, query, documents }) => ({ model, query, documents, top_n: documents.length, return_documents: false }),
  readResults: readResultsField,
};
