import { compareUtf8 } from '../evaluate/index.js';

export { compareTrecOrder } from '../evaluate/index.js';

/** A candidate with its API score and first-stage data, as written to the outputs. */
export interface RankedItem {
  docId: string;
  score: number;
  originalScore: number | null;
  originalRank: number | null;
  /** Scored as passages: [passages, index of the best one] (MaxP). */
  passage?: [number, number] | undefined;
  /** Empty text, never sent: `score` is a floor under the query's API scores, not an API score. */
  unscored?: true;
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
  return compareUtf8(a, b);
}

/**
 * Scores are written as JavaScript prints a double: the shortest decimal that reads back to the same
 * number, so the API's value survives exactly (never rounded to a fixed number of digits).
 */
export function formatScore(score: number): string {
  return String(score);
}
