import { readDelimitedRows } from './csv-pairs.js';
import { readJsonlRows } from './jsonl-pairs.js';
import { PairValidator, type RowResult } from './pair-validator.js';
import { normalizePairReaderOptions, type NormalizedPairReaderOptions, type PairReaderOptions, type ReadPair } from './reader-options.js';

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
