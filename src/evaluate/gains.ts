import type { JudgedRanking } from './ranking.js';

/** A `rel_level=gain` parameter of ndcg, G, rbp and friends (trec_eval's DOUBLE_PARAM_PAIR). */
export interface GainPair {
  name: string;
  value: number;
}

/** One relevance level with its gain and how many judged documents of the query have it (trec_eval REL_GAIN). */
export interface RelGain {
  relLevel: number;
  numAtLevel: number;
  gain: number;
}

/**
 * trec_eval's setup_gains (gain_init.c) for one query: every `level=gain` pair whose name is an integer,
 * then each level 0..max judged label not named, with gain = level; sorted by increasing gain with
 * trec_eval's comparator, which compares the gains' difference truncated to an int (gains closer than 1
 * compare equal), under glibc's stable merge sort, so the order of such gains is glibc's.
 */
export function setupGains(pairs: readonly GainPair[], ranking: Pick<JudgedRanking, 'relLevels'>): RelGain[] {
  const gains: RelGain[] = [];
  for (const pair of pairs) {
    if (!/^[+-]?\d+$/.test(pair.name)) continue;
    gains.push({ relLevel: Number(pair.name), numAtLevel: 0, gain: pair.value });
  }
  const named = gains.length;
  ranking.relLevels.forEach((count, level) => {
    let j = 0;
    while (j < named && gains[j]?.relLevel !== level) j++;
    const given = gains[j];
    if (j < named && given !== undefined) given.numAtLevel = count;
    else gains.push({ relLevel: level, numAtLevel: count, gain: level });
  });
  glibcMergeSort(gains, (a, b) => truncateToInt(a.gain - b.gain));
  return gains;
}

/** trec_eval's get_gain: the gain of a relevance value, 0 for a value with no level (unjudged, not in the qrels). */
export function gainOf(rel: number, gains: readonly RelGain[]): number {
  for (const g of gains) if (g.relLevel === rel) return g.gain;
  return 0;
}

/** C's conversion of a double to int (toward zero), saturated where C would overflow. */
function truncateToInt(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.max(-2147483648, Math.min(2147483647, Math.trunc(value)));
}

/**
 * glibc qsort's merge sort (msort_with_tmp): halves of n/2 and n - n/2, merged taking from the left while
 * compare(left, right) <= 0. Reproduced because trec_eval's gain comparator is not a total order.
 */
function glibcMergeSort<T>(items: T[], compare: (a: T, b: T) => number, from = 0, to = items.length): void {
  const n = to - from;
  if (n <= 1) return;
  const middle = from + Math.floor(n / 2);
  glibcMergeSort(items, compare, from, middle);
  glibcMergeSort(items, compare, middle, to);
  const merged: T[] = [];
  let i = from;
  let j = middle;
  while (i < middle && j < to) {
    const left = items[i] as T;
    const right = items[j] as T;
    if (compare(left, right) <= 0) {
      merged.push(left);
      i++;
    } else {
      merged.push(right);
      j++;
    }
  }
  while (i < middle) merged.push(items[i++] as T);
  // What is left of the right half is already in place.
  for (let k = 0; k < merged.length; k++) items[from + k] = merged[k] as T;
}
