import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabelledCandidate } from '../../src/label/labelled-candidate.js';
import { selectTraining, type TrainingExample, type TrainingOptions } from '../../src/label/training-selection.js';
import { TRAINING_FILES, TrainingFiles, type TrainingFormat } from '../../src/write/training-files.js';
import { tempDir } from '../helpers/paths.js';

let remove: (() => Promise<void>) | undefined;
afterEach(async () => {
  await remove?.();
  remove = undefined;
});

/** Texts that must come back byte for byte: quotes, backslashes, newlines, tabs, non-BMP and line separators. */
const AWKWARD = ['say "hi", then \\leave', 'two\nlines\r\nand a\ttab', 'naïve café 東京 🚀', 'sep\u2028arators\u2029here', ''];

function candidates(queryId: string, count: number, relevant: readonly number[]): LabelledCandidate[] {
  return Array.from({ length: count }, (_, i) => {
    const candidate: LabelledCandidate = {
      queryId,
      query: `${queryId}: ${AWKWARD[0]} ${AWKWARD[2]}`,
      docId: `${queryId}-d${i + 1}`,
      document: `${AWKWARD[i % AWKWARD.length]} #${i + 1}`,
      score: 1 - i / 16,
      rank: i + 1,
      originalRank: count - i,
    };
    if (relevant.includes(i + 1)) candidate.relevance = 1;
    return candidate;
  });
}

const OPTIONS: TrainingOptions = { negatives: 3, negativeRanks: [1, 100], negativeMargin: 0.1, positivesTop: 1, relLevel: 1 };

