import { PairKeySet } from './pair-key-set.js';

/** A query whose candidates resumed after its earlier ones had been forgotten, with the line where it resumed. */
export interface RegroupedQuery {
  queryId: string;
  line: number;
}

/** Doc ids of recently ended blocks kept in full, at most this many in all. */
export const RECENT_BLOCK_PAIRS = 50_000;

/**
 * Drops repeated (query_id, doc_id) pairs in memory that does not grow with the input, for inputs that
 * keep each query's candidates on consecutive lines (a "block"), as BM25 runs and the files made from
 * them do. It holds:
 * - the doc ids of the current block, and of the blocks that ended most recently (RECENT_BLOCK_PAIRS ids);
 * - 16 bytes per query whose block has ended;
 * - for a query met again after its block ended ("regrouped"), its pairs, hashed (16 bytes a pair).
 *
 * Exact, but for one case: a query resuming after its first block was dropped from the recent ones (more
 * than RECENT_BLOCK_PAIRS candidates of other queries in between). A repeat of a pair of that first block
 * is then not seen: it is scored twice and written once (the collector keeps one candidate per doc id).
 * `forgotten` lists such queries.
 */
export class DuplicateFilter {
  private blockQuery: string | undefined;
  private blockRegrouped = false;
  private block = new Set<string>();
  /** Ended blocks, oldest first, with RECENT_BLOCK_PAIRS doc ids at most in all. */
  private readonly recent = new Map<string, Set<string>>();
  private recentPairs = 0;
  /** Queries whose block has ended, keyed (query_id, ""). */
  private readonly closed = new PairKeySet();
  /** Queries that resumed after their block had ended, keyed (query_id, ""), and all their pairs. */
  private readonly regroupedQueries = new PairKeySet();
  private readonly regroupedPairs = new PairKeySet();
  /** How many queries resumed after their first block had been forgotten. */
  forgottenCount = 0;
  /** The first few of them. */
  readonly forgotten: RegroupedQuery[] = [];

  constructor(
    private readonly maxExamples = 5,
    private readonly recentLimit = RECENT_BLOCK_PAIRS,
  ) {}

  /** Adds the pair; false when it was seen before. `line` is only for reporting. */
  add(queryId: string, docId: string, line: number): boolean {
    if (queryId !== this.blockQuery) this.startBlock(queryId, line);
    if (this.block.has(docId)) return false;
    if (this.blockRegrouped && this.regroupedPairs.has(queryId, docId)) return false;
    this.block.add(docId);
    return true;
  }

  private startBlock(queryId: string, line: number): void {
    if (this.blockQuery !== undefined) this.endBlock(this.blockQuery);
    this.block = new Set();
    this.blockQuery = queryId;
    this.blockRegrouped = this.closed.has(queryId, '');
    if (!this.blockRegrouped) return;
    const earlier = this.recent.get(queryId);
    if (earlier !== undefined) {
      // Its last block ended recently: carry its ids over, the check stays exact.
      this.recent.delete(queryId);
      this.recentPairs -= earlier.size;
      for (const docId of earlier) this.regroupedPairs.add(queryId, docId);
    } else if (!this.regroupedQueries.has(queryId, '')) {
      this.forgottenCount += 1;
      if (this.forgotten.length < this.maxExamples) this.forgotten.push({ queryId, line });
    }
    this.regroupedQueries.add(queryId, '');
  }

  private endBlock(queryId: string): void {
    this.closed.add(queryId, '');
    if (this.blockRegrouped) {
      for (const docId of this.block) this.regroupedPairs.add(queryId, docId);
      return;
    }
    this.recent.set(queryId, this.block);
    this.recentPairs += this.block.size;
    for (const [oldest, ids] of this.recent) {
      if (this.recentPairs <= this.recentLimit) break;
      this.recent.delete(oldest);
      this.recentPairs -= ids.size;
    }
  }
}
