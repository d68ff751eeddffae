import { InputError } from '../errors/input-error.js';
import { readTextLines } from '../read/open-text-stream.js';
import type { ScoredDoc } from '../read/trec-order.js';

/** One query of a ranked.jsonl file. */
export interface RankedJsonlQuery {
  queryId: string;
  docs: ScoredDoc[];
  /** 1-based line of the query in the file. */
  line: number;
}

/** Whether `file` is read as a ranked.jsonl (a name ending `.jsonl`, or `.jsonl.gz` gzipped), not as a TREC run. */
export function isRankedJsonlFile(file: string): boolean {
  const name = file.toLowerCase();
  return name.endsWith('.jsonl') || name.endsWith('.jsonl.gz');
}

/**
 * Streams the project's ranked.jsonl (gzipped when its name ends `.gz`), one query per line:
 * `{"query_id", "query", "results": [{"doc_id", "score", "rank", "original_rank", "original_score"}]}`.
 * Only query_id, results[].doc_id and results[].score are used (the score ranks; rank fields are ignored).
 * Blank lines are skipped.
 * @throws InputError ERR_RUN_FORMAT (not JSON, or a field missing or of the wrong type),
 *   ERR_RUN_DUPLICATE_DOC (a document twice in one query), ERR_INPUT_FILE, ERR_INPUT_ENCODING.
 */
export async function* iterateRankedJsonl(file: string): AsyncGenerator<RankedJsonlQuery> {
  for await (const { text, line } of readTextLines(file)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError('ERR_RUN_FORMAT', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { file, line });
    }
    yield parseQueryLine(value, file, line);
  }
}

/**
 * Reads a whole ranked.jsonl into memory.
 * @throws as iterateRankedJsonl, plus ERR_RUN_DUPLICATE_QUERY when a query has two lines.
 */
export async function readRankedJsonlRun(file: string): Promise<Map<string, ScoredDoc[]>> {
  const run = new Map<string, ScoredDoc[]>();
  for await (const { queryId, docs, line } of iterateRankedJsonl(file)) {
    if (run.has(queryId)) throw new InputError('ERR_RUN_DUPLICATE_QUERY', `query "${queryId}" appears on more than one line`, { file, line });
    run.set(queryId, docs);
  }
  return run;
}

function parseQueryLine(value: unknown, file: string, line: number): RankedJsonlQuery {
  if (!isObject(value)) throw new InputError('ERR_RUN_FORMAT', 'expected a JSON object', { file, line });
  const queryId = value['query_id'];
  if (typeof queryId !== 'string' || queryId === '') {
    throw new InputError('ERR_RUN_FORMAT', 'expected a non-empty string', { file, line, field: 'query_id' });
  }
  const results = value['results'];
  if (!Array.isArray(results)) throw new InputError('ERR_RUN_FORMAT', 'expected an array', { file, line, field: 'results' });
  const docs: ScoredDoc[] = [];
  const ids = new Set<string>();
  results.forEach((result: unknown, i) => {
    const docId = isObject(result) ? result['doc_id'] : undefined;
    const score = isObject(result) ? result['score'] : undefined;
    if (typeof docId !== 'string' || docId === '') {
      throw new InputError('ERR_RUN_FORMAT', 'expected a non-empty string', { file, line, field: `results[${i}].doc_id` });
    }
    if (typeof score !== 'number') throw new InputError('ERR_RUN_FORMAT', 'expected a number', { file, line, field: `results[${i}].score` });
    if (ids.has(docId)) {
      throw new InputError('ERR_RUN_DUPLICATE_DOC', `query "${queryId}": document "${docId}" appears more than once`, { file, line, field: `results[${i}].doc_id` });
    }
    ids.add(docId);
    docs.push({ docId, score });
  });
  return { queryId, docs, line };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
