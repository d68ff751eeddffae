import { splitPassages, type PassageWindows } from '../../jobs/passages.js';
import type { BatchDoc } from '../../jobs/rerank-job.js';
import { InputError } from '../errors/input-error.js';
import type { Pair, ProducerTotals, ShapingTotals } from '../interfaces.js';
import { formatQuery, type PromptFormat } from '../rerank/prompt.js';
import type { BillingUnit } from '../rerank/providers/provider-spec.js';
import { approxTokens, billingUnits } from '../rerank/request-cost.js';

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
  /** Most approximate tokens in one request (query tokens x texts + text tokens). */
  maxTokensPerRequest?: number | undefined;
  /** Split documents longer than this into passages. */
  passages?: PassageWindows | undefined;
  /** How texts are written into requests (their tokens count what is sent) and the instruction. */
  format: Pick<PromptFormat, 'name' | 'query' | 'document'>;
  instruction: string;
  /** The provider's billing unit, to count what the batches cost. */
  billing: { unit: BillingUnit; documentsPerUnit?: number };
}

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
  /** Texts sent (documents and passages; copies not). */
  texts: number;
  /** Approximate tokens of the texts sent, and of the query as sent. */
  tokens: number;
  queryTokens: number;
  /** Characters of the texts sent, and of the query as sent. */
  characters: number;
  queryCharacters: number;
  /** Index in `docs` of the first document of each text, to send identical documents once. */
  firstOf: Map<string, number>;
}

/**
 * Bytes a document adds to a request body: its UTF-8 text plus 16 for the `<Document>: ` tag, quotes
 * and comma. JSON escapes (quotes, backslashes, control characters) add a little more; measuring them
 * exactly cost a JSON.stringify per pair, the planner's largest cost, for a bound that is a soft one.
 */
function requestBytes(text: string): number {
  return Buffer.byteLength(text) + 16;
}

/** What one document adds to a request. */
interface DocCost {
  texts: number;
  bytes: number;
  tokens: number;
  characters: number;
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
  private readonly counts: ProducerTotals & ShapingTotals = { queries: 0, pairs: 0, batches: 0, requests: 0, texts: 0, units: 0, tokens: 0, characters: 0, deduplicated: 0, split: 0, passages: 0, passagesCut: 0, textsCut: 0 };
  /** Bytes and characters the document pattern adds around each document. */
  private readonly documentOverhead: number;
  private readonly documentOverheadChars: number;

  constructor(
    private readonly options: PlannerOptions,
    private readonly file: string,
  ) {
    this.documentOverhead = Buffer.byteLength(options.format.document) - '{document}'.length;
    this.documentOverheadChars = options.format.document.length - '{document}'.length;
  }

  /**
   * The cost of a document, split into passages when they are on and it is long enough; `sent` is the
   * text sent for a document not split (itself, or cut to the passages' byte cap).
   */
  private costOf(text: string): DocCost & { passages?: number; sent: string } {
    const windows = this.options.passages;
    const { passages: texts, split } = windows === undefined ? { passages: [text], split: false } : this.splitCounted(text, windows);
    let bytes = 0;
    let tokens = 0;
    let characters = 0;
    for (const part of texts) {
      const size = Buffer.byteLength(part);
      bytes += size + 16;
      tokens += approxTokens(size + this.documentOverhead);
      characters += part.length + this.documentOverheadChars;
    }
    return split ? { texts: texts.length, bytes, tokens, characters, passages: texts.length, sent: text } : { texts: 1, bytes, tokens, characters, sent: texts[0] ?? text };
  }

  /** A long document's passages (`split`: it was longer than one passage, even when the cap leaves one). */
  private splitCounted(text: string, windows: PassageWindows): { passages: string[]; split: boolean } {
    const { passages, cut, trimmed } = splitPassages(text, windows, this.options.maxDocsPerRequest);
    this.counts.textsCut += trimmed;
    const split = passages.length > 1 || cut;
    if (split) {
      this.counts.split += 1;
      this.counts.passages += passages.length;
    }
    if (cut) this.counts.passagesCut += 1;
    return { passages, split };
  }

