import type { Pair } from '../interfaces.js';
import { UsageError } from '../errors/usage-error.js';
import { PAIR_ROLES, type PairRole } from './column-map.js';
import type { BytesReadListener } from './open-text-stream.js';

/** Input formats understood by `openPairs`. Each may be gzip-compressed (`.gz` suffix). */
export type PairFormat = 'csv' | 'tsv' | 'jsonl';

/** A pair as yielded by the readers: a `Pair`, flagged when its query or document text is empty. */
export type ReadPair = Pair & {
  /**
   * Set (true) only with `onEmptyText: 'score-lowest'`, on a pair whose query or document text is empty or
   * whitespace-only: the pair is kept so it can be ranked last instead of being rejected.
   */
  emptyText?: boolean;
};

/** A row that was not turned into a pair (`onBadRow: 'skip'`). */
export interface PairReject {
  file: string;
  /** 1-based line where the bad record starts. */
  line: number;
  /** Column (CSV/TSV header name) or key (JSONL) at fault, when one is. */
  field?: string;
  /** Stable error code, the same the error would have had with `onBadRow: 'fail'` (e.g. `ERR_INPUT_EMPTY_ID`). */
  code: string;
  reason: string;
  /** The record as it appears in the file (CSV: latin1-decoded bytes of the record; JSONL: the line), when known. */
  raw?: string;
}

/** Something the reader did on purpose and wants a person to know about. */
export type ReaderNotice =
  | {
      kind: 'document-truncated';
      file: string;
      line: number;
      field: string;
      queryId: string;
      docId: string;
      /** UTF-8 bytes of the document before and after truncation. */
      originalBytes: number;
      keptBytes: number;
      message: string;
    }
  | {
      kind: 'duplicate-pairs';
      file: string;
      /** How many repeated (query_id, doc_id) pairs were dropped (the first occurrence of each is kept). */
      count: number;
      /** The first few dropped repeats. */
      examples: { queryId: string; docId: string; line: number }[];
      message: string;
    }
  | {
      kind: 'regrouped-queries';
      file: string;
      /** Queries whose candidates resumed after their first block of lines had been forgotten (see DuplicateFilter). */
      count: number;
      /** The first few: the query and the line where it resumed. */
      examples: { queryId: string; line: number }[];
      message: string;
    };

export interface PairReaderOptions {
  /** Input format. Default: from the file name (`.csv`, `.tsv`, `.jsonl`/`.ndjson`, each optionally `.gz`). */
  format?: PairFormat;
  /**
   * Explicit column (CSV/TSV header name) or key (JSONL) per role; wins over the built-in aliases
   * (see `ROLE_ALIASES`). Matched exactly first, then case-insensitively. Default: aliases only.
   */
  columns?: Partial<Record<PairRole, string>>;
  /** What a bad row does: 'fail' throws its InputError, 'skip' passes it to `onReject` and goes on. Default 'fail'. */
  onBadRow?: 'fail' | 'skip';
  /** Receives every skipped row with `onBadRow: 'skip'`. Default: `process.emitWarning` (nothing is dropped silently). */
  onReject?: (reject: PairReject) => void;
  /**
   * A pair whose query or document text is empty or whitespace-only: 'reject' treats it as a bad row
   * (ERR_INPUT_EMPTY_TEXT, then `onBadRow` decides); 'score-lowest' yields it with `emptyText: true`. Default 'reject'.
   */
  onEmptyText?: 'reject' | 'score-lowest';
  /** Longest document kept, in UTF-8 bytes. Default 32768. */
  maxDocumentBytes?: number;
  /** How messages name that limit, where it comes from another setting. Default `maxDocumentBytes`. */
  maxDocumentBytesSource?: string;
  /**
   * A longer document: 'truncate' cuts it at the last UTF-8 character boundary within `maxDocumentBytes`
   * and reports a 'document-truncated' notice; 'reject' makes it a bad row (ERR_INPUT_DOC_TOO_LONG). Default 'truncate'.
   */
  onLongDocument?: 'truncate' | 'reject';
  /**
   * Longest record (CSV/TSV) or line (JSONL) in bytes, a guard against an unbalanced quote or a wrong format
   * making the parser buffer the rest of the file. Default 8 MiB (8388608).
   */
  maxRecordBytes?: number;
  /** Receives notices (truncated documents, dropped duplicates). Default: `process.emitWarning`. */
  onNotice?: (notice: ReaderNotice) => void;
  /** Told, chunk by chunk, how many bytes of the file are read and how many it has (progress). Default: none. */
  onBytesRead?: BytesReadListener;
  /**
   * Drop repeated (query_id, doc_id) pairs, keeping the first, and report them in one 'duplicate-pairs'
   * notice at the end. Memory does not grow with the input when each query's candidates are on
   * consecutive lines; see DuplicateFilter (and the 'regrouped-queries' notice) for inputs where they
   * are not. Default true.
   */
  detectDuplicates?: boolean;
}

