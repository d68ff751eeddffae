import { isUtf8 } from 'node:buffer';
import { InputError } from '../errors/input-error.js';
import { isColumnProblem, resolveColumns, type ColumnMap, type ColumnProblem, type PairRole } from './column-map.js';
import { describeInvalidUtf8, openByteStream, splitLines } from './open-text-stream.js';
import type { RawField, RowResult } from './pair-validator.js';
import type { NormalizedPairReaderOptions } from './reader-options.js';

/** Distinct key sets remembered (objects of one file nearly always share one). */
const KEY_CACHE_LIMIT = 64;

const isBlank = (bytes: Buffer): boolean => {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The number token written for `key` in the JSON text `line` ("007" is a string and never gets here;
 * 7 gives "7", 7.0 gives "7.0", 12345678901234567890 keeps all its digits), or undefined if not found.
 */
export function rawNumberToken(line: string, key: string): string | undefined {
  const re = new RegExp(`"${escapeRegExp(key)}"\\s*:\\s*(-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)`, 'g');
  let last: string | undefined;
  for (const match of line.matchAll(re)) last = match[1];
  return last;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** With invalid UTF-8 in a line: the key whose string value holds the (replaced) bad bytes, when the line still parses. */
function keyWithBadBytes(bytes: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (!isPlainObject(parsed)) return undefined;
    return Object.keys(parsed).find((k) => {
      const v = parsed[k];
      return k.includes('\uFFFD') || (typeof v === 'string' && v.includes('\uFFFD'));
    });
  } catch {
    return undefined;
  }
}

/**
 * Rows of a JSONL file: one JSON object per line with the same column names (and aliases) as the CSV
 * header; blank lines are skipped. Ids written as JSON numbers become the digits as written. Memory is
 * bounded by `maxRecordBytes` (the longest line). Each line stands alone, so a bad line (invalid JSON or
 * UTF-8, a missing or ambiguous key) is a row problem, skippable with onBadRow 'skip'.
 */
export async function* readJsonlRows(file: string, options: NormalizedPairReaderOptions, keepSource = false): AsyncGenerator<RowResult, void, undefined> {
  const keyCache = new Map<string, ColumnMap | ColumnProblem>();
  let lines = 0;
  for await (const { line, bytes } of splitLines(openByteStream(file, options.gzip, options.onBytesRead), file, options.maxRecordBytes, 'ERR_INPUT_JSON')) {
    if (isBlank(bytes)) continue;
    lines++;
    // A copy: `bytes` may be a view of a chunk the reader goes on to reuse.
    const source = keepSource ? { source: { bytes: Buffer.from(bytes), fields: undefined as Record<string, unknown> | undefined } } : undefined;
    if (!isUtf8(bytes)) {
      const field = keyWithBadBytes(bytes);
      yield {
        ...source,
        problem: {
          code: 'ERR_INPUT_ENCODING',
          reason: describeInvalidUtf8(bytes, 'line'),
          line,
          ...(field === undefined ? {} : { field }),
          raw: bytes.toString('utf8'),
        },
      };
      continue;
    }
    const text = bytes.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      yield { ...source, problem: { code: 'ERR_INPUT_JSON', reason: `invalid JSON (${(error as Error).message})`, line, raw: text } };
      continue;
    }
    if (!isPlainObject(parsed)) {
      yield { ...source, problem: { code: 'ERR_INPUT_JSON', reason: `expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`, line, raw: text } };
      continue;
    }
    if (source !== undefined) source.source.fields = parsed;
    const keys = Object.keys(parsed);
    const signature = keys.join('\u0000');
    let resolved = keyCache.get(signature);
    if (resolved === undefined) {
      resolved = resolveColumns(keys, options.columns);
      if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
      keyCache.set(signature, resolved);
    }
    if (isColumnProblem(resolved)) {
      yield { ...source, problem: { code: resolved.code, reason: resolved.reason, line, field: resolved.field, raw: text } };
      continue;
    }
    const fields: Partial<Record<PairRole, RawField>> = {};
    for (const [role, { name }] of Object.entries(resolved) as [PairRole, { index: number; name: string }][]) {
      let value = parsed[name];
      if ((role === 'queryId' || role === 'docId') && typeof value === 'number') value = rawNumberToken(text, name) ?? String(value);
      fields[role] = { name, value };
    }
    yield { ...source, row: { line, raw: () => text, fields } };
  }
  if (lines === 0) throw new InputError('ERR_INPUT_EMPTY', 'empty file: no JSON lines', { file });
}
