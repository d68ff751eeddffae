import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { Spool, type SpoolRecord } from '../../src/collect/spool.js';
import { labellingOf } from '../../src/options/labelling-settings.js';
import { DEFAULTS } from '../../src/options/option-table.js';
import { writeLabellingOutputs, type LabellingSummary } from '../../src/write/labelling-outputs.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

/**
 * The input, as written by hand (CRLF line breaks, quoting where needed and also where not):
 * - q1: d1..d4 scored; a repeat of (q1, d2) on line 9 (a duplicate);
 * - q2: e1, e2 scored; e3 with an empty document (never sent: score-lowest);
 * - a row with an empty doc id (rejected);
 * - q3: g1, g2 in a batch that failed for good.
 * Extra columns: `code` with leading zeros, `note` with commas, quotes, line breaks and empty cells,
 * `label` (graded, one row unlabelled).
 */
const CSV_ROWS = [
  'query_id,query,doc_id,document,label,code,note',
  'q1,"first, query",d1,alpha beta,2,007,"say ""hi"", then\r\nleave"',
  'q1,"first, query",d2,"beta",0,0010,',
  'q1,"first, query",d3,gamma,1,"12",plain',
  'q1,"first, query",d4,delta,,000,""',
  'q2,second,e1,one two,3,1.50,"multi\nline"',
  'q2,second,e2,two,1,-0,x',
  'q2,second,e3,,0,,',
  'q1,"first, query",d2,again,0,9,dup',
  'q2,second,,orphan,1,,no id',
  'q3,third,g1,failed one,1,1,',
  'q3,third,g2,failed two,0,2,',
];
const CSV = `${CSV_ROWS.join('\r\n')}\r\n`;

/** Scores of the batches the run collected. */
const SCORES: Record<string, number> = { d1: 0.9, d2: 0.2, d3: 0.6, d4: 0.4, e1: 0.8, e2: 0.1 };

function spoolRecords(): SpoolRecord[] {
  const item = (docId: string, rank: number): [string, number | null, number | null, number | null] => [docId, SCORES[docId] ?? null, null, rank];
  return [
    { t: 'ok', job: 'job-q1', q: 'q1', query: 'first, query', items: [item('d1', 1), item('d2', 2), item('d3', 3), item('d4', 4)], requests: 1, rateLimited: 0, attempts: 1 },
    { t: 'ok', job: 'job-q2', q: 'q2', query: 'second', items: [item('e1', 1), item('e2', 2), item('e3', 3)], requests: 1, rateLimited: 0, attempts: 1 },
    { t: 'fail', job: 'job-q3', q: 'q3', query: 'third', docs: [['g1', null, 1], ['g2', null, 2]], code: 'ERR_API_SERVER', errorClass: 'RetryableApiError', message: '500', attempts: 5 },
  ];
}

/** Data rows of the input, in order: 11 rows. */
const ROWS = 11;

async function setUp(name: string, inputName: string, content: string | Buffer): Promise<{ dir: string; input: string; spool: Spool }> {
  const tmp = await tempDir(`labelling-${name}`);
  cleanups.push(tmp.remove);
  const input = join(tmp.dir, inputName);
  await writeFile(input, content);
  const spool = await Spool.open(join(tmp.dir, 'out', '.rerank-batch', 'run.spool'));
  cleanups.push(async () => spool.close());
  await spool.append(spoolRecords());
  return { dir: join(tmp.dir, 'out'), input, spool };
}

const options = (overrides: Partial<Parameters<typeof labellingOf>[0]>): NonNullable<ReturnType<typeof labellingOf>> => {
  const settings = labellingOf({
    labelThresholds: undefined,
    labelTopK: undefined,
    exportTraining: undefined,
    reviewSample: undefined,
    calibrateThresholds: DEFAULTS.calibrateThresholds,
    negatives: DEFAULTS.negatives,
    negativeRanks: DEFAULTS.negativeRanks,
    negativeMargin: DEFAULTS.negativeMargin,
    positivesTop: DEFAULTS.positivesTop,
    scored: 'auto',
    ...overrides,
  });
  if (settings === undefined) throw new Error('no labelling settings');
  return settings;
};

