import type { FailedRecord, SpoolRecord } from '../collect/spool.js';
import { compareTrecOrder, type RankedItem } from './ranking.js';

/** One query's reranked list, built from its spooled batches: what every output of the query is written from. */
export interface QueryRanking {
  query: string;
  /**
   * Every candidate with a score, in TREC order (score descending, ties by doc id), once per doc id.
   * Candidates of empty text (never sent) are last, tied under the lowest API score, and flagged `unscored`.
   */
  ranked: RankedItem[];
  /** Every candidate, failed ones included, once per doc id: the first-stage order reads no `score`. */
  all: Omit<RankedItem, 'score'>[];
  /** The query's batches that failed for good. */
  failed: FailedRecord[];
  /** Candidates dropped for a doc id met twice (a pair repeated far apart in the input, scored twice). */
  repeatsDropped: number;
}

/**
 * The baseline (first-stage) order of a query: by first-stage score descending when every candidate
 * has one, else by rank ascending (as score = -rank), else none.
 */
export function firstStageOrder(items: readonly Omit<RankedItem, 'score'>[]): { docId: string; score: number }[] | undefined {
  let order: { docId: string; score: number }[] | undefined;
  if (items.every((item) => item.originalScore !== null)) order = items.map((item) => ({ docId: item.docId, score: item.originalScore as number }));
  else if (items.every((item) => item.originalRank !== null)) order = items.map((item) => ({ docId: item.docId, score: -(item.originalRank as number) }));
  return order?.sort(compareTrecOrder);
}

/**
 * One candidate per doc id: the best score wins (ties: the first), so the choice does not depend on the
 * order batches were collected in. Returns the candidates kept and how many were dropped.
 */
function oncePerDoc<T extends { docId: string }>(items: T[], better: (a: T, b: T) => boolean): { kept: T[]; dropped: number } {
  const at = new Map<string, number>();
  const kept: T[] = [];
  for (const item of items) {
    const index = at.get(item.docId);
    if (index === undefined) {
      at.set(item.docId, kept.length);
      kept.push(item);
    } else if (better(item, kept[index] as T)) {
      kept[index] = item;
    }
  }
  return { kept, dropped: items.length - kept.length };
}

/** Whether no doc id appears twice among a query's candidates (the usual case, checked with one Set). */
function allDistinct(scored: RankedItem[], unscored: RankedItem[]): boolean {
  const ids = new Set<string>();
  for (const item of scored) ids.add(item.docId);
  for (const item of unscored) ids.add(item.docId);
  return ids.size === scored.length + unscored.length;
}

/** Rank one query's candidates from its spooled records (every batch of the query). */
export function rankQuery(records: readonly SpoolRecord[]): QueryRanking {
  let query = '';
  let scored: RankedItem[] = [];
  /** Candidates of empty text: their score is set below, under every API score of the query. */
  let unscored: RankedItem[] = [];
  let all: Omit<RankedItem, 'score'>[] = [];
  const failed: FailedRecord[] = [];
  for (const record of records) {
    query = record.query;
    if (record.t === 'ok') {
      for (const [docId, score, originalScore, originalRank, passage] of record.items) {
        // One object per pair, in both lists: this loop runs once per pair.
        const item: RankedItem = { docId, score: score ?? 0, originalScore, originalRank };
        if (passage !== undefined) item.passage = passage;
        if (score === null) {
          item.unscored = true;
          unscored.push(item);
        } else {
          scored.push(item);
        }
        all.push(item);
      }
    } else {
      failed.push(record);
      for (const [docId, originalScore, originalRank] of record.docs) all.push({ docId, originalScore, originalRank });
    }
  }
  let repeatsDropped = 0;
  if (!allDistinct(scored, unscored)) {
    const once = oncePerDoc(scored, (a, b) => a.score > b.score);
    const scoredIds = new Set(once.kept.map((item) => item.docId));
    const unscoredOnce = oncePerDoc(unscored.filter((item) => !scoredIds.has(item.docId)), () => false);
    repeatsDropped = once.dropped + (unscored.length - unscoredOnce.kept.length);
    scored = once.kept;
    unscored = unscoredOnce.kept;
    all = oncePerDoc(all, () => false).kept;
  }
  if (unscored.length > 0) {
    // Below every API score of the query, all tied (then ordered by doc id, as trec_eval would).
    // A loop, not Math.min(...scores): a spread of a very large query's scores overflows the stack.
    let lowest = Number.POSITIVE_INFINITY;
    for (const item of scored) if (item.score < lowest) lowest = item.score;
    const floor = scored.length === 0 ? 0 : lowest - 1;
    for (const item of unscored) {
      item.score = floor;
      scored.push(item);
    }
  }
  scored.sort(compareTrecOrder);
  return { query, ranked: scored, all, failed, repeatsDropped };
}
