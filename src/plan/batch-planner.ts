import type { BatchDoc } from '../../jobs/rerank-job.js';
import { InputError } from '../errors/input-error.js';
import type { Pair } from '../interfaces.js';

export interface PlannerOptions {
  /** Most documents in one API request. Default 50 (see DEFAULT_MAX_DOCS_PER_REQUEST). */
  maxDocsPerRequest: number;
  /** Most bytes of document text (UTF-8, plus 16 per document for tag and framing) in one request. Default 256 KiB. */
  maxRequestBytes: number;
  /**
   * Most bytes of document text held in open (not yet full) batches across all queries. Rows of a query
   * need not be contiguous, so partial batches wait for more rows; past this bound the largest open
   * batch is sent as it is, which keeps memory bounded whatever the interleaving. Default 64 MiB.
   */
  maxBufferedBytes: number;
}

export const DEFAULT_MAX_DOCS_PER_REQUEST = 50;
export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** One planned API request: some candidates of one query. */
export interface PlannedBatch {
  queryId: string;
  query: string;
  docs: BatchDoc[];
  /** Pairs with empty text, never sent to the API (see RerankJobPayload.unscored). */
  unscored?: boolean;
}

interface OpenBatch extends PlannedBatch {
  /** Key in the open map: the query id, or query id + NUL + "unscored". */
  key: string;
  bytes: number;
}

/**
 * Bytes a document adds to a request body: its UTF-8 text plus 16 for the `<Document>: ` tag, quotes
 * and comma. JSON escapes (quotes, backslashes, control characters) add a little more; measuring them
 * exactly cost a JSON.stringify per pair, the planner's largest cost, for a bound that is a soft one.
 */
function requestBytes(text: string): number {
  return Buffer.byteLength(text) + 16;
}

/**
 * Groups a stream of pairs into batches per query. Deterministic: the same input in the same order
 * always gives the same batches, so job ids derived from them repeat across submissions.
 */
export class BatchPlanner {
  private readonly open = new Map<string, OpenBatch>();
  /** Query text by id, to catch one id used with two texts (which would silently mix two queries). */
  private readonly queryText = new Map<string, string>();
  private bufferedBytes = 0;
  private pairCount = 0;
  private batchCount = 0;

  constructor(
    private readonly options: PlannerOptions,
    private readonly file: string,
  ) {}

  /** Add a pair; returns the batches it completed (usually none). */
  add(pair: Pair & { emptyText?: boolean }): PlannedBatch[] {
    const known = this.queryText.get(pair.queryId);
    if (known === undefined) this.queryText.set(pair.queryId, pair.query);
    else if (known !== pair.query) {
      throw new InputError('ERR_INPUT_QUERY_MISMATCH', `query id "${pair.queryId}" appears with two different query texts`, {
        file: this.file,
        line: pair.line,
        field: 'query',
      });
    }
    this.pairCount += 1;
    const out: PlannedBatch[] = [];
    const bytes = requestBytes(pair.document);
    const key = pair.emptyText === true ? `${pair.queryId}\u0000unscored` : pair.queryId;
    let batch = this.open.get(key);
    if (batch !== undefined && batch.bytes + bytes > this.options.maxRequestBytes) {
      out.push(this.close(batch));
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { key, queryId: pair.queryId, query: pair.query, docs: [], bytes: 0 };
      if (pair.emptyText === true) batch.unscored = true;
      this.open.set(key, batch);
    }
    const doc: BatchDoc = { id: pair.docId, text: pair.document };
    if (pair.score !== undefined) doc.score = pair.score;
    if (pair.rank !== undefined) doc.rank = pair.rank;
    batch.docs.push(doc);
    batch.bytes += bytes;
    this.bufferedBytes += bytes;
    if (batch.docs.length >= this.options.maxDocsPerRequest) out.push(this.close(batch));
    while (this.bufferedBytes > this.options.maxBufferedBytes) out.push(this.close(this.largestOpen()));
    return out;
  }

  /** Close every open batch (end of input), in order of query id so the plan is deterministic. */
  flush(): PlannedBatch[] {
    const ids = [...this.open.keys()].sort();
    return ids.map((id) => this.close(this.open.get(id) as OpenBatch));
  }

  get totals(): { queries: number; pairs: number; batches: number } {
    return { queries: this.queryText.size, pairs: this.pairCount, batches: this.batchCount };
  }

  private largestOpen(): OpenBatch {
    let largest: OpenBatch | undefined;
    for (const batch of this.open.values()) if (largest === undefined || batch.bytes > largest.bytes) largest = batch;
    if (largest === undefined) throw new Error('buffered bytes counted without an open batch');
    return largest;
  }

  private close(batch: OpenBatch): PlannedBatch {
    this.open.delete(batch.key);
    this.bufferedBytes -= batch.bytes;
    this.batchCount += 1;
    const planned: PlannedBatch = { queryId: batch.queryId, query: batch.query, docs: batch.docs };
    if (batch.unscored === true) planned.unscored = true;
    return planned;
  }
}
