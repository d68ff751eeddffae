import { describe, expect, it } from 'vitest';
import type { BatchDoc } from '../../jobs/rerank-job.js';
import { batchTexts, foldScores } from '../../workers/batch-texts.js';

const WINDOWS = { length: 4, stride: 2 };

/** 10 words: passages at words 0, 2, 4 and 6 with WINDOWS. */
const TEN = 'a0 a1 a2 a3 a4 a5 a6 a7 a8 a9';
const TEN_PASSAGES = ['a0 a1 a2 a3', 'a2 a3 a4 a5', 'a4 a5 a6 a7', 'a6 a7 a8 a9'];

describe('batchTexts', () => {
  it('sends each document as it is when none is split or copied', () => {
    const docs: BatchDoc[] = [{ id: 'x', text: 'one' }, { id: 'y', text: 'two words' }];
    const batch = batchTexts(docs, undefined);
    expect(batch.texts).toEqual(['one', 'two words']);
    expect(foldScores(batch.spans, [0.25, 0.75])).toEqual({ scores: [0.25, 0.75] });
  });

  it('sends a split document as its passages, between the others, and leaves copies out', () => {
    const docs: BatchDoc[] = [
      { id: 'first', text: 'short' },
      { id: 'long', text: TEN, passages: 4 },
      { id: 'copy', text: '', copyOf: 0 },
      { id: 'last', text: 'tail' },
    ];
    expect(batchTexts(docs, WINDOWS).texts).toEqual(['short', ...TEN_PASSAGES, 'tail']);
  });
});

describe('foldScores', () => {
  it("gives a split document its best passage's score (MaxP) and records which passage it was", () => {
    const docs: BatchDoc[] = [
      { id: 'first', text: 'short' },
      { id: 'long', text: TEN, passages: 4 },
      { id: 'last', text: 'tail' },
    ];
    const { spans } = batchTexts(docs, WINDOWS);
    // Texts: short, p0, p1, p2, p3, tail. The third passage (index 2) is best.
    const folded = foldScores(spans, [0.5, 0.1, -2, 0.9, 0.3, 0.2]);
    expect(folded).toEqual({ scores: [0.5, 0.9, 0.2], passages: [null, [4, 2], null] });
  });

  it('takes the first of equally best passages, and reads negative scores right', () => {
    const { spans } = batchTexts([{ id: 'long', text: TEN, passages: 4 }], WINDOWS);
    expect(foldScores(spans, [-3, -1, -1, -2])).toEqual({ scores: [-1], passages: [[4, 1]] });
    expect(foldScores(spans, [-5, -6, -7, -8])).toEqual({ scores: [-5], passages: [[4, 0]] });
  });

  it("gives a copy its original's score, and its passage record", () => {
    const docs: BatchDoc[] = [
      { id: 'long', text: TEN, passages: 4 },
      { id: 'plain', text: 'plain' },
      { id: 'long-again', text: '', copyOf: 0 },
      { id: 'plain-again', text: '', copyOf: 1 },
    ];
    const batch = batchTexts(docs, WINDOWS);
    expect(batch.texts).toHaveLength(5);
    expect(foldScores(batch.spans, [0.1, 0.7, 0.2, 0.3, 0.6])).toEqual({ scores: [0.7, 0.6, 0.7, 0.6], passages: [[4, 1], null, [4, 1], null] });
  });

  it('gives copies without passages their score, with no passage records at all', () => {
    const batch = batchTexts([{ id: 'a', text: 'same' }, { id: 'b', text: 'other' }, { id: 'c', text: '', copyOf: 0 }], undefined);
    expect(batch.texts).toEqual(['same', 'other']);
    expect(foldScores(batch.spans, [0.4, 0.8])).toEqual({ scores: [0.4, 0.8, 0.4] });
  });
});

describe('batchTexts refuses a batch planned with other passage settings', () => {
  it('throws when the passages counted do not match the split', () => {
    // Other windows: 10 words in windows of 4 every 3 are 3 passages, not 4.
    expect(() => batchTexts([{ id: 'long', text: TEN, passages: 4 }], { length: 4, stride: 3 })).toThrow('document long splits into 3 passages, the batch says 4');
    // A document too short to split, recorded as split.
    expect(() => batchTexts([{ id: 'short', text: 'a b c', passages: 2 }], WINDOWS)).toThrow('document short splits into 1 passages, the batch says 2');
  });

  it('reads a count below the split as the cut the planner made (at maxDocsPerRequest passages)', () => {
    expect(batchTexts([{ id: 'long', text: TEN, passages: 3 }], WINDOWS).texts).toEqual(TEN_PASSAGES.slice(0, 3));
  });

  it('throws when the run splits nothing', () => {
    expect(() => batchTexts([{ id: 'long', text: TEN, passages: 4 }], undefined)).toThrow('document long has 4 passages but the run splits none');
  });
});
