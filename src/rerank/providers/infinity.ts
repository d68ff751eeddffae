import type { ProviderSpec } from './provider-spec.js';
import { readResultsField } from './result-shapes.js';

/**
 * Infinity (https://michaelfeil.github.io/infinity/, OpenAPI at /docs): `POST /rerank {query, documents,
 * model, return_documents, top_n}`, answer `{object: "rerank", results: [{relevance_score, index}],
 * model, usage, id, created}`. At most 2,048 documents per request (its RerankInput schema).
 */
export const infinity: ProviderSpec = {
  name: 'infinity',
  title: 'Infinity',
  reference: 'https://michaelfeil.github.io/infinity/',
  endpoint: 'http://localhost:7997/rerank',
  hosted: false,
  path: '/rerank',
  defaultModel: undefined,
  limits: { maxDocsPerRequest: 2048, maxRequestBytes: 8 * 1024 * 1024 },
  limitsNote: 'its input schema',
  billing: { unit: 'request' },
  rateLimitNote: 'none by default',
  requestBody: ({ model, query, documents }) => ({ query, documents, ...(model === undefined ? {} : { model }), return_documents: false, top_n: documents.length }),
  readResults: readResultsField,
};
