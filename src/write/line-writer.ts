import { rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { closeFile, openFile, outputError, publishFile, writeAll } from '../collect/durable-file.js';

/** Text held before it is written out, in UTF-16 units: few, large writes. */
const FLUSH_AT = 1 << 18;

/**
 * Writes a text file line by line, to a temporary name first: `commit()` fsyncs it, renames it to its
 * real name and fsyncs the directory (publishFile), so the file appears complete or not at all, and
 * once `commit()` resolves it survives a power loss. A file-system error (full disk, a path that is not
 * a directory, ...) rejects as an OutputError naming `path`, never as an unhandled stream error; a failed
 * commit removes the temporary file.
 *
 * `write()` needs no await for order (calls are written in call order); awaiting it gives backpressure.
 * Its promise is marked handled, so a caller that does not await it never crashes the process: the
 * failure is thrown again by the next write and by `commit()`.
 */
export class LineWriter {
  private readonly tmpPath: string;
  private chunks: (string | Buffer)[] = [];
  /** Whether `chunks` holds any Buffer (else they are joined as one string: faster for many short lines). */
  private bytes = false;
  private buffered = 0;
  private fd: Promise<number> | undefined;
  /** The writes in flight, in order. */
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private done = false;

  /**
   * @param options.gzip write gzip: each flush is one gzip member (a file of several members is one
   *   valid gzip stream to gunzip, zlib and Python's gzip), so memory stays one flush's worth.
   */
  constructor(
    readonly path: string,
    private readonly options: { gzip?: boolean } = {},
  ) {
    this.tmpPath = `${path}.tmp-${process.pid}`;
  }

  /** Text (written as UTF-8), or bytes written as they are (a record passed through from an input). */
  write(text: string | Buffer): Promise<void> {
    if (this.failure !== undefined) return handled(Promise.reject(this.failure));
    this.chunks.push(text);
    if (typeof text !== 'string') this.bytes = true;
    this.buffered += text.length;
    if (this.buffered < FLUSH_AT) return Promise.resolve();
    return handled(this.flush());
  }

  /** Write out what is held, after the writes before it. */
  private flush(): Promise<void> {
    const text = this.bytes ? Buffer.concat(this.chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk))) : Buffer.from(this.chunks.join(''), 'utf8');
    this.bytes = false;
    const data = this.options.gzip === true && text.length > 0 ? gzipSync(text) : text;
    this.chunks = [];
    this.buffered = 0;
    const next = this.writing.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        this.fd ??= openFile(this.tmpPath, 'w');
        await writeAll(await this.fd, data, null);
      } catch (err) {
        this.failure ??= outputError(err, this.path);
        throw this.failure;
      }
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Make the file durable under its real name (see the class). */
  async commit(): Promise<void> {
    try {
      await this.flush();
      this.fd ??= openFile(this.tmpPath, 'w');
      const fd = await this.fd;
      this.done = true;
      await publishFile(fd, this.tmpPath, this.path);
    } catch (err) {
      const failure = this.failure ?? outputError(err, this.path);
      await this.discard();
      throw failure;
    }
  }

  /** Drop the temporary file (best effort: this runs on the way out of a failure). */
  async discard(): Promise<void> {
    this.chunks = [];
    this.failure ??= new Error(`${this.path}: discarded`);
    await this.writing;
    if (this.fd !== undefined && !this.done) {
      const fd = await this.fd.catch(() => undefined);
      if (fd !== undefined) await closeFile(fd).catch(() => undefined);
    }
    this.done = true;
    await rm(this.tmpPath, { force: true }).catch(() => undefined);
  }
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Write a whole small file (JSON documents) the same atomic, durable way. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const writer = new LineWriter(path);
  await writer.write(text);
  await writer.commit();
}
