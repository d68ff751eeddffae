import { readTrecRunFile } from '../read/trec-run-file.js';
import type { ScoredDoc } from '../read/trec-order.js';
import { isRankedJsonlFile, readRankedJsonlRun } from './ranked-jsonl-run.js';

/** A run: query id -> retrieved documents (any order; the evaluator sorts them). */
export type Run = Map<string, ScoredDoc[]>;

/**
 * Reads a run file for evaluation. A name ending in `.jsonl` (or `.jsonl.gz`) is read as the project's ranked.jsonl (see
 * readRankedJsonlRun); anything else as a TREC run, with the rules `--run-file` uses too (see
 * readTrecRunFile).
 * @throws InputError from those readers, naming file and line.
 */
export async function readTrecRun(file: string): Promise<Run> {
  if (isRankedJsonlFile(file)) return readRankedJsonlRun(file);
  return readTrecRunFile(file);
}
