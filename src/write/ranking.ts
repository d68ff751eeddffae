/** A candidate with its API score and first-stage data, as written to the outputs. */
export interface RankedItem {
  docId: string;
  score: number;
  originalScore: number | null;
  originalRank: number | null;
}

/**
 * trec_eval's order: score descending, ties broken by doc id in descending byte order (strcmp on the
 * UTF-8 bytes; JS string comparison works on UTF-16 units and differs above U+FFFF).
 */
export function compareTrecOrder(a: { docId: string; score: number }, b: { docId: string; score: number }): number {
  if (a.score !== b.score) return b.score - a.score;
  return Buffer.compare(Buffer.from(b.docId, 'utf8'), Buffer.from(a.docId, 'utf8'));
}

/**
 * Order of queries in the outputs: numeric ids numerically ("2" before "10"), then everything else by
 * bytes. Any fixed order would do for trec_eval; this one is stable across resumes and readable.
 */
export function compareQueryIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  } else if (na !== nb) {
    return na ? -1 : 1;
  }
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Scores are written as JavaScript prints a double: the shortest decimal that reads back to the same
 * number, so the API's value survives exactly (never rounded to a fixed number of digits).
 */
export function formatScore(score: number): string {
  return String(score);
}
