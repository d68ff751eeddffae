import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { parsedJsonLines } from '../read/json-lines.js';

/** How many lines of failures.jsonl and rejects.jsonl the page lists; the rest are counted. */
export const LISTED_LINES = 50;

const failureSchema = z.object({
  query_id: z.string(),
  doc_ids: z.array(z.string()),
  error_class: z.string().nullable().optional(),
  code: z.string().nullable().optional(),
  message: z.string().nullable().optional(),
  attempts: z.number().nullable().optional(),
});

const rejectSchema = z.object({
  file: z.string(),
  line: z.number().nullable().optional(),
  field: z.string().nullable().optional(),
  code: z.string(),
  reason: z.string(),
  action: z.string(),
});

export type FailureLine = z.infer<typeof failureSchema>;
export type RejectLine = z.infer<typeof rejectSchema>;

/** A JSON-lines file summed up: its first lines, how many there are, and how many per code. */
export interface ListedLines<T> {
  first: T[];
  lines: number;
  /** failures: pairs (documents) in them; rejects: the lines. */
  items: number;
  byCode: Map<string, number>;
}

async function listLines<T extends { code?: string | null | undefined }>(file: string, schema: z.ZodType<T>, itemsOf: (line: T) => number): Promise<ListedLines<T> | undefined> {
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) return undefined;
  const listed: ListedLines<T> = { first: [], lines: 0, items: 0, byCode: new Map() };
  for await (const { value } of parsedJsonLines(file, schema, 'ERR_INPUT_JSON')) {
    listed.lines++;
    listed.items += itemsOf(value);
    const code = value.code ?? 'no code';
    listed.byCode.set(code, (listed.byCode.get(code) ?? 0) + 1);
    if (listed.first.length < LISTED_LINES) listed.first.push(value);
  }
  return listed;
}

/** failures.jsonl, or undefined when absent. @throws InputError ERR_INPUT_JSON, ERR_INPUT_FILE, ERR_INPUT_ENCODING. */
export function listFailures(file: string): Promise<ListedLines<FailureLine> | undefined> {
  return listLines(file, failureSchema, (line) => line.doc_ids.length);
}

/** rejects.jsonl, or undefined when absent. @throws as listFailures. */
export function listRejects(file: string): Promise<ListedLines<RejectLine> | undefined> {
  return listLines(file, rejectSchema, () => 1);
}
