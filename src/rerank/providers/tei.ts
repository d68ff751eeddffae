import type { ProviderSpec } from './provider-spec.js';
import { readBareArray } from './result-shapes.js';

/**
 * Hugging Face Text Embeddings Inference (https://huggingface.github.io/text-embeddings-inference/):
 * `POST /rerank {query, texts, raw_scores, return_text, truncate}`, answer a bare array `[{index,
 * score}]`, errors `{"error": ..., "error_type": ...}` (413 over --max-client-batch-size, 429 when
 * --max-concurrent-requests are busy). One model per server: no model field.
 */
export const tei: ProviderSpec = {
  name: 'tei',
  title: 'Text Embeddings Inference',
  reference: 'https://huggingface.github.io/text-embeddings-inference/#/Text%20Embeddings%20Inference/rerank',
  endpoint: 'http://localhost:8080/rerank',
  hosted: false,
  path: '/rerank',
  defaultModel: undefined,
  limits: { maxDocsPerRequest: 32, maxRequestBytes: 2_000_000 - 64 * 1024 },
  limitsNote: "the server's --max-client-batch-size and --payload-limit defaults (less room for the query)",
  billing: { unit: 'request' },
  rateLimitNote: '429 "Overloaded" when --max-concurrent-requests (512) are busy',
  // truncate: an input over the model's length (often 512 tokens) is cut by the server, not refused.
  requestBody: ({ query, documents }) => ({ query, texts: documents, raw_scores: false, return_text: false, truncate: true }),
  readResults: readBareArray,
};
