import { readDelimitedRows, type SourceHeader } from './csv-pairs.js';
import { readJsonlRows } from './jsonl-pairs.js';
import { PairValidator, type RowResult, type SourceRecord } from './pair-validator.js';
import { normalizePairReaderOptions, type NormalizedPairReaderOptions, type PairReaderOptions, type PairReject, type ReadPair } from './reader-options.js';

export type { SourceHeader, SourceRecord };

function rowsOf(file: string, options: NormalizedPairReaderOptions): AsyncGenerator<RowResult, void, undefined> {
  switch (options.format) {
    case 'csv':
      return readDelimitedRows(file, options, ',');
    case 'tsv':
      return readDelimitedRows(file, options, '\t');
    case 'jsonl':
      return readJsonlRows(file, options);
  }
}

/**
 * Streams the query-candidate pairs of a CSV, TSV or JSONL file (each optionally gzipped), in file order.
 * Options are validated at once (UsageError); the file is opened on the first iteration. Bad input throws
 * InputError naming file, line and field (or, with `onBadRow: 'skip'`, goes to `onReject`). Repeated
 * (query_id, doc_id) pairs are dropped and reported through `onNotice` once the file is read.
 * Memory does not grow with the file size (see `detectDuplicates` for the one O(pairs) structure).
 */
export function openPairs(file: string, options?: PairReaderOptions): AsyncIterable<ReadPair> {
  const normalized = normalizePairReaderOptions(file, options);
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<ReadPair, void, undefined> {
      const validator = new PairValidator(file, normalized);
      for await (const result of rowsOf(file, normalized)) {
        const pair = validator.accept(result);
        if (pair !== undefined) yield pair;
      }
      validator.finish();
    },
  };
}

/** A row of a pairs file as written, and what the reader made of it. */
export interface SourceRow {
  /** 1-based line where the record starts (0 when a bad record's line is unknown). */
  line: number;
  source: SourceRecord;
  outcome:
    | { kind: 'pair'; pair: ReadPair }
    /** A bad row: with `onBadRow: 'skip'` the run left it out (listed in its rejects file). */
    | { kind: 'rejected'; code: string; reason: string; field?: string }
    /** A repeated (query_id, doc_id): the run kept the first. */
    | { kind: 'duplicate' };
}

/**
 * Every record of a pairs file in file order, as written (bytes, and fields for CSV/TSV or the object
 * for JSONL), each with the verdict the run's reader gave it: the same validation, document cap and
 * duplicate detection, with bad rows reported instead of thrown. For outputs that pass every input row
 * through (scored.csv); memory does not grow with the file. `onHeader` receives a CSV/TSV header.
 */
export async function* readSourceRows(
  file: string,
  options: PairReaderOptions,
  onHeader: (header: SourceHeader) => void = () => undefined,
): AsyncGenerator<SourceRow, void, undefined> {
  // Set by onReject during accept(): a holder, since TypeScript cannot see a callback assign a local.
  const last: { reject?: PairReject | undefined } = {};
  const lastReject = (): PairReject | undefined => last.reject;
  const normalized = normalizePairReaderOptions(file, {
    ...options,
    onBadRow: 'skip',
    onReject: (r) => {
      last.reject = r;
    },
    onNotice: () => undefined,
  });
  const rows = normalized.format === 'jsonl' ? readJsonlRows(file, normalized, true) : readDelimitedRows(file, normalized, normalized.format === 'tsv' ? '\t' : ',', { onHeader });
  const validator = new PairValidator(file, normalized);
  for await (const result of rows) {
    const source = result.source;
    // Attached by both readers when asked; a reader that forgot would otherwise lose rows silently.
    if (source === undefined) throw new Error(`${file}: the reader gave a record without its source`);
    last.reject = undefined;
    const pair = validator.accept(result);
    const reject = lastReject();
    const line = 'row' in result ? result.row.line : result.problem.line;
    if (pair !== undefined) yield { line, source, outcome: { kind: 'pair', pair } };
    else if (reject !== undefined) yield { line, source, outcome: { kind: 'rejected', code: reject.code, reason: reject.reason, ...(reject.field === undefined ? {} : { field: reject.field }) } };
    else yield { line, source, outcome: { kind: 'duplicate' } };
  }
}
