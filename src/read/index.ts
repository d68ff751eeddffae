export { openPairs, readSourceRows, type SourceRow, type SourceHeader, type SourceRecord } from './open-pairs.js';
export { openRunPairs, type RunPairsOptions } from './run-pairs.js';
export {
  normalizePairReaderOptions,
  formatFromFileName,
  DEFAULT_MAX_DOCUMENT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  type PairFormat,
  type PairReaderOptions,
  type NormalizedPairReaderOptions,
  type PairReject,
  type ReaderNotice,
  type ReadPair,
} from './reader-options.js';
export { PAIR_ROLES, REQUIRED_ROLES, ROLE_ALIASES, resolveColumns, normalizeHeaderName, type PairRole, type ColumnMap } from './column-map.js';
export { truncateUtf8 } from './pair-validator.js';
export { openByteStream, readTextLines, firstInvalidUtf8 } from './open-text-stream.js';
