import type { ProviderSpec } from './provider-spec.js';
import { readResultsField } from './result-shapes.js';

/**
 * vLLM's OpenAI-compatible server (https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html,
 * Re-rank API): `POST /rerank` (also /v1/rerank) `{model, query, documents, top_n}`, answer `{id, model,
 * usage: {total_tokens}, results: [{index, document, relevance_score}]}`, errors `{"object": "error",
 * "message": ...}` or `{"error": {"message": ...}}`. The model field may be left out (the served model).
 */
export const vllm: ProviderSpec = {
  name: 'vllm',
  title: 'vLLM',
  reference: 'https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html#re-rank-api',
  endpoint: 'http://localhost:8000/rerank',
  hosted: false,
  path: '/rerank',
  defaultModel: undefined,
  limits: { maxDocsPerRequest: 100, maxRequestBytes: 8 * 1024 * 1024 },
  limitsNote: "no cap documented (100 is the runner's); each pair is cut to the model length",
  billing: { unit: 'request' },
  rateLimitNote: 'none by default (a proxy in front may answer 429)',
  requestBody: ({ model, query, documents }) => ({ ...(model === undefined ? {} : { model }), query, documents, top_n: documents.length }),
  readResults: readResultsField,
};
