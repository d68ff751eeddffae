import { stringify } from 'csv-stringify/sync';
import type { PairFormat, SourceHeader, SourceRow } from '../read/index.js';
import { rawNumberToken } from '../read/jsonl-pairs.js';
import { LineWriter } from './line-writer.js';
import { formatScore } from './ranking.js';

/** What became of an input row, in scored.*'s `status` column. */
export const ROW_STATUSES = ['scored', 'not_sent', 'failed', 'missing', 'rejected', 'duplicate'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

/** The columns scored.* adds to every row. */
export interface ScoredCells {
  /** The API's score; null when the row has none (not sent, failed, rejected, a duplicate, missing). */
  score: number | null;
  /** 1-based rank in its query's reranked list (rows never sent included, last); null when not ranked. */
  rank: number | null;
  /** Rank in the first-stage order, when the input gives one. */
  originalRank: number | null;
  /** With a label rule: the predicted label of a scored row. */
  labelPred?: number | null;
  status: RowStatus;
  /** Why a row failed or was rejected: the error's code. */
  errorCode: string | null;
}

/** The names of the added columns; one the input already has gets a `rerank_` prefix. */
const ADDED = ['score', 'rank', 'original_rank', 'label_pred', 'status', 'error_code'] as const;

const cellText = (value: number | string | null | undefined): string => (value === null || value === undefined ? '' : typeof value === 'number' ? formatScore(value) : value);
const jsonValue = (value: number | string | null | undefined): string =>
  value === null || value === undefined ? 'null' : typeof value === 'number' ? (Number.isFinite(value) ? formatScore(value) : 'null') : JSON.stringify(value);

/** A JSONL object's value as a CSV cell: strings as they are, numbers with the digits written, the rest as JSON. */
function jsonCell(value: unknown, key: string, line: () => string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return rawNumberToken(line(), key) ?? String(value);
  return JSON.stringify(value);
}

/**
 * One scored.* file: the input's rows in order, each passed through and followed by the added columns.
 * - The input's own format: every record's bytes as they are (quoting, spacing, ids, numbers), then the
 *   added cells; a CSV/TSV record with fewer fields than the header is padded with empty ones first.
 * - Another format: every value converted, never reinterpreted (CSV cells become JSON strings; JSON
 *   strings become cells as they are, numbers keep their digits, other values their JSON text). JSONL to
 *   CSV takes its columns from the first row's keys; keys first met later are counted in `keysLeftOut`.
 * Names come from the header (JSONL: the first row); a line break as the input's header has it (CSV/TSV).
 */
export class ScoredFile {
  private readonly writer: LineWriter;
  private names: string[] | undefined;
  private added: string[] = [];
  private lineBreak = '\n';
  rows = 0;
  /** JSONL keys not in the first row, which a CSV/TSV output has no column for (first few). */
  readonly keysLeftOut = new Set<string>();

  constructor(
    readonly path: string,
    private readonly format: PairFormat,
    private readonly inputFormat: PairFormat,
    gzip: boolean,
    private readonly withLabel: boolean,
  ) {
    this.writer = new LineWriter(path, { gzip });
  }

  private get delimiter(): string {
    return this.format === 'tsv' ? '\t' : ',';
  }

  private start(header: SourceHeader | undefined, row: SourceRow): void {
    if (header !== undefined) {
      this.names = header.names;
      this.lineBreak = this.format === this.inputFormat ? header.lineBreak : '\n';
    } else {
      const fields = row.source.fields;
      this.names = fields !== undefined && !Array.isArray(fields) ? Object.keys(fields) : [];
    }
    const taken = new Set(this.names);
    this.added = ADDED.filter((name) => name !== 'label_pred' || this.withLabel).map((name) => (taken.has(name) ? `rerank_${name}` : name));
    if (this.format === 'jsonl') return;
    const names = this.names;
    if (header !== undefined && this.format === this.inputFormat) void this.writer.write(Buffer.concat([header.bytes, Buffer.from(`${this.delimiter}${this.added.join(this.delimiter)}${this.lineBreak}`)]));
    else void this.writer.write(this.delimited([...names, ...this.added]));
  }

  private delimited(cells: string[]): string {
    return stringify([cells], { delimiter: this.delimiter, record_delimiter: this.lineBreak === '\r\n' ? 'windows' : 'unix' });
  }

  private addedValues(cells: ScoredCells): (number | string | null)[] {
    const values: (number | string | null)[] = [cells.score, cells.rank, cells.originalRank];
    if (this.withLabel) values.push(cells.labelPred ?? null);
    values.push(cells.status, cells.errorCode);
    return values;
  }

  /** Write one row. `header` is the input's header (CSV/TSV), known once its first row is read. */
  write(row: SourceRow, cells: ScoredCells, header: SourceHeader | undefined): Promise<void> {
    if (this.names === undefined) this.start(header, row);
    const names = this.names ?? [];
    this.rows += 1;
    const added = this.addedValues(cells);
    const { bytes, fields } = row.source;
    if (this.format === 'jsonl') {
      const tail = added.map((value, i) => `${JSON.stringify(this.added[i])}:${jsonValue(value)}`).join(',');
      if (this.inputFormat === 'jsonl') {
        const close = bytes.lastIndexOf(0x7d);
        if (fields !== undefined && !Array.isArray(fields) && close > 0) {
          const empty = Object.keys(fields).length === 0;
          return this.writer.write(Buffer.concat([bytes.subarray(0, close), Buffer.from(`${empty ? '' : ','}${tail}}\n`)]));
        }
        // Not a JSON object (a rejected line): its text under "raw".
        return this.writer.write(`{"raw":${JSON.stringify(bytes.toString('utf8'))},${tail}}\n`);
      }
      const cellsOf = Array.isArray(fields) ? fields : [];
      const pairs = cellsOf.map((cell, i) => `${JSON.stringify(names[i] ?? `column_${i + 1}`)}:${JSON.stringify(cell)}`);
      return this.writer.write(`{${[...pairs, tail].join(',')}}\n`);
    }
    const addedText = added.map(cellText);
    if (this.format === this.inputFormat && Array.isArray(fields)) {
      const padding = this.delimiter.repeat(Math.max(0, names.length - fields.length));
      return this.writer.write(Buffer.concat([bytes, Buffer.from(`${padding}${this.delimiter}${addedText.join(this.delimiter)}${this.lineBreak}`)]));
    }
    let values: string[];
    if (Array.isArray(fields)) {
      values = [...fields, ...new Array<string>(Math.max(0, names.length - fields.length)).fill('')];
    } else if (fields !== undefined) {
      let text: string | undefined;
      const line = (): string => (text ??= bytes.toString('utf8'));
      values = names.map((name) => jsonCell(fields[name], name, line));
      for (const key of Object.keys(fields)) if (!names.includes(key) && this.keysLeftOut.size < 20) this.keysLeftOut.add(key);
    } else {
      values = names.map(() => '');
    }
    return this.writer.write(this.delimited([...values, ...addedText]));
  }

  commit(): Promise<void> {
    return this.writer.commit();
  }

  discard(): Promise<void> {
    return this.writer.discard();
  }
}