async function labelled(
  name: string,
  inputName: string,
  content: string | Buffer,
  overrides: Partial<Parameters<typeof labellingOf>[0]> = {},
  expectedRows = ROWS,
): Promise<{ dir: string; summary: LabellingSummary; input: string }> {
  const { dir, input, spool } = await setUp(name, inputName, content);
  const summary = await writeLabellingOutputs(
    spool,
    { file: input, reader: { onBadRow: 'skip', onEmptyText: 'score-lowest' } },
    options(overrides),
    { outDir: dir, relLevel: 1, scoreRange: { min: 0.1, max: 0.9 }, expectedRows, complete: true },
  );
  return { dir, summary, input };
}

/** Records of a CSV/TSV text as csv-parse reads them: fields and the raw text (less its line break). */
function records(text: string, delimiter = ','): { fields: string[]; raw: string }[] {
  const parsed = parse(text, { delimiter, raw: true, relax_column_count: true }) as unknown as { record: string[]; raw: string }[];
  return parsed.map(({ record, raw }) => ({ fields: record, raw: raw.replace(/^[\r\n]+/, '').replace(/[\r\n]$/, '') }));
}

/** The added columns of each row, by name. */
function added(out: { fields: string[] }[], from: number): Record<string, string>[] {
  const header = out[0]?.fields ?? [];
  return out.slice(1).map((row) => Object.fromEntries(header.slice(from).map((name, i) => [name, row.fields[from + i] ?? ''])));
}

const EXPECTED_STATUS = ['scored', 'scored', 'scored', 'scored', 'scored', 'scored', 'not_sent', 'duplicate', 'rejected', 'failed', 'failed'];

describe('scored.csv from a CSV input', () => {
  it('has every input row in order, each record byte for byte, then score, rank, original_rank and status', async () => {
    const { dir, summary } = await labelled('csv', 'rows.csv', CSV);
    const text = await readFile(join(dir, 'scored.csv'), 'latin1');
    const inputRecords = records(CSV);
    const outRecords = records(text);
    expect(outRecords).toHaveLength(inputRecords.length);
    // The header and every record start with the input's own bytes, then a comma and the added cells.
    for (let i = 0; i < inputRecords.length; i++) {
      const source = inputRecords[i]?.raw ?? '';
      expect(outRecords[i]?.raw.startsWith(`${source},`), `record ${i}`).toBe(true);
    }
    // CRLF as the input has it.
    expect(text.split('\r\n')[0]).toBe('query_id,query,doc_id,document,label,code,note,score,rank,original_rank,status,error_code');
    const cells = added(outRecords, 7);
    expect(cells.map((c) => c.status)).toEqual(EXPECTED_STATUS);
    expect(cells.slice(0, 4).map((c) => [c.score, c.rank])).toEqual([['0.9', '1'], ['0.2', '4'], ['0.6', '2'], ['0.4', '3']]);
    // e3 was never sent: ranked last, no score.
    expect(cells[6]).toMatchObject({ score: '', rank: '3', status: 'not_sent' });
    expect(cells[8]).toMatchObject({ status: 'rejected', error_code: 'ERR_INPUT_EMPTY_ID', score: '', rank: '' });
    expect(cells[9]).toMatchObject({ status: 'failed', error_code: 'ERR_API_SERVER', score: '', original_rank: '1' });
    expect(summary.rows).toBe(ROWS);
    expect(summary.byStatus).toEqual({ scored: 6, not_sent: 1, failed: 2, missing: 0, rejected: 1, duplicate: 1 });
    expect(summary.files).toEqual(['scored.csv']);
  });

  it('a column of the input named like an added one keeps its name; the added one gets rerank_', async () => {
    const renamed = CSV.replace('label,code,note', 'label,score,status');
    const { dir } = await labelled('names', 'rows.csv', renamed);
    const header = (await readFile(join(dir, 'scored.csv'), 'utf8')).split('\r\n')[0];
    expect(header).toBe('query_id,query,doc_id,document,label,score,status,rerank_score,rank,original_rank,rerank_status,error_code');
  });
});

