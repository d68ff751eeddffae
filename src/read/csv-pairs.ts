import { isUtf8 } from 'node:buffer';
import { Readable, pipeline } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { InputError } from '../errors/input-error.js';
import { isColumnProblem, resolveColumns, type ColumnMap, type PairRole } from './column-map.js';
import { describeInvalidUtf8, openByteStream } from './open-text-stream.js';
import type { RawField, RowResult } from './pair-validator.js';
import type { NormalizedPairReaderOptions } from './reader-options.js';

/**
 * CSV and TSV are parsed by csv-parse on raw bytes decoded as latin1 (one char per byte), and each field is
 * then decoded as strict UTF-8 by us. Why not let csv-parse decode UTF-8: it would silently turn invalid
 * bytes into U+FFFD, and its `encoding: null` (Buffer fields) crashes when it builds an error. Latin1 is
 * lossless, and since UTF-8 multi-byte sequences never contain ASCII bytes, the delimiter, quote and line
 * breaks are found exactly as in UTF-8. The byte order mark is removed before parsing (openByteStream):
 * csv-parse's own `bom` option would switch its decoding back to UTF-8.
 *
 * Line numbers: csv-parse's `info.lines` counts a CRLF as two lines, so we count ourselves from `raw` (the
 * record as read, which starts with any skipped empty lines and ends with the first byte of its record
 * delimiter): a record starts one line after every line break consumed before it.
 */
interface CsvRecord {
  record: string[];
  raw: string;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Line breaks in `s`: LF, CRLF and a lone CR each count once. */
function countLineBreaks(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a) n++;
    else if (c === 0x0d && s.charCodeAt(i + 1) !== 0x0a) n++;
  }
  return n;
}

/** Line breaks before the first other character of `s` (empty lines csv-parse skipped). */
function leadingLineBreaks(s: string): number {
  let n = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x0d) i += s.charCodeAt(i + 1) === 0x0a ? 2 : 1;
    else if (c === 0x0a) i += 1;
    else break;
    n++;
  }
  return n;
}

const latin1Bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
/**
 * The record's own bytes: csv-parse's `raw` less the empty lines it skipped before the record and the one
 * byte of its record delimiter it ends with (it keeps the first byte of a CRLF and drops the second).
 */
const recordBytes = (raw: string): Buffer => latin1Bytes(raw.replace(/^[\r\n]+/, '').replace(/[\r\n]$/, ''));
/** The header of a delimited file as written, for outputs that pass its rows through. */
export interface SourceHeader {
  bytes: Buffer;
  names: string[];
  /** The line break after the header: CRLF when csv-parse's raw header ends with a CR. */
  lineBreak: '\n' | '\r\n';
}
/** The raw record for people: decoded as UTF-8 (invalid bytes become U+FFFD), without skipped empty lines or its final line break. */
const rawForPeople = (raw: string): string => latin1Bytes(raw).toString('utf8').replace(/^[\r\n]+/, '').replace(/[\r\n]$/, '');

/**
 * Rows of a CSV (`delimiter` ",") or TSV ("\t") file with a header row. RFC 4180 quoting (embedded
 * delimiters, doubled quotes, line breaks); a quote inside an unquoted field is kept as is. Streams:
 * memory is bounded by `maxRecordBytes`. Throws InputError for problems of the file as a whole (empty
 * file, header, CSV syntax, encoding of the header); yields row problems for the validator otherwise.
 */
export async function* readDelimitedRows(
  file: string,
  options: NormalizedPairReaderOptions,
  delimiter: ',' | '\t',
  /** Attach each record as written (RowResult.source), and hand over the header. */
  keepSource?: { onHeader(header: SourceHeader): void },
): AsyncGenerator<RowResult, void, undefined> {
  const parser = parse({
    delimiter,
    encoding: 'latin1',
    bom: false,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: options.maxRecordBytes,
  });
  pipeline(Readable.from(openByteStream(file, options.gzip, options.onBytesRead)), parser, () => undefined);

  let linesBefore = 0;
  let header: string[] | undefined;
  let headerLine = 1;
  let columns: ColumnMap = {};
  let mapped: [PairRole, { index: number; name: string }][] = [];
  let rows = 0;
  try {
    for await (const { record, raw } of parser as AsyncIterable<CsvRecord>) {
      const line = linesBefore + leadingLineBreaks(raw) + 1;
      linesBefore += countLineBreaks(raw);
      const ascii = !NON_ASCII.test(raw);

      if (header === undefined) {
        headerLine = line;
        if (!ascii && !isUtf8(latin1Bytes(raw))) {
          throw new InputError('ERR_INPUT_ENCODING', describeInvalidUtf8(latin1Bytes(raw), 'header'), { file, line });
        }
        header = ascii ? record : record.map((f) => latin1Bytes(f).toString('utf8'));
        const resolved = resolveColumns(header, options.columns);
        if (isColumnProblem(resolved)) throw new InputError(resolved.code, resolved.reason, { file, line, field: resolved.field });
        columns = resolved;
        mapped = Object.entries(columns) as [PairRole, { index: number; name: string }][];
        keepSource?.onHeader({ bytes: recordBytes(raw), names: header, lineBreak: raw.endsWith('\r') ? '\r\n' : '\n' });
        continue;
      }

      rows++;
      const source = keepSource === undefined ? undefined : { source: { bytes: recordBytes(raw), fields: ascii ? record : record.map((f) => latin1Bytes(f).toString('utf8')) } };
      if (record.length !== header.length) {
        yield {
          ...source,
          problem: {
            code: 'ERR_INPUT_CSV',
            reason: `expected ${header.length} fields as in the header, found ${record.length}`,
            line,
            raw: rawForPeople(raw),
          },
        };
        continue;
      }
      if (!ascii && !isUtf8(latin1Bytes(raw))) {
        const bad = record.findIndex((f) => NON_ASCII.test(f) && !isUtf8(latin1Bytes(f)));
        const value = record[bad] ?? '';
        yield {
          ...source,
          problem: {
            code: 'ERR_INPUT_ENCODING',
            reason: describeInvalidUtf8(latin1Bytes(value), 'field'),
            line,
            field: header[bad] ?? `column ${bad + 1}`,
            raw: rawForPeople(raw),
          },
        };
        continue;
      }
      const fields: Partial<Record<PairRole, RawField>> = {};
      for (const [role, { index, name }] of mapped) {
        const value = record[index] ?? '';
        fields[role] = { name, value: ascii || !NON_ASCII.test(value) ? value : latin1Bytes(value).toString('utf8') };
      }
      yield { ...source, row: { line, raw: () => rawForPeople(raw), fields } };
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const partial = error.raw;
      const line = linesBefore + (typeof partial === 'string' ? leadingLineBreaks(partial) : 0) + 1;
      const column = error.column;
      const field = typeof column === 'number' && header !== undefined ? header[column] : undefined;
      const reason = `${error.code}: ${error.message.replace(/\s*(?:at|on) line \d+/g, '')}${line > 0 ? ` (record starting at line ${line})` : ''}`;
      throw new InputError('ERR_INPUT_CSV', reason, { file, line, ...(field === undefined ? {} : { field }) }, { cause: error });
    }
    throw error;
  } finally {
    parser.destroy();
  }
  if (header === undefined) throw new InputError('ERR_INPUT_EMPTY', 'empty file: no header and no rows', { file });
  if (rows === 0) throw new InputError('ERR_INPUT_EMPTY', 'header but no rows', { file, line: headerLine });
}
