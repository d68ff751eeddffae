import type { ErrorCode } from '../errors/error-codes.js';
import { InputError } from '../errors/input-error.js';
import { ROLE_NAMES, type PairRole } from './column-map.js';
import { DuplicateFilter } from './duplicate-filter.js';
import type { NormalizedPairReaderOptions, ReadPair } from './reader-options.js';

/** One field of a row: the column/key name as written in the file, and its value (a string from CSV/TSV, any JSON value from JSONL). */
export interface RawField {
  name: string;
  value: unknown;
}

/** A parsed row before validation. */
export interface RawRow {
  /** 1-based line where the record starts. */
  line: number;
  /** The record as written, for PairReject.raw; a function so that it costs nothing unless a row is rejected. */
  raw?: () => string;
  fields: Partial<Record<PairRole, RawField>>;
}

/** Why a row is bad. Becomes an InputError (onBadRow 'fail') or a PairReject (onBadRow 'skip'). */
export interface RowProblem {
  code: ErrorCode;
  reason: string;
  line: number;
  field?: string;
  raw?: string;
}

/**
 * A record exactly as the file has it, for outputs that pass every row through (scored.csv, scored.jsonl).
 * Readers attach it only when asked (`keepSource`): the run itself never needs it.
 */
export interface SourceRecord {
  /** Its bytes, without the empty lines before it or the line break that ends it. */
  bytes: Buffer;
  /** CSV/TSV: its fields, decoded as UTF-8 (invalid bytes replaced). JSONL: the object, or undefined when the line is no JSON object. */
  fields: string[] | Record<string, unknown> | undefined;
}

/** What a format reader yields per record: a row to validate, or a problem found while parsing it. */
export type RowResult = ({ row: RawRow } | { problem: RowProblem }) & { source?: SourceRecord };

export function problemToError(file: string, problem: RowProblem): InputError {
  return new InputError(problem.code, problem.reason, { file, line: problem.line, ...(problem.field === undefined ? {} : { field: problem.field }) });
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHITESPACE = /\s/u;
/** How many repeats `duplicate-pairs` notices list. */
const DUPLICATE_EXAMPLES = 5;

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, at a character boundary. Returns the text and its byte length. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; bytes: number; originalBytes: number } {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no encoding at all.
  if (text.length * 3 <= maxBytes) return { text, bytes: -1, originalBytes: -1 };
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= maxBytes) return { text, bytes: encoded.length, originalBytes: encoded.length };
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: encoded.subarray(0, end).toString('utf8'), bytes: end, originalBytes: encoded.length };
}

/**
 * Turns raw rows into pairs: checks ids, texts and numbers, truncates or rejects long documents, drops
 * repeated (query_id, doc_id) pairs, and applies `onBadRow` / `onEmptyText`. Call `finish()` after the
 * last row to report duplicates.
 */
export class PairValidator {
  /** Rows offered (good or bad). */
  rows = 0;
  /** Pairs accepted. */
  pairs = 0;
  /** Rows rejected with onBadRow 'skip'. */
  rejected = 0;
  /** Duplicate detection in memory that does not grow with the input (see DuplicateFilter). */
  private readonly seen = new DuplicateFilter(DUPLICATE_EXAMPLES);
  private duplicates = 0;
  private readonly duplicateExamples: { queryId: string; docId: string; line: number }[] = [];

  constructor(
    private readonly file: string,
    private readonly options: NormalizedPairReaderOptions,
  ) {}

  /** The pair, or undefined when the row was skipped (reported through onReject) or is a duplicate. Throws with onBadRow 'fail'. */
  accept(result: RowResult): ReadPair | undefined {
    this.rows++;
    const outcome = 'problem' in result ? result.problem : this.toPair(result.row);
    if ('code' in outcome) {
      if (this.options.onBadRow === 'fail') throw problemToError(this.file, outcome);
      this.rejected++;
      this.options.onReject({
        file: this.file,
        line: outcome.line,
        code: outcome.code,
        reason: outcome.reason,
        ...(outcome.field === undefined ? {} : { field: outcome.field }),
        ...(outcome.raw === undefined ? {} : { raw: outcome.raw }),
      });
      return undefined;
    }
    if (this.options.detectDuplicates) {
      if (!this.seen.add(outcome.queryId, outcome.docId, outcome.line)) {
        this.duplicates++;
        if (this.duplicateExamples.length < DUPLICATE_EXAMPLES) {
          this.duplicateExamples.push({ queryId: outcome.queryId, docId: outcome.docId, line: outcome.line });
        }
        return undefined;
      }
    }
    this.pairs++;
    return outcome;
  }

