import type { z } from 'zod';
import { InputError } from '../errors/input-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { readTextLines } from './open-text-stream.js';

/**
 * Streams a JSON-lines file (gzipped when its name ends `.gz`), each non-blank line parsed with `schema`.
 * @throws InputError `code` naming the file, line and (for a schema mismatch) the field.
 */
export async function* parsedJsonLines<T>(file: string, schema: z.ZodType<T>, code: ErrorCode): AsyncGenerator<{ value: T; line: number }> {
  for await (const { text, line } of readTextLines(file)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new InputError(code, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { file, line });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(code, `unexpected line: ${issue?.message ?? ''}`, { file, line, ...(issue === undefined || issue.path.length === 0 ? {} : { field: issue.path.join('.') }) });
    }
    yield { value: parsed.data, line };
  }
}
