import { createReadStream, fstatSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { ErrorCode } from '../errors/error-codes.js';
import { InputError } from '../errors/input-error.js';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Turns an error of the file or gzip layer into an InputError: a file that cannot be opened is
 * ERR_INPUT_FILE, corrupt or truncated gzip data is ERR_INPUT_ENCODING. InputErrors pass through.
 */
export function toInputError(error: unknown, file: string): unknown {
  if (error instanceof InputError) return error;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      return new InputError('ERR_INPUT_ENCODING', `not valid gzip data (${error.message})`, { file }, { cause: error });
    }
    if (typeof code === 'string' && ['ENOENT', 'EACCES', 'EISDIR', 'EPERM', 'ENOTDIR', 'ELOOP'].includes(code)) {
      return new InputError('ERR_INPUT_FILE', `cannot read the file (${code}: ${error.message})`, { file }, { cause: error });
    }
  }
  return error;
}

/** Told, as a file is read, how many of its bytes are read so far and how many it has. */
export type BytesReadListener = (read: number, size: number) => void;

/**
 * The file's bytes as a stream of chunks, gunzipped when `gzip`, with a leading UTF-8 byte order mark
 * removed. Reads in 256 KiB chunks: memory does not depend on the file size. Errors are InputErrors
 * (see `toInputError`). Breaking out of the iteration closes the file.
 */
export async function* openByteStream(file: string, gzip: boolean, onBytesRead?: BytesReadListener): AsyncGenerator<Buffer, void, undefined> {
  const raw = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  // Bytes of the file itself (compressed ones for a .gz): how far through it the reading is.
  let size: number | undefined;
  if (onBytesRead !== undefined) raw.once('open', (fd: number) => (size = fstatSync(fd).size));
  let source: Readable = raw;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
    // pipeline destroys gunzip with the file's error (or its own), which the loop below then throws.
    pipeline(raw, gunzip, () => undefined);
    source = gunzip;
  }
  let head: Buffer | undefined = Buffer.alloc(0);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (size !== undefined) onBytesRead?.(raw.bytesRead, size);
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < UTF8_BOM.length) continue;
        const start = head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
        const first = head.subarray(start);
        head = undefined;
        if (first.length > 0) yield first;
        continue;
      }
      yield chunk;
    }
    if (head !== undefined && head.length > 0 && !UTF8_BOM.subarray(0, head.length).equals(head)) yield head;
  } catch (error) {
    throw toInputError(error, file);
  } finally {
    raw.destroy();
    source.destroy();
  }
}

/** Byte offset of the first byte that is not part of a valid UTF-8 sequence, or -1 when all of `bytes` is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Describes the first invalid UTF-8 byte of `bytes` for an error message ("byte 0xff at byte 12 of the field"). */
export function describeInvalidUtf8(bytes: Uint8Array, what: string): string {
  const at = firstInvalidUtf8(bytes);
  const byte = bytes[at];
  const hex = byte === undefined ? '?' : `0x${byte.toString(16).padStart(2, '0')}`;
  return `invalid UTF-8: byte ${hex} at byte ${at + 1} of the ${what}`;
}

/** Decodes UTF-8 strictly: the string, or undefined when `bytes` is not valid UTF-8. */
export function decodeUtf8Strict(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

export interface ByteLine {
  /** 1-based line number. */
  line: number;
  /** The line without its terminator (LF, or CRLF). */
  bytes: Buffer;
}

/**
 * Splits a byte stream into lines at LF (a CR before the LF is dropped), a chunk's lines at a time: a
 * reader of millions of short lines pays one await per chunk, not per line. Memory is bounded by the
 * longest line: a line over `maxLineBytes` throws `tooLongCode` (an InputError naming the line).
 */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  file: string,
  maxLineBytes: number,
  tooLongCode: ErrorCode,
): AsyncGenerator<ByteLine[], void, undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  const finish = (bytes: Buffer): ByteLine => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    return { line: line++, bytes: bytes.subarray(0, end) };
  };
  for await (const chunk of chunks) {
    const batch: ByteLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      let bytes = chunk.subarray(start, nl);
      if (pending.length > 0) {
        bytes = Buffer.concat([...pending, bytes]);
        pending = [];
        pendingBytes = 0;
      }
      if (bytes.length > maxLineBytes) {
        throw new InputError(tooLongCode, `line longer than ${maxLineBytes} bytes (maxRecordBytes)`, { file, line });
      }
      batch.push(finish(bytes));
      start = nl + 1;
    }
    if (start < chunk.length) {
      // The unfinished line waits for the next chunk (this keeps at most one chunk alive per pending piece).
      const rest = chunk.subarray(start);
      pending.push(rest);
      pendingBytes += rest.length;
      if (pendingBytes > maxLineBytes) {
        throw new InputError(tooLongCode, `line longer than ${maxLineBytes} bytes (maxRecordBytes)`, { file, line });
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (pending.length > 0) yield [finish(Buffer.concat(pending))];
}

/** splitLineBatches one line at a time. */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  file: string,
  maxLineBytes: number,
  tooLongCode: ErrorCode,
): AsyncGenerator<ByteLine, void, undefined> {
  for await (const batch of splitLineBatches(chunks, file, maxLineBytes, tooLongCode)) yield* batch;
}

