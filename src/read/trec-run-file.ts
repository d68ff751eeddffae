import { InputError } from '../errors/input-error.js';
import { readTextLineBatches } from './open-text-stream.js';
import { runLineFields } from './trec-fields.js';
import { problemToError, type RowProblem } from './pair-validator.js';
import type { ScoredDoc } from './trec-order.js';

/** One result line of a TREC run. */
export interface TrecRunEntry extends ScoredDoc {
  /** 1-based line in the run file. */
  line: number;
}

/** Query id -> its results in file order; queries in the order they first appear. */
export type TrecRun = Map<string, TrecRunEntry[]>;

/** Reads in full what C `atof` reads: decimal or exponent notation, or inf/infinity (any case). */
const SCORE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?)$/i;

function parseScore(text: string): number | undefined {
  if (!SCORE.test(text)) return undefined;
  if (/inf/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/**
 * Reads a TREC run with trec_eval 10.0's rules (get_trec_results.c): `qid iter docno rank score tag`
 * split on C whitespace, fields after the sixth ignored, iter/rank/tag never read, blank and `#` lines
 * skipped. Stricter than trec_eval where it would misread silently: a score its `atof` reads only in
 * part or as 0 (`abc`, `1.5x`), or NaN, is ERR_RUN_FORMAT; a document twice in one query is
 * ERR_RUN_DUPLICATE_DOC (trec_eval refuses it too). A bad line goes to `onProblem` (and is left out)
 * when given, else it is thrown as an InputError naming file and line.
 * @throws InputError ERR_INPUT_EMPTY when no line holds a result; ERR_INPUT_FILE, ERR_INPUT_ENCODING.
 */
export async function readTrecRunFile(file: string, onProblem?: (problem: RowProblem) => void): Promise<TrecRun> {
  const report =
    onProblem ??
    ((problem: RowProblem): void => {
      throw problemToError(file, problem);
    });
  const run: TrecRun = new Map();
  const seen = new Map<string, Set<string>>();
  let results = 0;
  // The query of the line before: a run's lines come grouped by query, so most lines skip both lookups.
  let lastQuery: string | undefined;
  let entries: TrecRunEntry[] = [];
  let ids = new Set<string>();
  for await (const batch of readTextLineBatches(file)) for (const { line, text } of batch) {
    const fields = runLineFields(text);
    if (fields === undefined) continue;
    results++;
    const { queryId, docId, score: scoreText } = fields;
    if (fields.count < 6 || queryId === undefined || docId === undefined || scoreText === undefined) {
      report({ code: 'ERR_RUN_FORMAT', reason: `expected 6 fields "query_id Q0 doc_id rank score tag", found ${fields.count}`, line, raw: text });
      continue;
    }
    const score = parseScore(scoreText);
    if (score === undefined) {
      report({ code: 'ERR_RUN_FORMAT', reason: `score ${JSON.stringify(scoreText)} is not a number`, line, field: 'score', raw: text });
      continue;
    }
    if (queryId !== lastQuery) {
      const knownEntries = run.get(queryId);
      const knownIds = seen.get(queryId);
      if (knownEntries === undefined || knownIds === undefined) {
        entries = [];
        ids = new Set();
        run.set(queryId, entries);
        seen.set(queryId, ids);
      } else {
        entries = knownEntries;
        ids = knownIds;
      }
      lastQuery = queryId;
    }
    if (ids.has(docId)) {
      report({ code: 'ERR_RUN_DUPLICATE_DOC', reason: `query "${queryId}": document "${docId}" appears more than once`, line, field: 'doc_id', raw: text });
      continue;
    }
    ids.add(docId);
    entries.push({ docId, score, line });
  }
  if (results === 0) throw new InputError('ERR_INPUT_EMPTY', 'empty run file: no result lines', { file });
  return run;
}
