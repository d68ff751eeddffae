import { Evaluator, type EvaluateOptions, type EvaluationResult } from './evaluator.js';
import type { Qrels } from '../read/qrels-file.js';
import { isRankedJsonlFile, iterateRankedJsonl } from './ranked-jsonl-run.js';
import { readTrecRun } from './trec-run.js';

/**
 * Evaluates a run file against qrels. A ranked.jsonl (name ending `.jsonl` or `.jsonl.gz`) is streamed one query at a
 * time, so it is never held whole; a TREC run is read whole first (its queries may be interleaved).
 * @throws InputError from the readers (file and line named) or the Evaluator; UsageError for bad options.
 */
export async function evaluateRunFile(qrels: Qrels, file: string, options?: EvaluateOptions): Promise<EvaluationResult> {
  const evaluator = new Evaluator(qrels, options);
  if (isRankedJsonlFile(file)) {
    for await (const { queryId, docs, line } of iterateRankedJsonl(file)) evaluator.addQuery(queryId, docs, { file, line });
  } else {
    for (const [queryId, docs] of await readTrecRun(file)) evaluator.addQuery(queryId, docs, { file });
  }
  return evaluator.result();
}
