import { describe, expect, it } from 'vitest';
import type { LabelledCandidate } from '../../src/label/labelled-candidate.js';
import { selectTraining, type PositiveSource, type TrainingOptions } from '../../src/label/training-selection.js';
import { mulberry32 } from '../../src/mulberry32.js';

/** A query's candidates from (score, relevance?, predicted?), ranked by score descending as given. */
function query(rows: [score: number, relevance?: number, predicted?: number][]): LabelledCandidate[] {
  return rows.map(([score, relevance, predicted], i) => {
    const candidate: LabelledCandidate = { queryId: 'q1', query: 'the query', docId: `d${i + 1}`, document: `document ${i + 1}`, score, rank: i + 1, originalRank: null };
    if (relevance !== undefined) candidate.relevance = relevance;
    if (predicted !== undefined) candidate.predicted = predicted;
    return candidate;
  });
}

const OPTIONS: TrainingOptions = { negatives: 3, negativeRanks: [1, 100], negativeMargin: 0, positivesTop: 1, relLevel: 1 };
const ids = (candidates: readonly LabelledCandidate[]): string[] => candidates.map((candidate) => candidate.docId);

describe('selectTraining', () => {
  it('takes the best-ranked candidates within the window that pass the margin, hardest first', () => {
    const candidates = query([[0.95], [0.9, 1], [0.85], [0.8], [0.6], [0.5], [0.4], [0.3]]);
    const examples = selectTraining(candidates, 'relevance', { ...OPTIONS, negatives: 4, negativeRanks: [1, 7], negativeMargin: 0.25 });
    expect(examples).toHaveLength(1);
    const [example] = examples;
    expect(example?.positive.docId).toBe('d2');
    // d1, d3, d4 are within the margin of 0.9 (likely false negatives); d8 is outside the window.
    expect(ids(example?.negatives ?? [])).toEqual(['d5', 'd6', 'd7']);
  });

  it('never takes a judged-relevant candidate as a negative, even below relLevel', () => {
    const candidates = query([[0.9, 2], [0.8, 1], [0.7, 0], [0.6], [0.5, 1], [0.4, 0]]);
    const examples = selectTraining(candidates, 'relevance', { ...OPTIONS, relLevel: 2, negatives: 10 });
    expect(examples.map((example) => example.positive.docId)).toEqual(['d1']);
    expect(ids(examples[0]?.negatives ?? [])).toEqual(['d3', 'd4', 'd6']);
  });

  it('reads positives from the predicted label with source "predicted"', () => {
    const candidates = query([[0.9, 0, 0], [0.8, 0, 1], [0.7, 1, 0], [0.6, undefined, 1], [0.5, 0, 0]]);
    const examples = selectTraining(candidates, 'predicted', OPTIONS);
    expect(examples.map((example) => example.positive.docId)).toEqual(['d2', 'd4']);
    // Relevance plays no part here: d3 (relevance 1, predicted 0) is a negative.
    expect(ids(examples[0]?.negatives ?? [])).toEqual(['d3', 'd5']);
    expect(ids(examples[1]?.negatives ?? [])).toEqual(['d5']);
  });

  it('takes the first positivesTop as positives with source "top", never as negatives', () => {
    const candidates = query([[0.9, 0], [0.8, 0], [0.7], [0.6], [0.5]]);
    const examples = selectTraining(candidates, 'top', { ...OPTIONS, positivesTop: 2, negatives: 2 });
    expect(examples.map((example) => example.positive.docId)).toEqual(['d1', 'd2']);
    for (const example of examples) expect(ids(example.negatives)).toEqual(['d3', 'd4']);
  });

  it('gives a positive no negatives when none qualify, and no examples without positives', () => {
    expect(selectTraining(query([[0.9, 1], [0.89]]), 'relevance', { ...OPTIONS, negativeMargin: 0.1 })).toEqual([
      { positive: expect.objectContaining({ docId: 'd1' }), negatives: [] },
    ]);
    expect(selectTraining(query([[0.9, 0], [0.8]]), 'relevance', OPTIONS)).toEqual([]);
  });

  it('holds its rules over seeded random queries', () => {
    const sources: PositiveSource[] = ['relevance', 'predicted', 'top'];
    let pairs = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const random = mulberry32(seed);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
      const n = 1 + Math.floor(random() * 40);
      // Scores descending with rank, some tied.
      let score = 1;
      const candidates = query(
        Array.from({ length: n }, (): [number, number?, number?] => {
          score -= pick([0, 0.01, 0.05, 0.1]);
          return [score, pick([undefined, 0, 0, 1, 2]), pick([undefined, 0, 1])];
        }),
      );
      const minRank = 1 + Math.floor(random() * 10);
      const options: TrainingOptions = {
        negatives: Math.floor(random() * 6),
        negativeRanks: [minRank, minRank + Math.floor(random() * 30)],
        negativeMargin: pick([0, 0.02, 0.1, 0.3]),
        positivesTop: 1 + Math.floor(random() * 3),
        relLevel: pick([1, 2]),
      };
      const source = pick(sources);
      const judged = (candidate: LabelledCandidate): number | undefined => (source === 'relevance' ? candidate.relevance : candidate.predicted);
      const positive = (candidate: LabelledCandidate): boolean => (source === 'top' ? candidate.rank <= options.positivesTop : (judged(candidate) ?? -1) >= options.relLevel);
      const excluded = (candidate: LabelledCandidate): boolean => positive(candidate) || (source !== 'top' && (judged(candidate) ?? 0) > 0);

      const examples = selectTraining(candidates, source, options);
      const context = `seed ${seed}`;
      expect(ids(examples.map((example) => example.positive)), context).toEqual(ids(candidates.filter(positive)));
      for (const example of examples) {
        const ceiling = example.positive.score - options.negativeMargin;
        for (const negative of example.negatives) {
          expect(negative.score, context).toBeLessThanOrEqual(ceiling);
          expect(negative.rank, context).toBeGreaterThanOrEqual(options.negativeRanks[0]);
          expect(negative.rank, context).toBeLessThanOrEqual(options.negativeRanks[1]);
          expect(excluded(negative), context).toBe(false);
          pairs++;
        }
        const eligible = candidates.filter((c) => !excluded(c) && c.rank >= options.negativeRanks[0] && c.rank <= options.negativeRanks[1] && c.score <= ceiling);
        // Hardest first: exactly the best-ranked eligible ones, as many as asked when there are enough.
        expect(ids(example.negatives), context).toEqual(ids(eligible.slice(0, options.negatives)));
      }
    }
    expect(pairs).toBeGreaterThan(500);
  });

  it('does not depend on the order the candidates are given in', () => {
    const candidates = query([[0.9, 1], [0.8], [0.7, 1], [0.6], [0.5], [0.4]]);
    const shuffled = [candidates[3], candidates[0], candidates[5], candidates[2], candidates[1], candidates[4]].flatMap((c) => (c === undefined ? [] : [c]));
    expect(selectTraining(shuffled, 'relevance', OPTIONS)).toEqual(selectTraining(candidates, 'relevance', OPTIONS));
  });
});
