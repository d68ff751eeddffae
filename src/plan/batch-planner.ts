import { splitPassages, type PassageWindows } from '../../jobs/passages.js';
import type { BatchDoc } from '../../jobs/rerank-job.js';
import type { CachedScore } from '../cache/score-cache.js';
import type { ScoreKeys } from '../cache/score-key.js';
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

/** The score cache as the planner sees it: the run's keys, and a lookup that answers only usable scores (CachePolicy). */
export interface PlannerCache {
  scoreKeys: ScoreKeys;
  lookup(key: Buffer): CachedScore | undefined;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** One planned API request: some candidates of one query. */
export interface PlannedBatch {
  queryId: string;
  query: string;
  docs: BatchDoc[];
  /** Pairs with empty text, never sent to the API (see RerankJobPayload.unscored). */
  unscored?: boolean;
  /** Pairs whose scores came from the cache, `cached[i]` for `docs[i]` (texts left out): never sent. */
  cached?: CachedScore[];
}

interface OpenBatch extends PlannedBatch {
  /** Key in the open map: the query id, or query id + NUL + "unscored" or "cached". */
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

/** What a document's passages add to the shaping counts, once it is sent (a cached one is not). */
interface SplitCounts {
  split: boolean;
  passages: number;
  cut: boolean;
  trimmed: number;
}

/** Bytes an open batch holds for a cached pair (its id and score, no text): bounds how many wait, like texts. */
const CACHED_PAIR_BYTES = 64;

/**
 * Groups a stream of pairs into batches per query. Deterministic: the same input in the same order
 * always gives the same batches, so job ids derived from them repeat across submissions.
 */
export class BatchPlanner {
  private readonly open = new Map<string, OpenBatch>();
  /** Query text by id, to catch one id used with two texts (which would silently mix two queries). */
  private readonly queryText = new Map<string, string>();
  private bufferedBytes = 0;
  private readonly counts: ProducerTotals & ShapingTotals = { queries: 0, pairs: 0, batches: 0, requests: 0, texts: 0, units: 0, tokens: 0, characters: 0, deduplicated: 0, split: 0, passages: 0, passagesCut: 0, textsCut: 0, cacheHits: 0, cacheMisses: 0, requestsSaved: 0 };
  /** Bytes and characters the document pattern adds around each document. */
  private readonly documentOverhead: number;
  private readonly documentOverheadChars: number;

  constructor(
    private readonly options: PlannerOptions,
    private readonly file: string,
    private readonly cache?: PlannerCache,
  ) {
    this.documentOverhead = Buffer.byteLength(options.format.document) - '{document}'.length;
    this.documentOverheadChars = options.format.document.length - '{document}'.length;
  }

  /**
   * The cost of a document, split into passages when they are on and it is long enough; `sent` is the
   * text sent for a document not split (itself, or cut to the passages' byte cap).
   */
  private costOf(text: string): DocCost & { passages?: number; sent: string; counts: SplitCounts | undefined } {
    const windows = this.options.passages;
    const counts = windows === undefined ? undefined : this.split(text, windows);
    const texts = counts?.texts ?? [text];
    const split = counts?.split === true;
    let bytes = 0;
    let tokens = 0;
    let characters = 0;
    for (const part of texts) {
      const size = Buffer.byteLength(part);
      bytes += size + 16;
      tokens += approxTokens(size + this.documentOverhead);
      characters += part.length + this.documentOverheadChars;
    }
    return split ? { texts: texts.length, bytes, tokens, characters, passages: texts.length, sent: text, counts } : { texts: 1, bytes, tokens, characters, sent: texts[0] ?? text, counts };
  }

  /** A long document's passages (`split`: it was longer than one passage, even when the cap leaves one). */
  private split(text: string, windows: PassageWindows): SplitCounts & { texts: string[] } {
    const { passages, cut, trimmed } = splitPassages(text, windows, this.options.maxDocsPerRequest);
    return { texts: passages, split: passages.length > 1 || cut, passages: passages.length, cut, trimmed };
  }

  private countSplit(counts: SplitCounts | undefined): void {
    if (counts === undefined) return;
    this.counts.textsCut += counts.trimmed;
    if (counts.split) {
      this.counts.split += 1;
      this.counts.passages += counts.passages;
    }
    if (counts.cut) this.counts.passagesCut += 1;
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
    const cost: DocCost & { passages?: number; sent: string; counts?: SplitCounts | undefined } = unscored
      ? { texts: 1, bytes: requestBytes(pair.document), tokens: 0, characters: 0, sent: pair.document }
      : this.costOf(pair.document);
    if (!unscored && this.cache !== undefined) {
      const hit = this.cache.lookup(this.cache.scoreKeys.key(pair.query, cost.sent));
      if (hit !== undefined) return this.addCached(pair, doc, cost, hit);
      this.counts.cacheMisses += 1;
    }
    this.countSplit(cost.counts);
    // Cut to the passages' byte cap: the payload carries what is sent.
    doc.text = cost.sent;
    batch = this.room(batch, key, pair, cost, out);
    if (unscored) batch.unscored = true;
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

  /**
   * A pair whose score the cache holds: it joins the query's cached batch, which closes where a request
   * would (so the cached batches count the requests saved), and carries ids and scores only.
   */
  private addCached(pair: Pair, doc: BatchDoc, cost: DocCost, hit: CachedScore): PlannedBatch[] {
    this.counts.cacheHits += 1;
    const out: PlannedBatch[] = [];
    const key = `${pair.queryId}\u0000cached`;
    const batch = this.room(this.open.get(key), key, pair, cost, out);
    doc.text = '';
    batch.docs.push(doc);
    (batch.cached ??= []).push(hit);
    batch.bytes += CACHED_PAIR_BYTES;
    batch.texts += cost.texts;
    batch.tokens += cost.tokens;
    this.bufferedBytes += CACHED_PAIR_BYTES;
    if (batch.texts >= this.options.maxDocsPerRequest) out.push(this.close(batch));
    while (this.bufferedBytes > this.options.maxBufferedBytes) out.push(this.close(this.largestOpen()));
    return out;
  }

  /** The open batch under `key` with room for `cost`: `batch` itself, or a new one once a full one is closed into `out`. */
  private room(batch: OpenBatch | undefined, key: string, pair: Pair, cost: DocCost, out: PlannedBatch[]): OpenBatch {
    if (batch !== undefined && !this.fits(batch, cost)) {
      out.push(this.close(batch));
      batch = undefined;
    }
    if (batch !== undefined) return batch;
    const unscored = key.endsWith('\u0000unscored');
    const sentQuery = unscored ? '' : formatQuery(pair.query, this.options.format, this.options.instruction);
    const queryTokens = approxTokens(Buffer.byteLength(sentQuery));
    const opened: OpenBatch = { key, queryId: pair.queryId, query: pair.query, docs: [], bytes: 0, texts: 0, tokens: 0, queryTokens, queryCharacters: sentQuery.length, characters: 0, firstOf: new Map() };
    this.open.set(key, opened);
    return opened;
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
    if (batch.cached !== undefined) {
      this.counts.requestsSaved += 1;
      return { queryId: batch.queryId, query: batch.query, docs: batch.docs, cached: batch.cached };
    }
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
