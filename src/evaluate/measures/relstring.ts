import type { JudgedRanking } from '../ranking.js';

/**
 * relstring (m_relstring.c): the relevance of the first `length` retrieved documents, one character each:
 * the label 0-9, `>` above 9, `-` not in the qrels, `.` a negative label (in the pool, unjudged).
 */
export function relevanceString(ranking: JudgedRanking, length: number): string {
  const n = Math.max(0, Math.min(Math.trunc(length), ranking.rels.length));
  let text = '';
  for (let i = 0; i < n; i++) {
    const rel = ranking.rels[i] ?? -1;
    text += rel > 9 ? '>' : rel >= 0 ? String(rel) : rel === -1 ? '-' : rel === -2 ? '.' : '<';
  }
  return text;
}
