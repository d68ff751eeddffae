import type { ProviderSpec } from './provider-spec.js';
import { readDataScore } from './result-shapes.js';

/**
 * Mixedbread reranking (https://www.mixedbread.com/api-reference/endpoints/reranking): `{model, query,
 * input, top_k, return_input}`, answer `{object: "list", data: [{index, score, object: "rank_result"}],
 * model, usage: {prompt_tokens, total_tokens}}`. Billed by tokens.
 */
export const mixedbread: ProviderSpec = {
  name: 'mixedbread',
  title: 'Mixedbread',
  reference: 'https://www.mixedbread.com/api-reference/endpoints/reranking',
  endpoint: 'https://api.mixedbread.com/v1/reranking',
  hosted: true,
  path: '/v1/reranking',
  defaultModel: 'mixedbread-ai/mxbai-rerank-large-v2',
  limits: { maxDocsPerRequest: 1000, maxRequestBytes: 8 * 1024 * 1024 },
  limitsNote: 'the documented input cap',
  billing: { unit: 'token' },
  rateLimitNote: '429 with Retry-After',
  requestBody: ({ model, query, documents }) => ({ model, query, input: documents, top_k: documents.length, return_input: false }),
  readResults: readDataScore,
};