/** `PairReaderOptions` with every default applied; the readers only ever see this. */
export interface NormalizedPairReaderOptions {
  format: PairFormat;
  /** True when the file name ends in `.gz`. */
  gzip: boolean;
  columns: Partial<Record<PairRole, string>>;
  onBadRow: 'fail' | 'skip';
  onReject: (reject: PairReject) => void;
  onEmptyText: 'reject' | 'score-lowest';
  maxDocumentBytes: number;
  maxDocumentBytesSource: string;
  onLongDocument: 'truncate' | 'reject';
  maxRecordBytes: number;
  onNotice: (notice: ReaderNotice) => void;
  onBytesRead: BytesReadListener | undefined;
  detectDuplicates: boolean;
}

export const DEFAULT_MAX_DOCUMENT_BYTES = 32_768;
export const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;

function warnReject(reject: PairReject): void {
  const field = reject.field === undefined ? '' : ` field "${reject.field}":`;
  process.emitWarning(`${reject.file}:${reject.line}:${field} ${reject.reason} (row skipped)`, { code: reject.code });
}

function warnNotice(notice: ReaderNotice): void {
  process.emitWarning(notice.message, { code: notice.kind });
}

/** `gzip` and the format the file name implies, or undefined when the name says nothing. */
export function formatFromFileName(file: string): { format: PairFormat | undefined; gzip: boolean } {
  const lower = file.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  if (base.endsWith('.tsv') || base.endsWith('.tab')) return { format: 'tsv', gzip };
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return { format: 'jsonl', gzip };
  return { format: undefined, gzip };
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`option ${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`);
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw new UsageError(`option ${name} must be a positive integer, got ${JSON.stringify(value)}`);
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new UsageError(`option ${name} must be true or false, got ${JSON.stringify(value)}`);
}

function callback<T>(name: string, value: unknown, fallback: (arg: T) => void): (arg: T) => void {
  if (value === undefined) return fallback;
  if (typeof value === 'function') return value as (arg: T) => void;
  throw new UsageError(`option ${name} must be a function`);
}

function optionalListener(name: string, value: BytesReadListener | undefined): BytesReadListener | undefined {
  if (value === undefined || typeof value === 'function') return value;
  throw new UsageError(`option ${name} must be a function`);
}

/**
 * The one place that applies defaults to and validates `PairReaderOptions` (bad values throw UsageError,
 * ERR_USAGE). `file` is used to infer the format and compression.
 */
export function normalizePairReaderOptions(file: string, options: PairReaderOptions = {}): NormalizedPairReaderOptions {
  const fromName = formatFromFileName(file);
  const format = oneOf<PairFormat>('format', options.format, ['csv', 'tsv', 'jsonl'], fromName.format ?? 'csv');
  if (options.format === undefined && fromName.format === undefined) {
    throw new UsageError(
      `cannot tell the format of ${file} from its name (expected .csv, .tsv, .jsonl or .ndjson, optionally .gz): pass the format option`,
    );
  }
  const columns: Partial<Record<PairRole, string>> = {};
  if (options.columns !== undefined) {
    if (typeof options.columns !== 'object' || options.columns === null) throw new UsageError('option columns must be an object');
    for (const [role, name] of Object.entries(options.columns)) {
      if (!(PAIR_ROLES as readonly string[]).includes(role)) {
        throw new UsageError(`option columns: unknown role "${role}" (roles: ${PAIR_ROLES.join(', ')})`);
      }
      if (name === undefined) continue;
      if (typeof name !== 'string' || name.trim() === '') {
        throw new UsageError(`option columns.${role} must be a non-empty column name`);
      }
      columns[role as PairRole] = name;
    }
  }
  return {
    format,
    gzip: fromName.gzip,
    columns,
    onBadRow: oneOf('onBadRow', options.onBadRow, ['fail', 'skip'], 'fail'),
    onReject: callback<PairReject>('onReject', options.onReject, warnReject),
    onEmptyText: oneOf('onEmptyText', options.onEmptyText, ['reject', 'score-lowest'], 'reject'),
    maxDocumentBytes: positiveInteger('maxDocumentBytes', options.maxDocumentBytes, DEFAULT_MAX_DOCUMENT_BYTES),
    maxDocumentBytesSource: options.maxDocumentBytesSource ?? 'maxDocumentBytes',
    onLongDocument: oneOf('onLongDocument', options.onLongDocument, ['truncate', 'reject'], 'truncate'),
    maxRecordBytes: positiveInteger('maxRecordBytes', options.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES),
    onNotice: callback<ReaderNotice>('onNotice', options.onNotice, warnNotice),
    onBytesRead: optionalListener('onBytesRead', options.onBytesRead),
    detectDuplicates: boolean('detectDuplicates', options.detectDuplicates, true),
  };
}
