import { isRecord, json, hexId, type Dialect, type ParseOutcome, type Reply } from './dialect.js';

/**
 * The seed API (shared/seed-rerank-api.md, regolo.ai): `POST /rerank {model, query, documents, top_n}`,
 * answer `{id, results: [{index, relevance_score, document: {text}}], meta: null}`. It documents no error
 * body nor limit; errors are OpenAI-style `{"error": {message, type, code}}` and the cap is 1,000 documents
 * (413 above it), the built-in server's own choices from before it spoke other dialects.
 */

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  422: 'UnprocessableEntity',
  429: 'RateLimitError',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

function error(status: number, message: string): Reply {
  return json(status, { error: { message, type: ERROR_TYPES[status] ?? 'Error', code: status } });
}

function refuse(message: string): ParseOutcome {
  return { ok: false, reply: error(400, message) };
}

/** Like the hosted API: a model, a non-empty query, a non-empty array of non-empty strings. */
function parse(body: unknown): ParseOutcome {
  if (!isRecord(body)) return refuse('body must be a JSON object');
  const { model, query, documents, top_n: topN } = body;
  if (typeof model !== 'string' || model === '') return refuse('field "model" must be a non-empty string');
  if (typeof query !== 'string') return refuse('field "query" must be a string');
  if (query === '') return refuse('field "query" must not be empty');
  if (!Array.isArray(documents)) return refuse('field "documents" must be an array of strings');
  if (documents.length === 0) return refuse('field "documents" must not be empty');
  const texts: string[] = [];
  for (let i = 0; i < documents.length; i++) {
    const document: unknown = documents[i];
    if (typeof document !== 'string') return refuse(`documents[${i}] must be a string`);
    if (document === '') return refuse(`documents[${i}] must not be empty`);
    texts.push(document);
  }
  if (topN !== undefined && topN !== null && (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1)) return refuse('field "top_n" must be a positive integer');
  return { ok: true, request: { model, query, documents: texts, topN: typeof topN === 'number' ? Math.min(topN, texts.length) : texts.length, returnDocuments: true } };
}

export const regolo: Dialect = {
  name: 'regolo',
  paths: ['/rerank'],
  documentsField: 'documents',
  maxDocuments: 1000,
  retryAfter: true,
  parse,
  invalidJson: () => error(400, 'request body is not valid JSON'),
  tooManyDocuments: (documents, max) => error(413, `too many documents: ${documents.length} > ${max}`),
  error,
  render: (request, results, sequence) =>
    JSON.stringify({
      id: `rerank-${hexId(sequence)}`,
      results: results.map(({ index, score }) => ({ index, relevance_score: score, document: { text: request.documents[index] } })),
      meta: null,
    }),
};
