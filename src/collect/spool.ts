import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirDurable, outputError, syncDir, syncFile, writeAll } from './durable-file.js';
import { SpoolIndex, type RecordRef } from './spool-index.js';

/**
 * One candidate: [doc id, API score (null: unscored, empty text), first-stage score or null,
 * first-stage rank or null, and for a document scored as passages: [passages, best passage]].
 */
export type SpoolItem = [docId: string, score: number | null, originalScore: number | null, originalRank: number | null, passage?: [passages: number, best: number]];

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
  /**
   * BullMQ attempts the job took (1 = first try): attemptsMade, which a job given back (shutdown, a spent
   * token budget, a stalled worker) does not count, so the manifest's retries are requests tried again.
   */
  attempts: number;
  /** Scores from the score cache (no request made; `requests` and `attempts` are 0). */
  cached?: true;
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

  /**
   * Open (or create) the spool. Its directory is made durably, and a new spool's name is fsync'd into
   * it before the first batch is spooled: a job leaves Redis only once its record can be found after a
   * power loss. Throws an OutputError (ERR_OUTPUT_WRITE, ERR_DISK_FULL) naming the path when the spool
   * cannot be created or read.
   */
  static async open(path: string): Promise<Spool> {
    const dir = dirname(path);
    // The output directory itself too: it may have been made moments ago, not durably.
    await makeDirDurable(dirname(dir));
    await makeDirDurable(dir);
    try {
      const created = !existsSync(path);
      const spool = new Spool(path);
      if (created) await syncDir(dir).catch((err: unknown) => {
        spool.close();
        throw err;
      });
      return spool;
    } catch (err) {
      throw outputError(err, path);
    }
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

  /**
   * Records are indexed only once durable. When the write or the fsync fails (a full disk: ERR_DISK_FULL),
   * the file is cut back to its last durable record and nothing is indexed: the batches stay in Redis,
   * and the same command run again spools them. A record that reached the page cache but whose fsync
   * failed must not be found by a later open, which would take it as durable and let its job leave Redis.
   */
  private async appendNow(records: SpoolRecord[]): Promise<number> {
    const lines: Buffer[] = [];
    const fresh: [SpoolRecord, number, number][] = [];
    /** Outcomes decided by this append, over those indexed: a job twice in `records` is judged as index() would. */
    const decided = new Map<string, SpoolRecord['t']>();
    let offset = this.size;
    for (const record of records) {
      const known = decided.get(record.job) ?? this.byJob.get(record.job)?.type;
      if (known !== undefined && (known === 'ok' || record.t === 'fail')) continue;
      decided.set(record.job, record.t);
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      fresh.push([record, offset, line.length]);
      lines.push(line);
      offset += line.length;
    }
    if (lines.length === 0) return 0;
    const data = Buffer.concat(lines);
    try {
      await writeAll(this.fd, data, this.size);
      await syncFile(this.fd);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
        await syncFile(this.fd);
      } catch {
        // Cut back on the next open at worst: a torn last line is dropped there.
      }
      throw outputError(err, this.path);
    }
    for (const [record, at, length] of fresh) this.index(record, at, length);
    this.size += data.length;
    return lines.length;
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
