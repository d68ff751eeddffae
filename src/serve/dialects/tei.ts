import { z } from 'zod';
import { json, type Dialect, type Reply } from './dialect.js';
import { checkBody, type FieldIssue } from './field-issues.js';

/**
 * Hugging Face Text Embeddings Inference (router/src/http/server.rs and router/src/lib.rs in
 * huggingface/text-embeddings-inference): `POST /rerank {query, texts, raw_scores?, return_text?,
 * truncate?, truncation_direction?}` (one model per server, no model field; unknown fields are ignored),
 * answer a bare array `[{index, score, text?}]` sorted by score. Errors are `{"error", "error_type"}`, the
 * status following the type: Validation 413 (more texts than --max-client-batch-size, default 32),
 * Overloaded 429 (no Retry-After), Tokenizer 422, Backend 424, Unhealthy 503, Empty 400 (no texts). The
 * body itself is read by axum's Json extractor, whose refusals are plain text: 400 for bad JSON, 422 for a
 * missing or mistyped field. A wrong or missing API key, an unknown route and a wrong method get a bare
 * status with no body.
 */

const requestSchema = z.object({
  query: z.string(),
  texts: z.array(z.string()),
  raw_scores: z.boolean().optional(),
  return_text: z.boolean().optional(),
  truncate: z.boolean().nullish(),
  truncation_direction: z.enum(['Left', 'Right', 'left', 'right']).optional(),
});

const ERROR_TYPES: Record<number, string> = {
  400: 'Empty',
  413: 'Validation',
  422: 'Tokenizer',
  424: 'Backend',
  429: 'Overloaded',
  503: 'Unhealthy',
};

function error(status: number, message: string): Reply {
  if (status === 401 || status === 404 || status === 405) return { status, body: '' };
  return json(status, { error: message, error_type: ERROR_TYPES[status] ?? 'Backend' });
}

/** What serde expected, by the pydantic-shaped issue type. */
const EXPECTED: Record<string, string> = {
  string_type: 'a string',
  bool_type: 'a boolean',
  list_type: 'a sequence',
  model_attributes_type: 'struct RerankRequest',
};

/** serde's words for a JSON value of the wrong type. */
function serdeFound(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'sequence';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  return `boolean \`${String(value)}\``;
}

/** The message of serde_path_to_error, which axum puts after its own prefix. */
function serdeMessage(issue: FieldIssue): string {
  const path = issue.loc.slice(1).map((key, position) => (typeof key === 'number' ? `[${key}]` : `${position === 0 ? '' : '.'}${key}`)).join('');
  if (issue.type === 'missing') return `missing field \`${path}\``;
  if (issue.type === 'enum') return `${path}: unknown variant ${serdeFound(issue.input)}, expected \`Left\` or \`Right\``;
  const found = `invalid type: ${serdeFound(issue.input)}, expected ${EXPECTED[issue.type] ?? 'a valid value'}`;
  return path === '' ? found : `${path}: ${found}`;
}

function plainText(status: number, text: string): Reply {
  return { status, body: text, contentType: 'text/plain; charset=utf-8' };
}

export const tei: Dialect = {
  name: 'tei',
  paths: ['/rerank'],
  documentsField: 'texts',
  maxDocuments: 32,
  retryAfter: false,
  parse(body) {
    const checked = checkBody(requestSchema, body);
    if (!checked.ok) {
      const first = checked.issues[0];
      const why = first === undefined ? 'invalid body' : serdeMessage(first);
      return { ok: false, reply: plainText(422, `Failed to deserialize the JSON body into the target type: ${why}`) };
    }
    const { query, texts, return_text: returnText } = checked.data;
    if (texts.length === 0) return { ok: false, reply: error(400, '`texts` cannot be empty') };
    return { ok: true, request: { model: undefined, query, documents: texts, topN: texts.length, returnDocuments: returnText === true } };
  },
  invalidJson: (reason) => plainText(400, `Failed to parse the request body as JSON: ${reason}`),
  tooManyDocuments: (documents, max) => error(413, `batch size ${documents.length} > maximum allowed batch size ${max}`),
  error,
  render: (request, results) =>
    JSON.stringify(results.map(({ index, score }) => (request.returnDocuments ? { index, text: request.documents[index], score } : { index, score }))),
};