  /** Reports dropped duplicates, and queries whose repeats could not all be checked, through onNotice. */
  finish(): void {
    const { forgottenCount, forgotten } = this.seen;
    if (forgottenCount > 0) {
      const examples = forgotten.map((r) => `query ${r.queryId} (again at line ${r.line})`).join(', ');
      this.options.onNotice({
        kind: 'regrouped-queries',
        file: this.file,
        count: forgottenCount,
        examples: [...forgotten],
        message:
          `${this.file}: ${forgottenCount} quer${forgottenCount === 1 ? 'y' : 'ies'} resumed far from ${forgottenCount === 1 ? 'its' : 'their'} first candidates: ${examples}${forgottenCount > forgotten.length ? ', ...' : ''}. ` +
          "A pair repeated between such a query's first block of lines and a later one is not detected while reading (that would take memory growing with the input): it is scored twice and written once. Sort the input by query_id to avoid this.",
      });
    }
    if (this.duplicates === 0) return;
    const examples = this.duplicateExamples.map((d) => `query ${d.queryId} doc ${d.docId} (line ${d.line})`).join(', ');
    this.options.onNotice({
      kind: 'duplicate-pairs',
      file: this.file,
      count: this.duplicates,
      examples: [...this.duplicateExamples],
      message: `${this.file}: dropped ${this.duplicates} repeated (query_id, doc_id) pair(s), keeping the first of each: ${examples}${this.duplicates > this.duplicateExamples.length ? ', ...' : ''}`,
    });
  }

  private toPair(row: RawRow): ReadPair | RowProblem {
    const { line } = row;
    const problem = (code: ErrorCode, role: PairRole, reason: string): RowProblem => ({
      code,
      reason,
      line,
      field: row.fields[role]?.name ?? ROLE_NAMES[role],
      ...(row.raw === undefined ? {} : { raw: row.raw() }),
    });

    const ids: Partial<Record<'queryId' | 'docId', string>> = {};
    for (const role of ['queryId', 'docId'] as const) {
      const value = row.fields[role]?.value;
      let id: string;
      if (typeof value === 'string') id = value;
      else if (typeof value === 'number' && Number.isFinite(value)) id = String(value);
      else if (value === undefined || value === null) id = '';
      else return problem('ERR_INPUT_JSON', role, `expected a string or a number, got ${JSON.stringify(value)}`);
      if (id === '') return problem('ERR_INPUT_EMPTY_ID', role, 'empty value');
      if (WHITESPACE.test(id)) return problem('ERR_INPUT_ID_WHITESPACE', role, `id ${JSON.stringify(id)} contains whitespace (TREC files split on whitespace)`);
      ids[role] = id;
    }

    let emptyText = false;
    const texts: Partial<Record<'query' | 'document', string>> = {};
    for (const role of ['query', 'document'] as const) {
      const value = row.fields[role]?.value;
      let text: string;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else if (value === undefined || value === null) text = '';
      else return problem('ERR_INPUT_JSON', role, `expected a string, got ${JSON.stringify(value)}`);
      if (text.trim() === '') {
        if (this.options.onEmptyText === 'reject') return problem('ERR_INPUT_EMPTY_TEXT', role, `empty ${role === 'query' ? 'query' : 'document'} text`);
        emptyText = true;
      }
      texts[role] = text;
    }

    const numbers: Partial<Record<'score' | 'rank' | 'label', number>> = {};
    for (const role of ['score', 'rank', 'label'] as const) {
      const field = row.fields[role];
      if (field === undefined) continue;
      const { value } = field;
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && value.trim() !== '') {
        const s = value.trim();
        if (!DECIMAL.test(s)) return problem('ERR_INPUT_NUMBER', role, `not a number: ${JSON.stringify(value)}`);
        n = Number(s);
      } else if ((value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) && role === 'label') {
        continue; // an unlabelled pair
      } else if (value === undefined || value === null || typeof value === 'string') {
        return problem('ERR_INPUT_NUMBER', role, 'empty value (a number is required once the column exists)');
      } else {
        return problem('ERR_INPUT_NUMBER', role, `not a number: ${JSON.stringify(value)}`);
      }
      if (!Number.isFinite(n)) return problem('ERR_INPUT_NUMBER', role, `not a finite number: ${JSON.stringify(value)}`);
      if (role === 'rank' && !(Number.isInteger(n) && n >= 1)) return problem('ERR_INPUT_NUMBER', role, `rank must be a positive integer, got ${JSON.stringify(value)}`);
      numbers[role] = n;
    }

    const queryId = ids.queryId ?? '';
    const docId = ids.docId ?? '';
    let document = texts.document ?? '';
    const cut = truncateUtf8(document, this.options.maxDocumentBytes);
    if (cut.text !== document) {
      if (this.options.onLongDocument === 'reject') {
        return problem('ERR_INPUT_DOC_TOO_LONG', 'document', `document is ${cut.originalBytes} UTF-8 bytes, over ${this.options.maxDocumentBytesSource} (${this.options.maxDocumentBytes})`);
      }
      const field = row.fields.document?.name ?? ROLE_NAMES.document;
      this.options.onNotice({
        kind: 'document-truncated',
        file: this.file,
        line,
        field,
        queryId,
        docId,
        originalBytes: cut.originalBytes,
        keptBytes: cut.bytes,
        message: `${this.file}:${line}: field "${field}": document ${docId} of ${cut.originalBytes} UTF-8 bytes truncated to ${cut.bytes} (${this.options.maxDocumentBytesSource} ${this.options.maxDocumentBytes})`,
      });
      document = cut.text;
    }

    const pair: ReadPair = { queryId, query: texts.query ?? '', docId, document, line };
    if (numbers.score !== undefined) pair.score = numbers.score;
    if (numbers.rank !== undefined) pair.rank = numbers.rank;
    if (numbers.label !== undefined) pair.label = numbers.label;
    if (emptyText) pair.emptyText = true;
    return pair;
  }
}
