import { InputError } from '../errors/input-error.js';
import { UsageError } from '../errors/usage-error.js';
import { compareUtf8 } from '../read/byte-order.js';
import { sortTrecOrder, type ScoredDoc } from '../read/trec-order.js';
import { formatFixed } from './format.js';
import { isRankedJsonlFile, iterateRankedJsonl } from './ranked-jsonl-run.js';
import { readTrecRun } from './trec-run.js';

/** Defaults of {@link diffRankings}; the option table (`diff --rbo-p`, `--top-k`, `--most-moved`) takes them from here. */
export const RANKING_DIFF_DEFAULTS = { rboP: 0.9, topK: 10, mostMoved: 10 } as const;

/** What {@link diffRankings} compares, and how. */
export interface DiffRankingsOptions {
  /** Ranking A: a TREC run (`qid Q0 docid rank score tag`), or a ranked.jsonl (name ending `.jsonl` or `.jsonl.gz`), as `eval --run` reads them. */
  a: string;
  /** Ranking B, same formats (each file's format is detected on its own). */
  b: string;
  /** Persistence p of rank-biased overlap, 0 < p < 1. Default 0.9. */
  rboP?: number;
  /** Depth k of the top-k overlap and of "top-k changed", an integer >= 1. Default 10. */
  topK?: number;
  /** How many of the queries with the lowest RBO {@link RankingDiff.mostMoved} lists, an integer >= 0. Default 10. */
  mostMoved?: number;
}

/** How one query's ranking differs from A to B. */
export interface QueryDiff {
  queryId: string;
  /** Whether the query is in ranking A / B at all (a query with an empty ranked.jsonl `results` is). */
  inA: boolean;
  inB: boolean;
  /** Documents the query has in A / in B (0 where it is absent). */
  docsA: number;
  docsB: number;
  /** Documents ranked in both. */
  docsInBoth: number;
  /** Documents ranked in A but not in B / in B but not in A. */
  docsOnlyInA: number;
  docsOnlyInB: number;
  /**
   * Kendall's tau-b over the documents ranked in both (see {@link kendallTau}); NaN when fewer than two
   * documents are shared (or the query is in only one ranking).
   */
  kendallTau: number;
  /** Extrapolated rank-biased overlap RBO_ext (see {@link rankBiasedOverlap}), in [0, 1]. */
  rbo: number;
  /** |top k of A ∩ top k of B| / k (see {@link topKOverlap}). */
  topKOverlap: number;
  /** The first k documents differ, in identity or order (false for a query in only one ranking). */
  topKChanged: boolean;
}

/** Means and counts over the queries. */
export interface RankingDiffSummary {
  /** Queries in A or B. */
  queries: number;
  /** Queries in both A and B: the means and `topKChanged` are over these. */
  queriesInBoth: number;
  /** Queries only in A / only in B, in UTF-8 byte order of their ids. */
  queriesOnlyInA: string[];
  queriesOnlyInB: string[];
  /** Queries in both whose first k documents differ (in identity or order). */
  topKChanged: number;
  /** Queries in both with a defined tau (at least two shared documents): what meanKendallTau averages. */
  tauQueries: number;
  /** Means over the queries in both (tau: over tauQueries); NaN when there are none. */
  meanKendallTau: number;
  meanRbo: number;
  meanTopKOverlap: number;
  meanDocsOnlyInA: number;
  meanDocsOnlyInB: number;
}

/** How ranking B differs from ranking A, query by query. */
export interface RankingDiff {
  a: string;
  b: string;
  rboP: number;
  topK: number;
  summary: RankingDiffSummary;
  /** The queries in both with the lowest RBO, lowest first (ties by query id in byte order), at most `mostMoved`. */
  mostMoved: QueryDiff[];
  /** Every query in A or B, in UTF-8 byte order of their ids. */
  perQuery: QueryDiff[];
}

/**
 * Kendall's tau-b between two rankings, over the documents ranked in both: each shared document gets its
 * position among the shared documents in A and in B, and tau = (concordant - discordant) / pairs.
 * Documents in only one ranking are left out of tau entirely (they neither add pairs nor count as
 * tied or ranked last): tau says whether the documents both rankings kept are in the same order; what
 * entered or left is measured by the RBO, the top-k overlap and the only-in counts. Ranks are strict
 * (score ties are broken by doc id, as trec_eval does), so no pair is tied and tau-b equals tau-a.
 * O(n log n): discordant pairs are counted as the inversions of B's ranks in A's order (merge sort).
 * @param a doc ids in rank order, each at most once.
 * @param rankB doc id -> 1-based rank in B.
 * @returns a value in [-1, 1], or NaN when fewer than two documents are shared.
 */
