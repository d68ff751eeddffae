import { join } from 'node:path';
import type { LabelledCandidate } from '../label/labelled-candidate.js';
import type { TrainingExample, TrainingFormat } from '../label/training-selection.js';
import { LineWriter } from './line-writer.js';

export type { TrainingFormat };

/** A training file and its line-aligned sibling: line i of `ids` holds the ids of line i of `data`. */
export interface TrainingFile {
  readonly data: string;
  readonly ids: string;
}

const TRIPLETS: TrainingFile = { data: 'triplets.jsonl', ids: 'triplets.ids.jsonl' };
const HARD_NEGATIVES: TrainingFile = { data: 'hard-negatives.jsonl', ids: 'hard-negatives.ids.jsonl' };
const DISTILLATION: TrainingFile = { data: 'distillation.jsonl', ids: 'distillation.ids.jsonl' };
const LISTWISE: TrainingFile = { data: 'distillation.listwise.jsonl', ids: 'distillation.listwise.ids.jsonl' };

/**
 * File names inside --out, per format. The data files hold texts only, so `datasets.load_dataset("json",
 * ...)` gives sentence-transformers exactly its input columns; the ids are in the `ids` siblings.
 * - triplets: `{query, positive, negative}`, one line per (positive, negative);
 *   ids `{query_id, positive_id, negative_id}`.
 * - hard-negatives: `{query, positive, negative_1, ..., negative_N}` (sentence-transformers' n-tuples), only
 *   for positives with exactly N negatives; ids `{query_id, positive_id, negative_ids}`.
 * - distillation: `{query, document, score}` for every candidate, ids `{query_id, doc_id}`; and listwise
 *   `{query, docs, labels}` (sentence-transformers' CrossEncoder listwise format, labels the scores), one line
 *   per query in rank order, ids `{query_id, doc_ids}`.
 */
export const TRAINING_FILES: Readonly<Record<TrainingFormat, readonly TrainingFile[]>> = {
  triplets: [TRIPLETS],
  'hard-negatives': [HARD_NEGATIVES],
  distillation: [DISTILLATION, LISTWISE],
};

/** One query's lines of a data file and of its ids sibling, built together so they stay aligned. */
class Lines {
  data = '';
  ids = '';
  rows = 0;

  add(data: object, ids: object): void {
    this.data += `${JSON.stringify(data)}\n`;
    this.ids += `${JSON.stringify(ids)}\n`;
    this.rows += 1;
  }
}

/** The writers of a data file and its ids sibling. */
interface Sink {
  file: TrainingFile;
  data: LineWriter;
  ids: LineWriter;
  rows: number;
}

/**
 * Writes the training files of the formats asked (and no others), one query at a time, each through a
 * LineWriter: `commit()` publishes them all, `discard()` drops them all. A failed commit discards the files
 * not yet published.
 */
export class TrainingFiles {
  private readonly sinks = new Map<string, Sink>();
  private tooFewNegatives = 0;

  constructor(
    outDir: string,
    formats: readonly TrainingFormat[],
    private readonly negatives: number,
  ) {
    for (const format of new Set(formats)) {
      for (const file of TRAINING_FILES[format]) {
        this.sinks.set(file.data, { file, data: new LineWriter(join(outDir, file.data)), ids: new LineWriter(join(outDir, file.ids)), rows: 0 });
      }
    }
  }

  /**
   * One query: its scored candidates (rank ascending) and the examples selectTraining chose for it. A
   * positive with fewer than `negatives` negatives is left out of hard-negatives.jsonl (and counted); one
   * with more has its first `negatives` there.
   */
  async addQuery(candidates: readonly LabelledCandidate[], examples: readonly TrainingExample[]): Promise<void> {
    const [triplets, hardNegatives, distillation, listwise] = [TRIPLETS, HARD_NEGATIVES, DISTILLATION, LISTWISE].map((file) => this.sinks.get(file.data));
    if (triplets !== undefined) {
      const lines = new Lines();
      for (const { positive, negatives } of examples) {
        for (const negative of negatives) {
          lines.add(
            { query: positive.query, positive: positive.document, negative: negative.document },
            { query_id: positive.queryId, positive_id: positive.docId, negative_id: negative.docId },
          );
        }
      }
      await write(triplets, lines);
    }
    if (hardNegatives !== undefined) {
      const lines = new Lines();
      for (const { positive, negatives } of examples) {
        // An n-tuple file needs the same N on every line.
        if (negatives.length < this.negatives) {
          this.tooFewNegatives += 1;
          continue;
        }
        const hardest = negatives.slice(0, this.negatives);
        const row: Record<string, string> = { query: positive.query, positive: positive.document };
        hardest.forEach((negative, i) => {
          row[`negative_${i + 1}`] = negative.document;
        });
        lines.add(row, { query_id: positive.queryId, positive_id: positive.docId, negative_ids: hardest.map((negative) => negative.docId) });
      }
      await write(hardNegatives, lines);
    }
    if (distillation !== undefined) {
      const lines = new Lines();
      for (const candidate of candidates) {
        lines.add({ query: candidate.query, document: candidate.document, score: candidate.score }, { query_id: candidate.queryId, doc_id: candidate.docId });
      }
      await write(distillation, lines);
    }
    const first = candidates[0];
    if (listwise !== undefined && first !== undefined) {
      const lines = new Lines();
      lines.add(
        { query: first.query, docs: candidates.map((candidate) => candidate.document), labels: candidates.map((candidate) => candidate.score) },
        { query_id: first.queryId, doc_ids: candidates.map((candidate) => candidate.docId) },
      );
      await write(listwise, lines);
    }
  }

  /** Make every file durable under its real name (see LineWriter). */
  async commit(): Promise<void> {
    try {
      for (const sink of this.sinks.values()) {
        await sink.data.commit();
        await sink.ids.commit();
      }
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Drop the files not yet published (best effort). */
  async discard(): Promise<void> {
    await Promise.all([...this.sinks.values()].flatMap((sink) => [sink.data.discard(), sink.ids.discard()]));
  }

  /**
   * Rows written per file (data files and ids siblings alike), and positives left out of
   * hard-negatives.jsonl for having fewer than `negatives` negatives (0 when that format is not written).
   */
  counts(): { files: Record<string, number>; positivesWithTooFewNegatives: number } {
    const files: Record<string, number> = {};
    for (const { file, rows } of this.sinks.values()) {
      files[file.data] = rows;
      files[file.ids] = rows;
    }
    return { files, positivesWithTooFewNegatives: this.tooFewNegatives };
  }
}

async function write(sink: Sink, lines: Lines): Promise<void> {
  if (lines.rows === 0) return;
  await sink.data.write(lines.data);
  await sink.ids.write(lines.ids);
  sink.rows += lines.rows;
}
