import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabelledCandidate } from '../../src/label/labelled-candidate.js';
import { bandOf, ReviewSampler, scoreBands, type ReviewRow, type ScoreBands } from '../../src/label/review-sampler.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { formatBand, writeReviewFile } from '../../src/write/review-file.js';
import { tempDir } from '../helpers/paths.js';

let remove: (() => Promise<void>) | undefined;
afterEach(async () => {
  await remove?.();
  remove = undefined;
});

function row(queryId: string, rank: number, score: number, extra: Partial<LabelledCandidate> = {}): ReviewRow {
  return { candidate: { queryId, query: `query ${queryId}`, docId: `${queryId}-d${rank}`, document: `document ${rank} of ${queryId}`, score, rank, originalRank: null, ...extra } };
}

/** `queries` x `perQuery` rows, scores spread over [0, 1) by a seeded PRNG. */
function rows(queries: number, perQuery: number, seed = 7): ReviewRow[] {
  const random = mulberry32(seed);
  return Array.from({ length: queries * perQuery }, (_, i) => row(`q${Math.floor(i / perQuery)}`, (i % perQuery) + 1, random()));
}

function shuffled<T>(values: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

function sampleOf(size: number, bands: ScoreBands, seed: number, added: readonly ReviewRow[]): { band: number; row: ReviewRow }[] {
  const sampler = new ReviewSampler(size, bands, seed);
  for (const r of added) sampler.add(r);
  return sampler.sample();
}

const idsOf = (sample: readonly { band: number; row: ReviewRow }[]): string[] => sample.map(({ band, row: r }) => `${band}:${r.candidate.docId}`);

describe('scoreBands', () => {
  it('uses label thresholds when given, sorted, else equal widths over the range', () => {
    expect(scoreBands({ min: 0, max: 1 }, [0.8, 0.5, 0.8]).edges).toEqual([0.5, 0.8]);
    expect(scoreBands({ min: 0, max: 10 }).edges).toEqual([2, 4, 6, 8]);
    expect(scoreBands({ min: -1, max: 1 }, undefined, 2).edges).toEqual([0]);
    expect(scoreBands({ min: 3, max: 3 }).edges).toEqual([]);
  });

  it('puts a score in the band of the edges at or below it', () => {
    const bands = { edges: [0.5, 0.8] };
    expect([-Infinity, 0, 0.49, 0.5, 0.79, 0.8, 1, Infinity].map((score) => bandOf(bands, score))).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
    expect([0, 1, 2].map((band) => formatBand(bands, band))).toEqual(['(-inf, 0.5)', '[0.5, 0.8)', '[0.8, inf)']);
    expect(formatBand(scoreBands({ min: 0, max: 0.3 }, undefined, 3), 1)).toBe('[0.1, 0.2)');
  });
});

describe('ReviewSampler', () => {
  const bands = scoreBands({ min: 0, max: 1 }, undefined, 4);

  it('samples the same rows whatever order they are added in', () => {
    const all = rows(30, 60);
    const first = sampleOf(40, bands, 11, all);
    expect(first).toHaveLength(40);
    for (const seed of [1, 2, 3]) expect(idsOf(sampleOf(40, bands, 11, shuffled(all, seed)))).toEqual(idsOf(first));
    expect(idsOf(sampleOf(40, bands, 12, all))).not.toEqual(idsOf(first));
  });

  it('gives exactly `size` rows when there are enough, evenly over the bands, sorted', () => {
    const sample = sampleOf(41, bands, 5, rows(20, 50));
    expect(sample).toHaveLength(41);
    const perBand = [0, 1, 2, 3].map((band) => sample.filter((s) => s.band === band).length);
    expect(perBand).toEqual([11, 10, 10, 10]);
    for (const { band, row: r } of sample) expect(bandOf(bands, r.candidate.score)).toBe(band);
    const keys = sample.map(({ band, row: r }) => [band, r.candidate.queryId, r.candidate.rank] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]);
    expect(keys).toEqual(sorted);
  });

  it('passes the unused share of a sparse band to the others', () => {
    const two = { edges: [0.5] };
    const sparse = [row('a', 1, 0.1), row('b', 1, 0.2), row('c', 1, 0.3)];
    const dense = rows(10, 100).map((r) => row(r.candidate.queryId, r.candidate.rank, 0.5 + r.candidate.score / 2));
    const sample = sampleOf(20, two, 3, [...dense, ...sparse]);
    expect(sample.filter((s) => s.band === 0).map((s) => s.row.candidate.docId)).toEqual(['a-d1', 'b-d1', 'c-d1']);
    expect(sample.filter((s) => s.band === 1)).toHaveLength(17);
    // Fewer rows than the size: all of them.
    expect(sampleOf(20, two, 3, sparse)).toHaveLength(3);
    expect(sampleOf(0, two, 3, sparse)).toEqual([]);
  });

  it('spreads a band over its queries', () => {
    const one = { edges: [] };
    for (let seed = 1; seed <= 25; seed++) {
      const sample = sampleOf(10, one, seed, rows(10, 100, seed));
      expect(new Set(sample.map((s) => s.row.candidate.queryId)).size, `seed ${seed}`).toBe(10);
    }
    // With fewer queries than the size, each query gives its share.
    const few = sampleOf(12, one, 9, rows(3, 200));
    expect(['q0', 'q1', 'q2'].map((queryId) => few.filter((s) => s.row.candidate.queryId === queryId).length)).toEqual([4, 4, 4]);
  });

  it('never holds more than 4 * size rows in a band, however many are added', () => {
    const size = 8;
    const sampler = new ReviewSampler(size, bands, 4);
    let most = 0;
    for (const r of rows(400, 50)) {
      sampler.add(r);
      for (const held of sampler.held) {
        expect(held).toBeLessThanOrEqual(4 * size);
        most = Math.max(most, held);
      }
    }
    expect(most).toBe(4 * size);
    expect(sampler.sample()).toHaveLength(size);
  });
});