export function kendallTau(a: readonly string[], rankB: ReadonlyMap<string, number>): number {
  const ranks: number[] = [];
  for (const docId of a) {
    const rank = rankB.get(docId);
    if (rank !== undefined) ranks.push(rank);
  }
  const n = ranks.length;
  if (n < 2) return Number.NaN;
  const pairs = (n * (n - 1)) / 2;
  const discordant = countInversions(ranks);
  return (pairs - 2 * discordant) / pairs;
}

/** Inversions of a sequence of distinct numbers (pairs i < j with v[i] > v[j]), by bottom-up merge sort. */
function countInversions(values: readonly number[]): number {
  let source = Float64Array.from(values);
  let target = new Float64Array(values.length);
  let inversions = 0;
  const n = values.length;
  for (let width = 1; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(left + width, n);
      const right = Math.min(left + 2 * width, n);
      let i = left;
      let j = mid;
      let k = left;
      while (i < mid && j < right) {
        const x = source[i] ?? 0;
        const y = source[j] ?? 0;
        if (x <= y) {
          target[k++] = x;
          i++;
        } else {
          // y precedes every remaining element of the left run.
          target[k++] = y;
          j++;
          inversions += mid - i;
        }
      }
      while (i < mid) target[k++] = source[i++] ?? 0;
      while (j < right) target[k++] = source[j++] ?? 0;
    }
    [source, target] = [target, source];
  }
  return inversions;
}

/** Doc id -> 1-based rank. */
function rankMap(ids: readonly string[]): Map<string, number> {
  const ranks = new Map<string, number>();
  ids.forEach((docId, i) => ranks.set(docId, i + 1));
  return ranks;
}

/**
 * Overlap of the two rankings at every depth d = 1..max(|A|, |B|): X_d = |A_{:d} ∩ B_{:d}|, where a
 * ranking shorter than d contributes all it has. One pass: the d-th document of A is new in the overlap
 * when B ranks it at d or above, the d-th of B when A ranks it above d (at d it is the same document).
 */
function overlaps(a: readonly string[], b: readonly string[], rankA: ReadonlyMap<string, number>, rankB: ReadonlyMap<string, number>): Int32Array {
  const depth = Math.max(a.length, b.length);
  const x = new Int32Array(depth + 1);
  for (let d = 1; d <= depth; d++) {
    let overlap = x[d - 1] ?? 0;
    const docA = a[d - 1];
    const docB = b[d - 1];
    if (docA !== undefined && (rankB.get(docA) ?? Infinity) <= d) overlap++;
    if (docB !== undefined && (rankA.get(docB) ?? Infinity) < d) overlap++;
    x[d] = overlap;
  }
  return x;
}

/**
 * Extrapolated rank-biased overlap, RBO_ext of Webber, Moffat & Zobel (2010), "A similarity measure for
 * indefinite rankings", eq. 32 (uneven lengths; eq. 30 when both have the same length). With S the
 * shorter ranking (length s), L the longer (length l), X_d the overlap at depth d (S contributing all of
 * itself beyond s) and p the persistence:
 *
 *   RBO_ext = (1-p)/p · ( Σ_{d=1..l} X_d/d · p^d + Σ_{d=s+1..l} X_s·(d-s)/(s·d) · p^d ) + ((X_l - X_s)/l + X_s/s) · p^l
 *
 * It assumes the agreement seen at the ends of the rankings continues past them: identical rankings
 * give exactly 1 up to rounding (whatever their length), disjoint ones 0. Edge cases: both rankings
 * empty 1 (they agree), exactly one empty 0.
 * @param p persistence, 0 < p < 1: higher gives deeper ranks more weight (p 0.9: the top 10 ranks carry
 *   86% of it, the paper's eq. 21).
 */
export function rankBiasedOverlap(a: readonly string[], b: readonly string[], p: number): number {
  return rboFromOverlaps(overlaps(a, b, rankMap(a), rankMap(b)), Math.min(a.length, b.length), Math.max(a.length, b.length), p);
}