describe('other input formats', () => {
  const tsv = (): string =>
    `${records(CSV)
      .map(({ fields }) => fields.map((f) => f.replace(/[\t\r\n]/g, ' ')).join('\t'))
      .join('\n')}\n`;

  it('TSV: records passed through, tab-separated added cells', async () => {
    const input = tsv();
    const { dir } = await labelled('tsv', 'rows.tsv', input);
    const out = await readFile(join(dir, 'scored.tsv'), 'utf8');
    const lines = out.trimEnd().split('\n');
    const inLines = input.trimEnd().split('\n');
    expect(lines).toHaveLength(inLines.length);
    lines.forEach((line, i) => expect(line.startsWith(`${inLines[i] ?? ''}\t`)).toBe(true));
    expect(lines.slice(1).map((line) => line.split('\t')[10])).toEqual(EXPECTED_STATUS);
  });

  it('gzip in, gzip out: scored.csv.gz and scored.jsonl.gz hold the same bytes as the plain ones', async () => {
    const plain = await labelled('plain', 'rows.csv', CSV);
    const zipped = await labelled('gz', 'rows.csv.gz', gzipSync(CSV));
    expect(zipped.summary.files).toEqual(['scored.csv.gz']);
    expect(gunzipSync(await readFile(join(zipped.dir, 'scored.csv.gz')))).toEqual(await readFile(join(plain.dir, 'scored.csv')));
    const jsonl = `${records(CSV)
      .slice(1)
      .map(({ fields }) => JSON.stringify({ query_id: fields[0], query: fields[1], doc_id: fields[2], document: fields[3], code: fields[5] }))
      .join('\n')}\n`;
    const plainJsonl = await labelled('plain-jsonl', 'rows.jsonl', jsonl);
    const zippedJsonl = await labelled('gz-jsonl', 'rows.jsonl.gz', gzipSync(jsonl));
    expect(zippedJsonl.summary.files).toEqual(['scored.jsonl.gz']);
    expect(gunzipSync(await readFile(join(zippedJsonl.dir, 'scored.jsonl.gz')))).toEqual(await readFile(join(plainJsonl.dir, 'scored.jsonl')));
  });

  it('JSONL: each line as written with the added keys inside its object; a line that is no object under "raw"', async () => {
    const lines = records(CSV)
      .slice(1)
      .map(({ fields }) => {
        const [queryId, query, docId, document, label, code, note] = fields;
        // Ids and the code as written, the label a number (with its digits), keys in another order, spaces kept.
        return `{ "doc_id": ${JSON.stringify(docId)}, "query_id": ${JSON.stringify(queryId)}, "query": ${JSON.stringify(query)}, "document": ${JSON.stringify(document)}, "label": ${label === '' ? 'null' : `${label}.0`}, "code": ${JSON.stringify(code)}, "note": ${JSON.stringify(note)} }`;
      });
    lines.splice(3, 0, '[1, 2]');
    const input = `${lines.join('\n')}\n`;
    const { dir, summary } = await labelled('jsonl', 'rows.jsonl', input, {}, ROWS + 1);
    expect(summary.rows).toBe(ROWS + 1);
    const out = (await readFile(join(dir, 'scored.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(out).toHaveLength(lines.length);
    out.forEach((line, i) => {
      const source = lines[i] ?? '';
      if (source.startsWith('{')) expect(line.startsWith(source.slice(0, source.lastIndexOf('}')))).toBe(true);
    });
    const parsed = out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[3]).toMatchObject({ raw: '[1, 2]', status: 'rejected', error_code: 'ERR_INPUT_JSON' });
    expect(parsed[0]).toMatchObject({ doc_id: 'd1', code: '007', score: 0.9, rank: 1, status: 'scored', error_code: null });
  });

  it('CSV to JSONL and JSONL to CSV convert values without reinterpreting them', async () => {
    const { dir } = await labelled('both', 'rows.csv', CSV, { scored: 'both' });
    const jsonl = (await readFile(join(dir, 'scored.jsonl'), 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const inputRows = records(CSV);
    const header = inputRows[0]?.fields ?? [];
    jsonl.forEach((object, i) => {
      for (const [j, name] of header.entries()) expect(object[name], `${i}.${name}`).toBe(inputRows[i + 1]?.fields[j]);
    });
    expect(jsonl[1]).toMatchObject({ code: '0010', note: '', status: 'scored' });

    const input = '{"query_id":"q1","query":"first, query","doc_id":"d1","document":"alpha","label":2.50,"n":{"a":[1]}}\n{"query_id":"q1","query":"first, query","doc_id":"d2","document":"b","label":null,"extra":true}\n';
    const back = await labelled('to-csv', 'rows.jsonl', input, { scored: 'csv' }, 2);
    const rows = parse(await readFile(join(back.dir, 'scored.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({ doc_id: 'd1', label: '2.50', n: '{"a":[1]}', score: '0.9', status: 'scored' });
    expect(rows[1]).toMatchObject({ doc_id: 'd2', label: '', n: '', status: 'scored' });
    expect(back.summary.keysLeftOut).toEqual(['extra']);
  }, 20_000);
});

describe('labels, agreement and the training and review files', () => {
  it('thresholds give label_pred and labels.qrels for scored rows; agreement with the label column', async () => {
    const { dir, summary } = await labelled('labels', 'rows.csv', CSV, { labelThresholds: ['0.3,0.7'] });
    const rows = parse(await readFile(join(dir, 'scored.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    // 0.9 -> 2, 0.2 -> 0, 0.6 -> 1, 0.4 -> 1, 0.8 -> 2, 0.1 -> 0; no label for rows without a score.
    expect(rows.map((r) => r.label_pred)).toEqual(['2', '0', '1', '1', '2', '0', '', '', '', '', '']);
    expect(await readFile(join(dir, 'labels.qrels'), 'utf8')).toBe('q1 0 d1 2\nq1 0 d2 0\nq1 0 d3 1\nq1 0 d4 1\nq2 0 e1 2\nq2 0 e2 0\n');
    // Labelled scored rows: (0.9,2) (0.2,0) (0.6,1) (0.8,3) (0.1,1); d4 has no label.
    expect(summary.agreement?.pairs).toBe(5);
    // Predicted 2,0,1,2,0 against given 2,0,1,3,1: agreement on 3 of 5.
    expect(summary.agreement?.confusion?.counts.flat().reduce((a, b) => a + b, 0)).toBe(5);
    expect(summary.labelled).toBe(6);
  });

  it('--calibrate-thresholds picks thresholds from the label column; none there is ERR_LABELS_MISSING', async () => {
    const { summary } = await labelled('calibrate', 'rows.csv', CSV, { calibrateThresholds: true });
    expect(summary.calibration?.labels).toEqual([0, 1, 2, 3]);
    expect(summary.rule).toEqual({ kind: 'thresholds', thresholds: summary.calibration?.thresholds, labels: [0, 1, 2, 3] });
    const unlabelled = CSV.replace('label,code', 'grade,code');
    await expect(labelled('no-labels', 'rows.csv', unlabelled, { calibrateThresholds: true })).rejects.toMatchObject({ code: 'ERR_LABELS_MISSING' });
  });

  it('training files and review.csv are written from the scored rows', async () => {
    const { dir, summary } = await labelled('training', 'rows.csv', CSV, { exportTraining: ['triplets'], negativeMargin: 0.1, reviewSample: 4 });
    // Positives from the label column (>= 1): d1, d3, e1, e2; negatives: label 0 or unlabelled, 0.1 below.
    const triplets = (await readFile(join(dir, 'triplets.ids.jsonl'), 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(triplets).toEqual([
      { query_id: 'q1', positive_id: 'd1', negative_id: 'd4' },
      { query_id: 'q1', positive_id: 'd1', negative_id: 'd2' },
      { query_id: 'q1', positive_id: 'd3', negative_id: 'd4' },
      { query_id: 'q1', positive_id: 'd3', negative_id: 'd2' },
    ]);
    expect(summary.training?.positiveSource).toBe('relevance');
    const review = parse(await readFile(join(dir, 'review.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(review).toHaveLength(4);
    expect(summary.reviewRows).toBe(4);
    expect(summary.files).toEqual(['scored.csv', 'triplets.jsonl', 'triplets.ids.jsonl', 'review.csv']);
  });
});

describe('the check of the rows against the run', () => {
  it('a row count that differs from what the run read is ERR_OUTPUT_VERIFY, and nothing is written', async () => {
    const { dir, input, spool } = await setUp('verify', 'rows.csv', CSV);
    await expect(
      writeLabellingOutputs(spool, { file: input, reader: { onBadRow: 'skip', onEmptyText: 'score-lowest' } }, options({}), { outDir: dir, relLevel: 1, expectedRows: ROWS + 1, complete: true }),
    ).rejects.toMatchObject({ code: 'ERR_OUTPUT_VERIFY' });
    await expect(readFile(join(dir, 'scored.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('another file than the run read is ERR_INPUT_CHANGED', async () => {
    const { dir, input, spool } = await setUp('changed', 'rows.csv', CSV);
    await expect(
      writeLabellingOutputs(spool, { file: input, reader: {}, sha256: '0'.repeat(64) }, options({}), { outDir: dir, relLevel: 1, complete: true }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_CHANGED' });
  });
});
