import { InputError } from '../errors/input-error.js';
import { readTextLineBatches } from './open-text-stream.js';
import { trecFields } from './trec-fields.js';

/** Judgments: query id -> document id -> label. Labels are integers; < 0 means "in the pool, unjudged". */
export type Qrels = Map<string, Map<string, number>>;

/**
 * Reads TREC qrels with trec_eval 10.0's rules (get_qrels.c): `qid iter docid rel` split on C
 * whitespace, iter ignored, an integer label. Beyond trec_eval, which refuses them: 3 fields
 * `qid docid rel`, blank lines, and `#` comments after leading blanks. Stricter where its `atol` would
 * misread silently: a label that is not an integer (`1.5`, `x`) is an error. BEIR's qrels
 * (`qrels/test.tsv`: a `query-id corpus-id score` header line, then `qid docid rel` rows) read as they are.
 * @throws InputError ERR_QRELS_FORMAT (bad line), ERR_QRELS_DUPLICATE (a document judged twice for one
 *   query, which trec_eval rejects too), ERR_QRELS_EMPTY (no judgments), ERR_INPUT_FILE,
 *   ERR_INPUT_ENCODING; the message names the file and line.
 */
export async function readQrels(file: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let first = true;
  for await (const batch of readTextLineBatches(file)) for (const { text, line } of batch) {
    const fields = trecFields(text);
    if (fields === undefined) continue;
    const header = first && isBeirHeader(fields);
    first = false;
    if (header) continue;
    if (fields.length !== 3 && fields.length !== 4) {
      throw new InputError('ERR_QRELS_FORMAT', `expected 4 fields "qid iter docid rel" (or 3: "qid docid rel"), found ${fields.length}`, { file, line });
    }
    const queryId = fields[0] ?? '';
    const docId = fields[fields.length - 2] ?? '';
    const relText = fields[fields.length - 1] ?? '';
    if (!/^[+-]?\d+$/.test(relText) || !Number.isSafeInteger(Number(relText))) {
      throw new InputError('ERR_QRELS_FORMAT', `relevance "${relText}" is not an integer`, { file, line, field: 'rel' });
    }
    let judged = qrels.get(queryId);
    if (judged === undefined) {
      judged = new Map();
      qrels.set(queryId, judged);
    }
    if (judged.has(docId)) {
      throw new InputError('ERR_QRELS_DUPLICATE', `query "${queryId}": document "${docId}" is judged more than once`, { file, line });
    }
    judged.set(docId, Number(relText));
  }
  if (qrels.size === 0) throw new InputError('ERR_QRELS_EMPTY', 'no judgments found', { file });
  return qrels;
}

/** BEIR's qrels header, `query-id<TAB>corpus-id<TAB>score` (any case). */
function isBeirHeader(fields: readonly string[]): boolean {
  return fields.length === 3 && fields.map((f) => f.toLowerCase()).join(' ') === 'query-id corpus-id score';
}