function rboFromOverlaps(x: Int32Array, s: number, l: number, p: number): number {
  if (l === 0) return 1;
  if (s === 0) return 0;
  const xs = x[s] ?? 0;
  const xl = x[l] ?? 0;
  let weight = 1;
  let sum = 0;
  for (let d = 1; d <= l; d++) {
    weight *= p;
    sum += ((x[d] ?? 0) / d) * weight;
    if (d > s) sum += ((xs * (d - s)) / (s * d)) * weight;
  }
  return ((1 - p) / p) * sum + ((xl - xs) / l + xs / s) * weight;
}

/**
 * Top-k overlap: |top k of A ∩ top k of B| / k. Always divided by k, also when a ranking has fewer than
 * k documents (two identical 5-document rankings have overlap 0.5 at k 10).
 */
export function topKOverlap(a: readonly string[], b: readonly string[], k: number): number {
  const topB = new Set(b.slice(0, k));
  let shared = 0;
  for (const docId of a.slice(0, k)) if (topB.has(docId)) shared++;
  return shared / k;
}

/**
 * Compares one query's two rankings (doc ids in rank order, each at most once). A query absent from a
 * ranking is given as an empty list with inA or inB false.
 */
export function diffQuery(queryId: string, a: readonly string[], b: readonly string[], options: { rboP: number; topK: number; inA?: boolean; inB?: boolean }): QueryDiff {
  const rankA = rankMap(a);
  const rankB = rankMap(b);
  const x = overlaps(a, b, rankA, rankB);
  const l = Math.max(a.length, b.length);
  const k = options.topK;
  const shared = x[l] ?? 0;
  let topKChanged = false;
  for (let i = 0; i < k && !topKChanged; i++) topKChanged = a[i] !== b[i];
  const inA = options.inA ?? true;
  const inB = options.inB ?? true;
  return {
    queryId,
    inA,
    inB,
    docsA: a.length,
    docsB: b.length,
    docsInBoth: shared,
    docsOnlyInA: a.length - shared,
    docsOnlyInB: b.length - shared,
    kendallTau: kendallTau(a, rankB),
    rbo: rboFromOverlaps(x, Math.min(a.length, b.length), l, options.rboP),
    topKOverlap: (x[Math.min(k, l)] ?? 0) / k,
    topKChanged: inA && inB && topKChanged,
  };
}

/** Doc ids of one query in rank order: trec_eval's (score descending, ties by doc id in descending byte order). */
function rankedIds(docs: readonly ScoredDoc[]): string[] {
  return sortTrecOrder(docs).map((doc) => doc.docId);
}

/** The queries of a ranking file, one at a time: streamed from a ranked.jsonl, from the whole file read first for a TREC run. */
async function* iterateRanking(file: string): AsyncGenerator<{ queryId: string; docs: ScoredDoc[]; line?: number }> {
  if (isRankedJsonlFile(file)) {
    yield* iterateRankedJsonl(file);
    return;
  }
  const run = await readTrecRun(file);
  for (const [queryId, docs] of run) {
    // Let each query's entries go once it is ranked.
    run.delete(queryId);
    yield { queryId, docs };
  }
}

