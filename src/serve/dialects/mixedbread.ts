import { z } from 'zod';
import { json, resultCount, usageTokens, type Dialect, type Reply } from './dialect.js';
import { checkBody, issueText, tooLongIssue, type FieldIssue } from './field-issues.js';

/**
 * Mixedbread reranking (https://www.mixedbread.com/api-reference/endpoints/reranking): `POST
 * /v1/reranking {model, query, input, top_k?, return_input?, rank_fields?}`, answer `{object: "list",
 * data: [{index, score, object: "rank_result", input?}], model, usage: {prompt_tokens, total_tokens},
 * top_k, return_input}`. Errors (https://www.mixedbread.com/api-reference/error-handling and
 * .../rate-limits) are `{type, message, details?}`: 400 a malformed request, 422 a validation error, 429
 * with Retry-After (its documented type is "too_many_requests_error"; the other types follow its pattern).
 * Up to 1,000 inputs per request.
 */

const requestSchema = z.object({
  model: z.string(),
  query: z.string(),
  input: z.array(z.string()).min(1),
  top_k: z.number().int().gte(1).optional(),
  return_input: z.boolean().optional(),
});

const ERROR_TYPES: Record<number, string> = {
  400: 'bad_request_error',
  401: 'unauthorized_error',
  402: 'payment_required_error',
  403: 'forbidden_error',
  404: 'not_found_error',
  413: 'payload_too_large_error',
  422: 'validation_error',
  429: 'too_many_requests_error',
  503: 'service_unavailable_error',
};

function error(status: number, message: string): Reply {
  return json(status, { type: ERROR_TYPES[status] ?? 'internal_server_error', message });
}

function invalid(issues: readonly FieldIssue[]): Reply {
  return json(422, { type: 'validation_error', message: issues.map(issueText).join('; '), details: issues });
}

export const mixedbread: Dialect = {
  name: 'mixedbread',
  paths: ['/v1/reranking'],
  documentsField: 'input',
  maxDocuments: 1000,
  retryAfter: true,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) return { ok: false, reply: invalid(checked.issues) };
    const { model, query, input, top_k: topK, return_input: returnInput } = checked.data;
    return { ok: true, request: { model, query, documents: input, topN: resultCount(topK, input.length), returnDocuments: returnInput === true } };
  },
  invalidJson: (reason) => error(400, `malformed request body: ${reason}`),
  tooManyDocuments: (documents, max) => invalid([tooLongIssue('input', documents, max)]),
  error,
  render: (request, results) => {
    const tokens = usageTokens(request);
    return JSON.stringify({
      object: 'list',
      data: results.map(({ index, score }) =>
        request.returnDocuments ? { index, score, input: request.documents[index], object: 'rank_result' } : { index, score, object: 'rank_result' },
      ),
      model: request.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
      top_k: request.topN,
      return_input: request.returnDocuments,
    });
  },
};
