import { closeSync, fstatSync, fsync, ftruncateSync, openSync, readSync, write } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SpoolIndex, type RecordRef } from './spool-index.js';

/**
 * One candidate: [doc id, API score (null: unscored, empty text), first-stage score or null,
 * first-stage rank or null].
 */
export type SpoolItem = [docId: string, score: number | null, originalScore: number | null, originalRank: number | null];

/** A batch the API scored. */
export interface ScoredRecord {
  t: 'ok';
  job: string;
  q: string;
  query: string;
  items: SpoolItem[];
  /** API requests made for the batch in its successful attempt (1 = no in-process retry). */
  requests: number;
  /** 429 answers seen in them. */
  rateLimited: number;
  /** BullMQ attempts the job took (1 = first try). */
  attempts: number;
}

/** A batch that failed for good. */
export interface FailedRecord {
  t: 'fail';
  job: string;
  q: string;
  query: string;
  /** The batch's candidates: [doc id, first-stage score or null, first-stage rank or null]. */
  docs: [docId: string, originalScore: number | null, originalRank: number | null][];
  code: string;
  errorClass: string;
  message: string;
  attempts: number;
}

export type SpoolRecord = ScoredRecord | FailedRecord;

/**
 * The collector's local, append-only record of every finished batch (`<out>/.rerank-batch/<run>.spool`).
 * Results leave Redis as soon as they are here, so Redis memory stays bounded; the spool is what lets a
 * restarted collector carry on, and what outputs are written from. Memory holds only an index (SpoolIndex:
 * file offsets, ~45 bytes a batch, off V8's heap), never the texts or scores.
 *
 * Exactly once: each batch is keyed by its job id. A batch delivered twice (a job collected, then seen
 * again after a crash) keeps its first scored record; a scored record replaces a failed one (a batch
 * retried by `retry-failed`).
 */
export class Spool {
  private readonly fd: number;
  private size: number;
  private readonly byJob = new SpoolIndex();
  private appending: Promise<unknown> = Promise.resolve();

  private constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    this.size = fstatSync(this.fd).size;
    this.load();
  }

  static async open(path: string): Promise<Spool> {
    await mkdir(dirname(path), { recursive: true });
    return new Spool(path);
  }

  /** Rebuild the index from the file; a torn last line (a crash mid-append) is cut off. */
  private load(): void {
    const chunk = Buffer.alloc(1 << 20);
    let carry = Buffer.alloc(0);
    let position = 0;
    let lineStart = 0;
    while (position < this.size) {
      const n = readSync(this.fd, chunk, 0, chunk.length, position);
      if (n === 0) break;
      position += n;
      let buf = Buffer.concat([carry, chunk.subarray(0, n)]);
      let newline = buf.indexOf(10);
      while (newline !== -1) {
        const line = buf.subarray(0, newline);
        this.index(JSON.parse(line.toString('utf8')) as SpoolRecord, lineStart, newline + 1);
        lineStart += newline + 1;
        buf = buf.subarray(newline + 1);
        newline = buf.indexOf(10);
      }
      carry = Buffer.from(buf);
    }
    if (lineStart < this.size) {
      ftruncateSync(this.fd, lineStart);
      this.size = lineStart;
    }
  }

  private index(record: SpoolRecord, offset: number, length: number): boolean {
    const known = this.byJob.get(record.job);
    if (known !== undefined && (known.type === 'ok' || record.t === 'fail')) return false;
    this.byJob.set(record.job, { offset, length, type: record.t, queryId: record.q });
    return true;
  }

  has(jobId: string, type?: SpoolRecord['t']): boolean {
    const ref = this.byJob.get(jobId);
    return ref !== undefined && (type === undefined || ref.type === type);
  }

  /**
   * Append records and make them durable (fsync) before returning. Returns how many were new. The
   * write and fsync run on libuv's thread pool, so in-process workers keep going meanwhile; calls are
   * serialised so appends never interleave.
   */
  append(records: SpoolRecord[]): Promise<number> {
    const next = this.appending.then(() => this.appendNow(records));
    this.appending = next.catch(() => undefined);
    return next;
  }

  private async appendNow(records: SpoolRecord[]): Promise<number> {
    const lines: Buffer[] = [];
    let offset = this.size;
    for (const record of records) {
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      if (!this.index(record, offset, line.length)) continue;
      lines.push(line);
      offset += line.length;
    }
    if (lines.length === 0) return 0;
    const data = Buffer.concat(lines);
    let written = 0;
    while (written < data.length) written += (await this.writeAt(data, written)).bytesWritten;
    await new Promise<void>((resolve, reject) => fsync(this.fd, (err) => (err === null ? resolve() : reject(err))));
    this.size += data.length;
    return lines.length;
  }

  private writeAt(data: Buffer, from: number): Promise<{ bytesWritten: number }> {
    return new Promise((resolve, reject) => {
      write(this.fd, data, from, data.length - from, this.size + from, (err, bytesWritten) => (err === null ? resolve({ bytesWritten }) : reject(err)));
    });
  }

  /** Job ids of the batches whose latest record is a failure. */
  failedJobs(): string[] {
    const ids: string[] = [];
    if (this.byJob.totals.fail === 0) return ids;
    for (const [id, ref] of this.byJob.entries()) if (ref.type === 'fail') ids.push(id);
    return ids;
  }

  /** Batches in the spool by outcome. */
  counts(): { scored: number; failed: number } {
    const { ok, fail } = this.byJob.totals;
    return { scored: ok, failed: fail };
  }

  /** Group the index by query once, for writing outputs query by query. */
  groupByQuery(): Map<string, RecordRef[]> {
    const groups = new Map<string, RecordRef[]>();
    for (const ref of this.byJob.refs()) {
      const list = groups.get(ref.queryId);
      if (list === undefined) groups.set(ref.queryId, [ref]);
      else list.push(ref);
    }
    return groups;
  }

  read(ref: RecordRef): SpoolRecord {
    const buf = Buffer.alloc(ref.length);
    readSync(this.fd, buf, 0, ref.length, ref.offset);
    return JSON.parse(buf.toString('utf8')) as SpoolRecord;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export type { RecordRef };