  private fits(batch: OpenBatch, cost: DocCost): boolean {
    if (batch.docs.length === 0) return true;
    if (batch.texts + cost.texts > this.options.maxDocsPerRequest) return false;
    if (batch.bytes + cost.bytes > this.options.maxRequestBytes) return false;
    const limit = this.options.maxTokensPerRequest;
    return limit === undefined || batch.queryTokens * (batch.texts + cost.texts) + batch.tokens + cost.tokens <= limit;
  }

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
    this.counts.pairs += 1;
    const out: PlannedBatch[] = [];
    const unscored = pair.emptyText === true;
    const key = unscored ? `${pair.queryId}\u0000unscored` : pair.queryId;
    let batch = this.open.get(key);
    const doc: BatchDoc = { id: pair.docId, text: pair.document };
    if (pair.score !== undefined) doc.score = pair.score;
    if (pair.rank !== undefined) doc.rank = pair.rank;
    const copyOf = unscored ? undefined : batch?.firstOf.get(pair.document);
    if (batch !== undefined && copyOf !== undefined) {
      // An identical document of the same query in the same request: sent once, its score given to both.
      doc.text = '';
      doc.copyOf = copyOf;
      batch.docs.push(doc);
      this.counts.deduplicated += 1;
      return out;
    }
    const cost: DocCost & { passages?: number; sent: string } = unscored
      ? { texts: 1, bytes: requestBytes(pair.document), tokens: 0, characters: 0, sent: pair.document }
      : this.costOf(pair.document);
    // Cut to the passages' byte cap: the payload carries what is sent.
    doc.text = cost.sent;
    if (batch !== undefined && !this.fits(batch, cost)) {
      out.push(this.close(batch));
      batch = undefined;
    }
    if (batch === undefined) {
      const sentQuery = unscored ? '' : formatQuery(pair.query, this.options.format, this.options.instruction);
      const queryTokens = approxTokens(Buffer.byteLength(sentQuery));
      batch = { key, queryId: pair.queryId, query: pair.query, docs: [], bytes: 0, texts: 0, tokens: 0, queryTokens, queryCharacters: sentQuery.length, characters: 0, firstOf: new Map() };
      if (unscored) batch.unscored = true;
      this.open.set(key, batch);
    }
    if (cost.passages !== undefined) doc.passages = cost.passages;
    if (!unscored) batch.firstOf.set(pair.document, batch.docs.length);
    batch.docs.push(doc);
    batch.bytes += cost.bytes;
    batch.texts += cost.texts;
    batch.tokens += cost.tokens;
    batch.characters += cost.characters;
    this.bufferedBytes += cost.bytes;
    if (batch.texts >= this.options.maxDocsPerRequest) out.push(this.close(batch));
    while (this.bufferedBytes > this.options.maxBufferedBytes) out.push(this.close(this.largestOpen()));
    return out;
  }

  /** Close every open batch (end of input), in order of query id so the plan is deterministic. */
  flush(): PlannedBatch[] {
    const ids = [...this.open.keys()].sort();
    return ids.map((id) => this.close(this.open.get(id) as OpenBatch));
  }

  /** Queries, pairs, batches, and what the batches' requests will send and cost (before any retry or 413 split). */
  get totals(): ProducerTotals & ShapingTotals {
    return { ...this.counts, queries: this.queryText.size };
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
    this.counts.batches += 1;
    if (batch.unscored !== true) {
      const tokens = batch.queryTokens * batch.texts + batch.tokens;
      this.counts.requests += 1;
      this.counts.texts += batch.texts;
      this.counts.tokens += tokens;
      this.counts.units += billingUnits(this.options.billing, batch.texts, tokens);
      this.counts.characters += batch.characters + batch.queryCharacters;
    }
    const planned: PlannedBatch = { queryId: batch.queryId, query: batch.query, docs: batch.docs };
    if (batch.unscored === true) planned.unscored = true;
    return planned;
  }
}
