/** Most bins a histogram keeps: its memory is fixed, whatever the number of scores. */
export const HISTOGRAM_BINS = 48;

/** Finest bin width: the start; widths double from here as the scores spread. */
const FIRST_WIDTH = 2 ** -20;

/** A histogram ready to draw: `counts[c][i]` scores of class c in [from + i*width, from + (i+1)*width). */
export interface HistogramView {
  classes: readonly string[];
  from: number;
  width: number;
  counts: number[][];
  total: number;
}

/**
 * Counts scores of a few classes in at most HISTOGRAM_BINS bins of one width, on a grid fixed by that
 * width (bin k holds [k*width, (k+1)*width)), in one pass and without knowing the range first: when a
 * score falls too far from the others the width doubles and neighbouring bins merge, so the bins always
 * span the scores seen.
 */
export class ScoreHistogram {
  private width = FIRST_WIDTH;
  /** Grid index -> count per class. */
  private bins = new Map<number, number[]>();
  private low = 0;
  private high = -1;
  private total = 0;

  constructor(readonly classes: readonly string[]) {}

  add(score: number, classIndex: number): void {
    let key = Math.floor(score / this.width);
    if (this.total === 0) {
      this.low = key;
      this.high = key;
    }
    while (Math.max(this.high, key) - Math.min(this.low, key) + 1 > HISTOGRAM_BINS) {
      this.coarsen();
      key = Math.floor(score / this.width);
    }
    this.low = Math.min(this.low, key);
    this.high = Math.max(this.high, key);
    let counts = this.bins.get(key);
    if (counts === undefined) {
      counts = this.classes.map(() => 0);
      this.bins.set(key, counts);
    }
    counts[classIndex] = (counts[classIndex] ?? 0) + 1;
    this.total++;
  }

  private coarsen(): void {
    const merged = new Map<number, number[]>();
    for (const [key, counts] of this.bins) {
      const target = merged.get(Math.floor(key / 2));
      if (target === undefined) merged.set(Math.floor(key / 2), counts);
      else counts.forEach((n, c) => (target[c] = (target[c] ?? 0) + n));
    }
    this.bins = merged;
    this.width *= 2;
    this.low = Math.floor(this.low / 2);
    this.high = Math.floor(this.high / 2);
  }

  view(): HistogramView {
    const counts = this.classes.map((_, c) => {
      const row: number[] = [];
      for (let key = this.low; key <= this.high; key++) row.push(this.bins.get(key)?.[c] ?? 0);
      return row;
    });
    return { classes: this.classes, from: this.low * this.width, width: this.width, counts, total: this.total };
  }
}