function checkOptions(options: DiffRankingsOptions): { rboP: number; topK: number; mostMoved: number } {
  if (typeof options.a !== 'string' || options.a === '') throw new UsageError('diff: give ranking A (a TREC run or ranked.jsonl file path) as `a`');
  if (typeof options.b !== 'string' || options.b === '') throw new UsageError('diff: give ranking B (a TREC run or ranked.jsonl file path) as `b`');
  const rboP = options.rboP ?? RANKING_DIFF_DEFAULTS.rboP;
  const topK = options.topK ?? RANKING_DIFF_DEFAULTS.topK;
  const mostMoved = options.mostMoved ?? RANKING_DIFF_DEFAULTS.mostMoved;
  if (typeof rboP !== 'number' || !(rboP > 0 && rboP < 1)) throw new UsageError(`diff: --rbo-p (rboP): expected a number > 0 and < 1, got ${String(rboP)}`);
  if (!Number.isSafeInteger(topK) || topK < 1) throw new UsageError(`diff: --top-k (topK): expected an integer >= 1, got ${String(topK)}`);
  if (!Number.isSafeInteger(mostMoved) || mostMoved < 0) throw new UsageError(`diff: --most-moved (mostMoved): expected an integer >= 0, got ${String(mostMoved)}`);
  return { rboP, topK, mostMoved };
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * Compares two rankings of the same queries (B against A), query by query: Kendall's tau-b, RBO_ext,
 * top-k overlap, documents only in one; then means over the queries in both, the queries only in one,
 * how many queries' top k changed, and the queries that moved most (lowest RBO). Each file is a TREC run
 * or a ranked.jsonl (name ending `.jsonl` or `.jsonl.gz`), read as `eval --run` reads it (same readers, same errors);
 * documents are ranked in trec_eval's order (score descending, ties by doc id in descending byte order),
 * so ranks are deterministic and the rank column / field is ignored.
 *
 * Memory: A is held whole, as each query's doc ids in rank order (the reader's scores and line numbers
 * are dropped query by query). B is then taken one query at a time and compared with A's query, which is
 * let go: streamed from a ranked.jsonl, so only A and one query of B are held; a TREC run is read whole
 * by the shared reader first (its queries may be interleaved), so both are held at the peak. Only the
 * per-query numbers are kept for the summary.
 * @throws UsageError for a missing file name or an option out of range; InputError from the readers
 *   (ERR_RUN_FORMAT, ERR_RUN_DUPLICATE_DOC, ERR_RUN_DUPLICATE_QUERY, ERR_INPUT_EMPTY, ERR_INPUT_FILE,
 *   ERR_INPUT_ENCODING), naming file and line.
 */
export async function diffRankings(options: DiffRankingsOptions): Promise<RankingDiff> {
  const { rboP, topK, mostMoved } = checkOptions(options);
  const a = new Map<string, string[]>();
  for await (const { queryId, docs, line } of iterateRanking(options.a)) {
    if (a.has(queryId)) throw new InputError('ERR_RUN_DUPLICATE_QUERY', `query "${queryId}" appears on more than one line`, { file: options.a, line });
    a.set(queryId, rankedIds(docs));
  }
  const perQuery: QueryDiff[] = [];
  const seenB = new Set<string>();
  for await (const { queryId, docs, line } of iterateRanking(options.b)) {
    if (seenB.has(queryId)) throw new InputError('ERR_RUN_DUPLICATE_QUERY', `query "${queryId}" appears on more than one line`, { file: options.b, line });
    seenB.add(queryId);
    const idsA = a.get(queryId);
    a.delete(queryId);
    perQuery.push(diffQuery(queryId, idsA ?? [], rankedIds(docs), { rboP, topK, inA: idsA !== undefined, inB: true }));
  }
  for (const [queryId, idsA] of a) perQuery.push(diffQuery(queryId, idsA, [], { rboP, topK, inA: true, inB: false }));
  a.clear();
  perQuery.sort((x, y) => compareUtf8(x.queryId, y.queryId));

  const both = perQuery.filter((q) => q.inA && q.inB);
  const taus = both.map((q) => q.kendallTau).filter((tau) => !Number.isNaN(tau));
  const summary: RankingDiffSummary = {
    queries: perQuery.length,
    queriesInBoth: both.length,
    queriesOnlyInA: perQuery.filter((q) => !q.inB).map((q) => q.queryId),
    queriesOnlyInB: perQuery.filter((q) => !q.inA).map((q) => q.queryId),
    topKChanged: both.filter((q) => q.topKChanged).length,
    tauQueries: taus.length,
    meanKendallTau: mean(taus),
    meanRbo: mean(both.map((q) => q.rbo)),
    meanTopKOverlap: mean(both.map((q) => q.topKOverlap)),
    meanDocsOnlyInA: mean(both.map((q) => q.docsOnlyInA)),
    meanDocsOnlyInB: mean(both.map((q) => q.docsOnlyInB)),
  };
  const moved = [...both].sort((x, y) => x.rbo - y.rbo || compareUtf8(x.queryId, y.queryId)).slice(0, mostMoved);
  return { a: options.a, b: options.b, rboP, topK, summary, mostMoved: moved, perQuery };
}

