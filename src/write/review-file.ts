import { stringify } from 'csv-stringify/sync';
import { bandBounds, type ReviewRow, type ScoreBands } from '../label/review-sampler.js';
import { LineWriter } from './line-writer.js';

/** Which optional columns review.csv has. */
export interface ReviewColumns {
  /** A `label` column: the input's label. */
  hasLabel: boolean;
  /** A `label_pred` column: the predicted label. */
  hasPredicted: boolean;
}

/** An edge for reading: 12 significant digits (0.30000000000000004 reads 0.3), -inf and inf at the ends. */
function formatEdge(edge: number): string {
  if (edge === Number.NEGATIVE_INFINITY) return '-inf';
  if (edge === Number.POSITIVE_INFINITY) return 'inf';
  return String(Number(edge.toPrecision(12)));
}

/** A band as an interval, e.g. "[0.5, 0.8)", "(-inf, 0.5)", "[0.8, inf)". */
export function formatBand(bands: ScoreBands, band: number): string {
  const { lower, upper } = bandBounds(bands, band);
  return `${lower === Number.NEGATIVE_INFINITY ? '(' : '['}${formatEdge(lower)}, ${formatEdge(upper)})`;
}

/**
 * Write review.csv (RFC 4180 via csv-stringify, with a header row): band (0-based), score_range, query_id,
 * query, doc_id, document, score, rank, original_rank, then label and label_pred when asked, then empty
 * review_label and review_note columns for the reviewer. Atomic and durable (LineWriter).
 */
export async function writeReviewFile(path: string, sample: readonly { band: number; row: ReviewRow }[], bands: ScoreBands, columns: ReviewColumns): Promise<void> {
  const header = ['band', 'score_range', 'query_id', 'query', 'doc_id', 'document', 'score', 'rank', 'original_rank'];
  if (columns.hasLabel) header.push('label');
  if (columns.hasPredicted) header.push('label_pred');
  header.push('review_label', 'review_note');
  const records: string[][] = [header];
  for (const { band, row } of sample) {
    const { candidate } = row;
    const record = [String(band), formatBand(bands, band), candidate.queryId, candidate.query, candidate.docId, candidate.document, String(candidate.score), String(candidate.rank), optional(candidate.originalRank ?? undefined)];
    if (columns.hasLabel) record.push(optional(row.label));
    if (columns.hasPredicted) record.push(optional(candidate.predicted));
    record.push('', '');
    records.push(record);
  }
  const writer = new LineWriter(path);
  try {
    await writer.write(stringify(records));
    await writer.commit();
  } catch (err) {
    await writer.discard();
    throw err;
  }
}

const optional = (value: number | undefined): string => (value === undefined ? '' : String(value));