/** The JSON documents of a JSON-lines file, each with its keys in file order. */
async function readLines(dir: string, name: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(dir, name), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const value: unknown = JSON.parse(line);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${name}: not an object: ${line}`);
      return Object.fromEntries(Object.entries(value));
    });
}

describe('TrainingFiles', () => {
  it('writes every format, line-aligned with its ids, texts intact', async () => {
    const temp = await tempDir('training-files');
    remove = temp.remove;
    const queries = [candidates('q1', 12, [1, 6]), candidates('q2', 5, [2]), candidates('q3', 4, [])];
    const examples = queries.map((query) => selectTraining(query, 'relevance', OPTIONS));
    const files = new TrainingFiles(temp.dir, ['triplets', 'hard-negatives', 'distillation'], OPTIONS.negatives);
    for (const [i, query] of queries.entries()) await files.addQuery(query, examples[i] ?? []);
    await files.commit();

    const all = queries.flat();
    const byId = new Map(all.map((candidate) => [candidate.docId, candidate]));
    const text = (id: unknown): string => byId.get(String(id))?.document ?? `missing ${String(id)}`;
    const queryText = (id: unknown): string => all.find((candidate) => candidate.queryId === id)?.query ?? `missing ${String(id)}`;
    const flat: TrainingExample[] = examples.flat();

    const triplets = await readLines(temp.dir, 'triplets.jsonl');
    const tripletIds = await readLines(temp.dir, 'triplets.ids.jsonl');
    const expectedPairs = flat.flatMap((example) => example.negatives.map((negative) => [example.positive.docId, negative.docId]));
    expect(tripletIds.map((ids) => [ids.positive_id, ids.negative_id])).toEqual(expectedPairs);
    expect(triplets).toHaveLength(tripletIds.length);
    triplets.forEach((row, i) => {
      const ids = tripletIds[i] ?? {};
      expect(Object.keys(row)).toEqual(['query', 'positive', 'negative']);
      expect(Object.keys(ids)).toEqual(['query_id', 'positive_id', 'negative_id']);
      expect(row).toEqual({ query: queryText(ids.query_id), positive: text(ids.positive_id), negative: text(ids.negative_id) });
    });

    // Scores fall by 1/16 a rank, the margin is 0.1: q1-d1 (1) takes ranks 3.., q1-d6 (0.6875) ranks 8..,
    // and q2-d2 (0.9375) has only two candidates far enough below it (counted, left out).
    const hard = await readLines(temp.dir, 'hard-negatives.jsonl');
    const hardIds = await readLines(temp.dir, 'hard-negatives.ids.jsonl');
    expect(hardIds.map((ids) => ids.positive_id)).toEqual(['q1-d1', 'q1-d6']);
    expect(hardIds.map((ids) => ids.negative_ids)).toEqual([
      ['q1-d3', 'q1-d4', 'q1-d5'],
      ['q1-d8', 'q1-d9', 'q1-d10'],
    ]);
    hard.forEach((row, i) => {
      const ids = hardIds[i] ?? {};
      expect(Object.keys(row)).toEqual(['query', 'positive', 'negative_1', 'negative_2', 'negative_3']);
      expect(Object.keys(ids)).toEqual(['query_id', 'positive_id', 'negative_ids']);
      const negatives = Array.isArray(ids.negative_ids) ? ids.negative_ids : [];
      expect(row).toEqual({ query: queryText(ids.query_id), positive: text(ids.positive_id), negative_1: text(negatives[0]), negative_2: text(negatives[1]), negative_3: text(negatives[2]) });
    });

    const pointwise = await readLines(temp.dir, 'distillation.jsonl');
    const pointwiseIds = await readLines(temp.dir, 'distillation.ids.jsonl');
    expect(pointwiseIds).toEqual(all.map((candidate) => ({ query_id: candidate.queryId, doc_id: candidate.docId })));
    expect(pointwise).toEqual(all.map((candidate) => ({ query: candidate.query, document: candidate.document, score: candidate.score })));
    for (const row of pointwise) expect(Object.keys(row)).toEqual(['query', 'document', 'score']);

    const listwise = await readLines(temp.dir, 'distillation.listwise.jsonl');
    const listwiseIds = await readLines(temp.dir, 'distillation.listwise.ids.jsonl');
    expect(listwiseIds).toEqual(queries.map((query) => ({ query_id: query[0]?.queryId, doc_ids: query.map((candidate) => candidate.docId) })));
    expect(listwise).toEqual(queries.map((query) => ({ query: query[0]?.query, docs: query.map((candidate) => candidate.document), labels: query.map((candidate) => candidate.score) })));
    for (const row of listwise) expect(Object.keys(row)).toEqual(['query', 'docs', 'labels']);
    for (const ids of listwiseIds) expect(Object.keys(ids)).toEqual(['query_id', 'doc_ids']);

    // Every awkward text came back as it went in.
    const documents = new Set(pointwise.map((row) => row.document));
    for (const awkward of AWKWARD) expect(documents.has(`${awkward} #${AWKWARD.indexOf(awkward) + 1}`)).toBe(true);

    const counts = files.counts();
    expect(counts.positivesWithTooFewNegatives).toBe(1);
    expect(counts.files).toEqual({
      'triplets.jsonl': triplets.length,
      'triplets.ids.jsonl': triplets.length,
      'hard-negatives.jsonl': 2,
      'hard-negatives.ids.jsonl': 2,
      'distillation.jsonl': all.length,
      'distillation.ids.jsonl': all.length,
      'distillation.listwise.jsonl': 3,
      'distillation.listwise.ids.jsonl': 3,
    });
    const names = Object.values(TRAINING_FILES).flatMap((list) => list.flatMap((file) => [file.data, file.ids]));
    expect((await readdir(temp.dir)).sort()).toEqual(names.sort());
  });

  it('writes only the formats asked', async () => {
    const temp = await tempDir('training-files');
    remove = temp.remove;
    const formats: TrainingFormat[] = ['triplets', 'distillation'];
    const files = new TrainingFiles(temp.dir, formats, OPTIONS.negatives);
    const query = candidates('q1', 8, [2]);
    await files.addQuery(query, selectTraining(query, 'relevance', OPTIONS));
    await files.commit();
    expect((await readdir(temp.dir)).sort()).toEqual([
      'distillation.ids.jsonl',
      'distillation.jsonl',
      'distillation.listwise.ids.jsonl',
      'distillation.listwise.jsonl',
      'triplets.ids.jsonl',
      'triplets.jsonl',
    ]);
    expect(files.counts().positivesWithTooFewNegatives).toBe(0);
    expect(Object.keys(files.counts().files)).not.toContain('hard-negatives.jsonl');
  });

  it('commits empty files when nothing qualifies, and discard leaves nothing', async () => {
    const temp = await tempDir('training-files');
    remove = temp.remove;
    const empty = new TrainingFiles(temp.dir, ['hard-negatives'], 5);
    const query = candidates('q1', 4, [1]);
    await empty.addQuery(query, selectTraining(query, 'relevance', { ...OPTIONS, negatives: 5 }));
    await empty.commit();
    expect(await readFile(join(temp.dir, 'hard-negatives.jsonl'), 'utf8')).toBe('');
    expect(await readFile(join(temp.dir, 'hard-negatives.ids.jsonl'), 'utf8')).toBe('');
    expect(empty.counts().positivesWithTooFewNegatives).toBe(1);

    const sub = join(temp.dir, 'discarded');
    await mkdir(sub);
    const dropped = new TrainingFiles(sub, ['triplets', 'hard-negatives', 'distillation'], 2);
    await dropped.addQuery(query, selectTraining(query, 'relevance', { ...OPTIONS, negatives: 2 }));
    await dropped.discard();
    expect(await readdir(sub)).toEqual([]);
  });
});
