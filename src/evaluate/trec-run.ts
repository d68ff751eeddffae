import { InputError } from '../errors/input-error.js';
import type { ScoredDoc } from './ranking.js';
import { readRankedJsonlRun } from './ranked-jsonl-run.js';
import { isSkippable, readLines } from './read-lines.js';

/** A run: query id -> retrieved documents (any order; the evaluator sorts them). */
export type Run = Map<string, ScoredDoc[]>;

/**
 * Reads a run file. A name ending in `.jsonl` is read as the project's ranked.jsonl (see
 * readRankedJsonlRun); anything else as a TREC run, `qid iter docid rank score tag` separated by
 * whitespace (iter, rank and tag ignored, extra trailing fields ignored as trec_eval does; blank lines
 * and `#` comments skipped).
 * @throws InputError ERR_RUN_FORMAT (bad line or score), ERR_RUN_DUPLICATE_DOC (a document twice in one
 *   query, naming file, line, query and document), ERR_FILE_READ.
 */
export async function readTrecRun(file: string): Promise<Run> {
  if (file.toLowerCase().endsWith('.jsonl')) return readRankedJsonlRun(file);
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  for await (const { text, line } of readLines(file)) {
    if (isSkippable(text)) continue;
    const fields = text.trim().split(/\s+/);
    if (fields.length < 6) {
      throw new InputError('ERR_RUN_FORMAT', `expected 6 columns "qid iter docid rank score tag", found ${fields.length}`, { file, line });
    }
    const queryId = fields[0] ?? '';
    const docId = fields[2] ?? '';
    const score = parseScore(fields[4] ?? '');
    if (score === undefined) {
      throw new InputError('ERR_RUN_FORMAT', `score "${fields[4] ?? ''}" is not a number`, { file, line, field: 'score' });
    }
    let docs = run.get(queryId);
    let ids = seen.get(queryId);
    if (docs === undefined || ids === undefined) {
      docs = [];
      ids = new Set();
      run.set(queryId, docs);
      seen.set(queryId, ids);
    }
    if (ids.has(docId)) {
      throw new InputError('ERR_RUN_DUPLICATE_DOC', `query "${queryId}": document "${docId}" appears more than once`, { file, line, field: 'docid' });
    }
    ids.add(docId);
    docs.push({ docId, score });
  }
  return run;
}

/** Parses a score as a decimal or exponent number (also inf/infinity); undefined when not a number. */
function parseScore(text: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
