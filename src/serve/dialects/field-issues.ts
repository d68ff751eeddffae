import type { z } from 'zod';
import { isRecord, json, statusPhrase, type Reply } from './dialect.js';

/**
 * Request checks are zod schemas; their issues are rewritten the way the providers' servers word them.
 * Most of them are FastAPI/pydantic servers, whose validation errors are items of
 * `{"detail": [{type, loc, msg, input, ctx?}]}` (https://fastapi.tiangolo.com/tutorial/handling-errors/),
 * so a pydantic-shaped issue is the common form, and each dialect renders it its own way.
 */
export interface FieldIssue {
  type: string;
  /** 'body' then the path inside the body, as FastAPI gives it. */
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (Array.isArray(value) && typeof key === 'number') value = value[key];
    else if (isRecord(value) && typeof key === 'string') value = value[key];
    else return undefined;
  }
  return value;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

const TYPE_MESSAGES: Record<string, [string, string]> = {
  string: ['string_type', 'Input should be a valid string'],
  number: ['float_type', 'Input should be a valid number'],
  int: ['int_type', 'Input should be a valid integer'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  array: ['list_type', 'Input should be a valid list'],
  object: ['model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
};

function pydanticIssue(issue: z.ZodError['issues'][number], body: unknown): FieldIssue {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  const loc = ['body', ...path];
  const input = valueAt(body, path);
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined && path.length > 0) return { type: 'missing', loc, msg: 'Field required', input: valueAt(body, path.slice(0, -1)) };
      if (issue.expected === 'int' && typeof input === 'number') {
        return { type: 'int_from_float', loc, msg: 'Input should be a valid integer, got a number with a fractional part', input };
      }
      const [type, msg] = TYPE_MESSAGES[issue.expected] ?? ['value_error', issue.message];
      return { type, loc, msg, input };
    }
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'array') {
        const actual = Array.isArray(input) ? input.length : 0;
        return { type: 'too_short', loc, msg: `List should have at least ${plural(minimum, 'item')} after validation, not ${actual}`, input, ctx: { field_type: 'List', min_length: minimum, actual_length: actual } };
      }
      if (issue.origin === 'string') return { type: 'string_too_short', loc, msg: `String should have at least ${plural(minimum, 'character')}`, input, ctx: { min_length: minimum } };
      if (issue.inclusive === true) return { type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${minimum}`, input, ctx: { ge: minimum } };
      return { type: 'greater_than', loc, msg: `Input should be greater than ${minimum}`, input, ctx: { gt: minimum } };
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      const actual = Array.isArray(input) ? input.length : 0;
      return { type: 'too_long', loc, msg: `List should have at most ${plural(maximum, 'item')} after validation, not ${actual}`, input, ctx: { field_type: 'List', max_length: maximum, actual_length: actual } };
    }
    case 'invalid_value':
      return { type: 'enum', loc, msg: `Input should be ${issue.values.map((value) => `'${String(value)}'`).join(' or ')}`, input, ctx: { expected: issue.values.map(String).join(' or ') } };
    default:
      return { type: 'value_error', loc, msg: issue.message, input };
  }
}

/** The issues of a failed parse of `body`, pydantic-shaped. */
function fieldIssues(error: z.ZodError, body: unknown): FieldIssue[] {
  return error.issues.map((issue) => pydanticIssue(issue, body));
}

/** `documents.1: Input should be a valid string`: an issue in one line, without the leading 'body'. */
export function issueText(issue: FieldIssue): string {
  const where = issue.loc.slice(1).join('.');
  return where === '' ? issue.msg : `${where}: ${issue.msg}`;
}

/** A FastAPI HTTPException: `{"detail": "..."}`; unknown routes and methods say only "Not Found" / "Method Not Allowed". */
export function fastApiError(status: number, message: string): Reply {
  return json(status, { detail: status === 404 || status === 405 ? statusPhrase(status) : message });
}

/** FastAPI's answer to a request that fails validation: 422 `{"detail": [issues]}`. */
export function fastApiValidation(issues: readonly FieldIssue[]): Reply {
  return json(422, { detail: issues });
}

/** FastAPI's issue for a body that is not JSON. */
export function jsonInvalidIssue(reason: string): FieldIssue {
  return { type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: reason } };
}

/** The pydantic issue of a list of documents longer than `max`. */
export function tooLongIssue(field: string, documents: readonly string[], max: number): FieldIssue {
  const count = documents.length;
  return {
    type: 'too_long',
    loc: ['body', field],
    msg: `List should have at most ${plural(max, 'item')} after validation, not ${count}`,
    input: documents,
    ctx: { field_type: 'List', max_length: max, actual_length: count },
  };
}

/** Check `body` against `schema`: its data, or the pydantic-shaped issues. */
export function checkBody<S extends z.ZodType>(schema: S, body: unknown): { ok: true; data: z.output<S> } | { ok: false; issues: FieldIssue[] } {
  const parsed = schema.safeParse(body);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, issues: fieldIssues(parsed.error, body) };
}