/** NaN (an undefined mean or tau) as null, for JSON. */
function jsonNumber(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function queryJson(q: QueryDiff): Record<string, unknown> {
  return {
    in_a: q.inA,
    in_b: q.inB,
    docs_a: q.docsA,
    docs_b: q.docsB,
    docs_in_both: q.docsInBoth,
    docs_only_in_a: q.docsOnlyInA,
    docs_only_in_b: q.docsOnlyInB,
    kendall_tau: jsonNumber(q.kendallTau),
    rbo: q.rbo,
    top_k_overlap: q.topKOverlap,
    top_k_changed: q.topKChanged,
  };
}

/**
 * The JSON `diff --json` prints: `{a, b, rbo_p, top_k, summary: {queries, queries_in_both,
 * queries_only_in_a, queries_only_in_b, top_k_changed, tau_queries, mean: {kendall_tau, rbo,
 * top_k_overlap, docs_only_in_a, docs_only_in_b}}, most_moved: [{query_id, ...}], per_query: {qid: {...}}}`;
 * numbers at full precision, NaN as null.
 */
export function rankingDiffJson(diff: RankingDiff): Record<string, unknown> {
  const s = diff.summary;
  return {
    a: diff.a,
    b: diff.b,
    rbo_p: diff.rboP,
    top_k: diff.topK,
    summary: {
      queries: s.queries,
      queries_in_both: s.queriesInBoth,
      queries_only_in_a: s.queriesOnlyInA,
      queries_only_in_b: s.queriesOnlyInB,
      top_k_changed: s.topKChanged,
      tau_queries: s.tauQueries,
      mean: {
        kendall_tau: jsonNumber(s.meanKendallTau),
        rbo: jsonNumber(s.meanRbo),
        top_k_overlap: jsonNumber(s.meanTopKOverlap),
        docs_only_in_a: jsonNumber(s.meanDocsOnlyInA),
        docs_only_in_b: jsonNumber(s.meanDocsOnlyInB),
      },
    },
    most_moved: diff.mostMoved.map((q) => ({ query_id: q.queryId, ...queryJson(q) })),
    per_query: Object.fromEntries(diff.perQuery.map((q) => [q.queryId, queryJson(q)])),
  };
}

/** Lines of cells as an aligned table: the first column left-aligned, the others right-aligned (or left-aligned too). */
function alignedTable(rows: readonly (readonly string[])[], others: 'left' | 'right' = 'right'): string {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 0 || others === 'left' ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd() + '\n')
    .join('');
}

function fixed(value: number): string {
  return Number.isNaN(value) ? 'n/a' : formatFixed(value);
}

function idList(ids: readonly string[]): string {
  return ids.length === 0 ? '' : ` (${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', ...' : ''})`;
}

/**
 * The text `diff` prints: the files, the summary (counts, then means over the queries in both, 4
 * decimals), then the queries that moved most as an aligned table. Every query is in rankingDiffJson.
 */
export function formatRankingDiff(diff: RankingDiff): string {
  const s = diff.summary;
  const k = diff.topK;
  const summary = alignedTable([
    ['summary', ''],
    ['queries in both', String(s.queriesInBoth)],
    ['queries only in A', `${s.queriesOnlyInA.length}${idList(s.queriesOnlyInA)}`],
    ['queries only in B', `${s.queriesOnlyInB.length}${idList(s.queriesOnlyInB)}`],
    [`top-${k} changed`, String(s.topKChanged)],
    ['mean kendall_tau', `${fixed(s.meanKendallTau)}${s.tauQueries === s.queriesInBoth ? '' : ` (${s.tauQueries} queries with 2+ shared documents)`}`],
    [`mean rbo (p ${diff.rboP})`, fixed(s.meanRbo)],
    [`mean overlap@${k}`, fixed(s.meanTopKOverlap)],
    ['mean docs only in A', fixed(s.meanDocsOnlyInA)],
    ['mean docs only in B', fixed(s.meanDocsOnlyInB)],
  ], 'left');
  const moved =
    diff.mostMoved.length === 0
      ? ''
      : `\nmoved most (lowest RBO, ${diff.mostMoved.length} of ${s.queriesInBoth} queries in both)\n` +
        alignedTable([
          ['query', 'kendall_tau', 'rbo', `overlap@${k}`, 'only A', 'only B', 'docs A', 'docs B'],
          ...diff.mostMoved.map((q) => [q.queryId, fixed(q.kendallTau), fixed(q.rbo), fixed(q.topKOverlap), String(q.docsOnlyInA), String(q.docsOnlyInB), String(q.docsA), String(q.docsB)]),
        ]);
  return `A = ${diff.a}\nB = ${diff.b}\n${summary}${moved}`;
}
