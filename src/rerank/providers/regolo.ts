import type { ProviderSpec } from './provider-spec.js';
import { readResultsField } from './result-shapes.js';

/** The seed API (shared/seed-rerank-api.md): Cohere's request and answer, Qwen3-Reranker models. */
export const regolo: ProviderSpec = {
  name: 'regolo',
  title: 'regolo.ai',
  reference: 'https://docs.regolo.ai/',
  endpoint: 'https://api.regolo.ai/rerank',
  hosted: true,
  path: '/rerank',
  defaultModel: 'Qwen3-Reranker-4B',
  // The API documents no limit and asks for light requests; these are the runner's own defaults.
  limits: { maxDocsPerRequest: 50, maxRequestBytes: 256 * 1024 },
  limitsNote: 'none documented ("keep requests light"): the runner\'s own',
  billing: { unit: 'request' },
  rateLimitNote: '429 with Retry-After',
  requestBody: ({ model, query, documents }) => ({ model, query, documents, top_n: documents.length }),
  readResults: readResultsField,
};
