import { z } from 'zod';
import { hexId, json, SERVED_MODEL, statusPhrase, usageTokens, type Dialect, type Reply } from './dialect.js';
import { checkBody, fastApiError, jsonInvalidIssue, type FieldIssue } from './field-issues.js';

/**
 * vLLM's OpenAI-compatible server (vllm-project/vllm: the pooling RerankRequest/RerankResponse models and
 * vllm/entrypoints/serve/utils/server_utils.py): `POST /rerank`, `/v1/rerank` and `/v2/rerank` (Cohere
 * style, same answer) `{model?, query, documents, top_n?}` (top_n 0, the default, means all), answer `{id,
 * model, usage: {prompt_tokens, total_tokens}, results: [{index, document: {text}, relevance_score}]}`.
 * Errors are `{"error": {message, type, param, code}}` (before late 2025: `{"object": "error", message,
 * type, param, code}`); a request that fails validation, bad JSON included, is 400 with the pydantic
 * errors in the message. A wrong API key is 401 `{"error": "Unauthorized"}`; unknown routes are FastAPI's
 * `{"detail": "Not Found"}`. No document cap is documented: the server's general 1,000 applies.
 */

const requestSchema = z.object({
  model: z.string().nullish(),
  query: z.string(),
  documents: z.array(z.string()),
  top_n: z.number().int().optional(),
});

function error(status: number, message: string, param: string | null = null): Reply {
  if (status === 401) return json(401, { error: 'Unauthorized' });
  if (status === 404 || status === 405) return fastApiError(status, message);
  return json(status, { error: { message, type: statusPhrase(status), param, code: status } });
}

function invalid(issues: readonly FieldIssue[]): Reply {
  const lines = issues.map((issue) => `  ${JSON.stringify(issue)}`).join('\n');
  const first = issues[0];
  const param = first === undefined ? null : first.loc.join('.');
  return error(400, `${issues.length} validation error${issues.length === 1 ? '' : 's'}:\n${lines}`, param);
}

export const vllm: Dialect = {
  name: 'vllm',
  paths: ['/rerank', '/v1/rerank', '/v2/rerank'],
  documentsField: 'documents',
  maxDocuments: 1000,
  retryAfter: false,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) return { ok: false, reply: invalid(checked.issues) };
    const { model, query, documents, top_n: topN } = checked.data;
    const count = topN !== undefined && topN > 0 ? Math.min(topN, documents.length) : documents.length;
    return { ok: true, request: { model: model ?? undefined, query, documents, topN: count, returnDocuments: true } };
  },
  invalidJson: (reason) => invalid([jsonInvalidIssue(reason)]),
  tooManyDocuments: (documents, max) => error(400, `too many documents: ${documents.length} > ${max}`, 'documents'),
  error: (status, message) => error(status, message),
  render: (request, results, sequence) => {
    const tokens = usageTokens(request);
    return JSON.stringify({
      id: `rerank-${hexId(sequence)}`,
      model: request.model ?? SERVED_MODEL,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
      results: results.map(({ index, score }) => ({ index, document: { text: request.documents[index] }, relevance_score: score })),
    });
  },
};
