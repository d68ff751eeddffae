import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/report/html-escape.js';
import { interpolatedPrecision, RECALL_POINTS } from '../../src/report/precision-recall.js';
import { HISTOGRAM_BINS, ScoreHistogram } from '../../src/report/score-histogram.js';
import { mulberry32 } from '../../src/mulberry32.js';

describe('interpolatedPrecision', () => {
  it('is the best precision at or beyond each recall point, 0 past the last relevant document found', () => {
    // Relevant at ranks 1, 3 and 6 of 4 relevant: precision 1, 2/3, 1/2 at recall 0.25, 0.5, 0.75.
    const curve = interpolatedPrecision([true, false, true, false, false, true], 4);
    expect(curve).toEqual([1, 1, 1, 2 / 3, 2 / 3, 2 / 3, 1 / 2, 1 / 2, 0, 0, 0]);
    expect(curve).toHaveLength(RECALL_POINTS.length);
  });

  it('takes a later, higher precision for the recall points before it', () => {
    expect(interpolatedPrecision([false, true, true], 2)).toEqual(RECALL_POINTS.map(() => 2 / 3));
  });

  it('is 0 everywhere for a query without relevant documents', () => {
    expect(interpolatedPrecision([false, false], 0)).toEqual(RECALL_POINTS.map(() => 0));
  });
});

describe('ScoreHistogram', () => {
  it('keeps at most HISTOGRAM_BINS bins of one width covering every score, and loses no count', () => {
    const random = mulberry32(7);
    const histogram = new ScoreHistogram(['a', 'b']);
    const scores: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const score = i % 1000 === 0 ? -40 + random() * 200 : random();
      scores.push(score);
      histogram.add(score, i % 2);
    }
    const view = histogram.view();
    expect(view.total).toBe(scores.length);
    expect(view.counts.flat().reduce((a, b) => a + b, 0)).toBe(scores.length);
    const bins = view.counts[0]?.length ?? 0;
    expect(bins).toBeLessThanOrEqual(HISTOGRAM_BINS);
    expect(bins).toBeGreaterThan(HISTOGRAM_BINS / 4);
    expect(view.from).toBeLessThanOrEqual(Math.min(...scores));
    expect(view.from + bins * view.width).toBeGreaterThan(Math.max(...scores));
    // Every bin holds exactly the scores in its interval.
    for (let i = 0; i < bins; i++) {
      const lo = view.from + i * view.width;
      const inBin = scores.filter((s) => s >= lo && s < lo + view.width).length;
      expect((view.counts[0]?.[i] ?? 0) + (view.counts[1]?.[i] ?? 0)).toBe(inBin);
    }
  });

  it('keeps one narrow bin when every score is the same', () => {
    const histogram = new ScoreHistogram(['all']);
    for (let i = 0; i < 10; i++) histogram.add(0.5, 0);
    expect(histogram.view().counts).toEqual([[10]]);
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in element content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});