export interface TextLine {
  line: number;
  text: string;
}

/**
 * The lines of a (possibly gzipped) UTF-8 text file, decoded strictly, a chunk's lines at a time: invalid
 * UTF-8 throws ERR_INPUT_ENCODING naming the line, and a line over `maxLineBytes` ERR_INPUT_ENCODING too
 * (the guard against a file with no line breaks). Each chunk's whole lines are checked and decoded at once
 * and then split, so a file of millions of short lines (runs, qrels) costs one await and one decode per
 * chunk, not a Buffer and a promise per line. Used for run, qrels, queries and documents files.
 */
export async function* readTextLineBatches(file: string, options: { gzip?: boolean; maxLineBytes?: number } = {}): AsyncGenerator<TextLine[], void, undefined> {
  const gzip = options.gzip ?? file.toLowerCase().endsWith('.gz');
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024 * 1024;
  let carry: Buffer[] = [];
  let carried = 0;
  let line = 1;
  /** The lines of `bytes` (whole lines, without the last line break), numbered from `line`. */
  const decode = (bytes: Buffer): TextLine[] => {
    if (!isUtf8(bytes)) {
      // Name the line: check them one by one (rare: the file is not UTF-8).
      let start = 0;
      for (let n = line; ; n++) {
        const nl = bytes.indexOf(0x0a, start);
        const piece = bytes.subarray(start, nl < 0 ? bytes.length : nl);
        if (!isUtf8(piece)) throw new InputError('ERR_INPUT_ENCODING', describeInvalidUtf8(piece, 'line'), { file, line: n });
        start = nl + 1;
      }
    }
    const texts = bytes.toString('utf8').split('\n');
    const lines: TextLine[] = new Array<TextLine>(texts.length);
    for (let i = 0; i < texts.length; i++) {
      let text = texts[i] as string;
      if (text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
      // A UTF-16 unit is at most 3 UTF-8 bytes: only long lines need counting.
      if (text.length * 3 > maxLineBytes && Buffer.byteLength(text) > maxLineBytes) {
        throw new InputError('ERR_INPUT_ENCODING', `line longer than ${maxLineBytes} bytes (maxRecordBytes)`, { file, line });
      }
      lines[i] = { line: line++, text };
    }
    return lines;
  };
  for await (const chunk of openByteStream(file, gzip)) {
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) {
      carry.push(chunk);
      carried += chunk.length;
      if (carried > maxLineBytes) throw new InputError('ERR_INPUT_ENCODING', `line longer than ${maxLineBytes} bytes (maxRecordBytes)`, { file, line });
      continue;
    }
    const whole = carry.length === 0 ? chunk.subarray(0, last) : Buffer.concat([...carry, chunk.subarray(0, last)]);
    carry = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    carried = chunk.length - last - 1;
    yield decode(whole);
  }
  if (carried > 0) yield decode(Buffer.concat(carry));
}

/** readTextLineBatches one line at a time. */
export async function* readTextLines(file: string, options: { gzip?: boolean; maxLineBytes?: number } = {}): AsyncGenerator<TextLine, void, undefined> {
  for await (const batch of readTextLineBatches(file, options)) yield* batch;
}