describe('writeReviewFile', () => {
  it('writes review.csv with its columns, texts intact', async () => {
    const temp = await tempDir('review-file');
    remove = temp.remove;
    const bands = { edges: [0.5] };
    const sample = [
      { band: 0, row: { candidate: row('q "1"', 2, 0.25, { document: 'a, "quoted"\nline\r\nand 東京 🚀', originalRank: 7, predicted: 0 }).candidate, label: 1 } },
      { band: 1, row: row('q2', 1, 0.75, { query: '=SUM(A1)' }) },
    ];
    const path = join(temp.dir, 'review.csv');
    await writeReviewFile(path, sample, bands, { hasLabel: true, hasPredicted: true });
    const records: unknown = parse(await readFile(path, 'utf8'));
    expect(records).toEqual([
      ['band', 'score_range', 'query_id', 'query', 'doc_id', 'document', 'score', 'rank', 'original_rank', 'label', 'label_pred', 'review_label', 'review_note'],
      ['0', '(-inf, 0.5)', 'q "1"', 'query q "1"', 'q "1"-d2', 'a, "quoted"\nline\r\nand 東京 🚀', '0.25', '2', '7', '1', '0', '', ''],
      ['1', '[0.5, inf)', 'q2', '=SUM(A1)', 'q2-d1', 'document 1 of q2', '0.75', '1', '', '', '', '', ''],
    ]);

    await writeReviewFile(path, sample, bands, { hasLabel: false, hasPredicted: false });
    const header: unknown = parse(await readFile(path, 'utf8'), { to_line: 1 });
    expect(header).toEqual([['band', 'score_range', 'query_id', 'query', 'doc_id', 'document', 'score', 'rank', 'original_rank', 'review_label', 'review_note']]);
  });
});
