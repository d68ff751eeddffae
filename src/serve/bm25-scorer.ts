/**
 * A real, deterministic lexical relevance scorer standing in for a cross-encoder: Okapi BM25 over the
 * request's own documents as the collection.
 *
 * - Tags of the Qwen3 template are stripped first (`<Instruct>: ...\n<Query>: ` before the query,
 *   `<Document>: ` before a document), so tagged and raw requests score the same.
 * - Tokens: maximal runs of Unicode letters and numbers (`[\p{L}\p{N}]+`), lower-cased.
 * - IDF (Lucene's always-positive form) `ln(1 + (N - df + 0.5) / (df + 0.5))` uses only the request's
 *   documents, so a document's score depends on which other documents share its batch (as with any
 *   per-request statistic); the order within one request is what matters.
 * - Each distinct query term counts once; term frequency saturates with k1 = 0.9, length normalised with
 *   b = 0.4 against the request's average document length.
 * - The BM25 score s >= 0 is mapped into (0, 1) by the strictly increasing `(s + 0.02) / (s + 2.02)`, so
 *   it looks like a reranker probability and keeps the BM25 order (s = 0 -> ~0.0099, s = 2 -> ~0.5).
 * Same request -> same scores, bit for bit.
 */

export const BM25_K1 = 0.9;
export const BM25_B = 0.4;
const MAP_K = 2;
const MAP_EPSILON = 0.02;

const TOKEN = /[\p{L}\p{N}]+/gu;
const QWEN3_QUERY = /^<Instruct>:[^\n]*\n<Query>: ?/;
const QWEN3_QUERY_ONLY = /^<Query>: ?/;
const QWEN3_DOCUMENT = /^<Document>: ?/;

/** Lower-cased runs of Unicode letters/numbers. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/** The query text without the `<Instruct>: ...\n<Query>: ` prefix, when present. */
export function stripQueryTags(query: string): string {
  if (query.startsWith('<Instruct>:')) {
    const stripped = query.replace(QWEN3_QUERY, '');
    if (stripped !== query) return stripped;
  }
  return query.startsWith('<Query>:') ? query.replace(QWEN3_QUERY_ONLY, '') : query;
}

/** The document text without the `<Document>: ` prefix, when present. */
export function stripDocumentTags(document: string): string {
  return document.startsWith('<Document>:') ? document.replace(QWEN3_DOCUMENT, '') : document;
}

/** Raw BM25 scores (>= 0) of each document for the query, in document order. */
export function bm25Scores(query: string, documents: readonly string[]): number[] {
  const n = documents.length;
  const queryTerms = new Set(tokenize(stripQueryTags(query)));
  if (n === 0) return [];
  // Term frequencies of the query terms only: other terms never contribute.
  const tfs: Array<Map<string, number>> = new Array<Map<string, number>>(n);
  const lengths = new Float64Array(n);
  const df = new Map<string, number>();
  let totalLength = 0;
  for (let i = 0; i < n; i++) {
    const tokens = tokenize(stripDocumentTags(documents[i] ?? ''));
    lengths[i] = tokens.length;
    totalLength += tokens.length;
    const tf = new Map<string, number>();
    for (const token of tokens) {
      if (queryTerms.has(token)) tf.set(token, (tf.get(token) ?? 0) + 1);
    }
    for (const term of tf.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    tfs[i] = tf;
  }
  const avgLength = totalLength / n || 1;
  const idf = new Map<string, number>();
  for (const [term, count] of df) idf.set(term, Math.log(1 + (n - count + 0.5) / (count + 0.5)));
  const scores = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const tf = tfs[i];
    let score = 0;
    if (tf !== undefined && tf.size > 0) {
      const norm = BM25_K1 * (1 - BM25_B + (BM25_B * (lengths[i] ?? 0)) / avgLength);
      for (const [term, f] of tf) score += ((idf.get(term) ?? 0) * f * (BM25_K1 + 1)) / (f + norm);
    }
    scores[i] = score;
  }
  return scores;
}

/** Map a BM25 score into (0, 1), strictly increasing. */
export function toRelevance(bm25: number): number {
  return (bm25 + MAP_EPSILON) / (bm25 + MAP_EPSILON + MAP_K);
}

/** Reranker-like relevance scores in (0, 1), one per document in document order. */
export function scoreDocuments(query: string, documents: readonly string[]): number[] {
  return bm25Scores(query, documents).map(toRelevance);
}
