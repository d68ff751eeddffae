import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { z } from 'zod';
import { InputError } from '../errors/input-error.js';
import { compareQueryIds } from '../write/ranking.js';
import { toInputError } from '../read/open-text-stream.js';

/** One query's value of one measure, before and after reranking. */
export interface QueryDelta {
  queryId: string;
  baseline: number;
  reranked: number;
  delta: number;
}

const rowSchema = z.object({ query_id: z.string(), measure: z.string(), baseline: z.string(), reranked: z.string(), delta: z.string() });

function numberField(text: string, file: string, line: number, field: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new InputError('ERR_INPUT_NUMBER', `expected a number, found "${text}"`, { file, line, field });
  return value;
}

/**
 * Streams metrics.perquery.csv and keeps `measure`'s rows of the queries that have a baseline (the others
 * have an empty baseline and delta), sorted by delta ascending, ties by query id: memory holds one number
 * triple per query, whatever the number of measures.
 * @throws InputError ERR_INPUT_FILE (unreadable), ERR_INPUT_CSV (not the CSV `writeMetrics` writes), ERR_INPUT_NUMBER.
 */
export async function readPerQueryDeltas(file: string, measure: string): Promise<QueryDelta[]> {
  const parser = parse({ columns: true, skip_empty_lines: true });
  pipeline(createReadStream(file, { encoding: 'utf8' }), parser, () => undefined);
  const deltas: QueryDelta[] = [];
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<unknown>) {
      line++;
      const row = rowSchema.safeParse(record);
      if (!row.success) throw new InputError('ERR_INPUT_CSV', 'expected the columns query_id,measure,baseline,reranked,delta', { file, line });
      const { query_id: queryId, baseline, reranked, delta } = row.data;
      if (row.data.measure !== measure || baseline === '') continue;
      deltas.push({
        queryId,
        baseline: numberField(baseline, file, line, 'baseline'),
        reranked: numberField(reranked, file, line, 'reranked'),
        delta: numberField(delta, file, line, 'delta'),
      });
    }
  } catch (err) {
    if (err instanceof CsvError) throw new InputError('ERR_INPUT_CSV', err.message, { file, line });
    throw toInputError(err, file);
  }
  return deltas.sort((a, b) => a.delta - b.delta || compareQueryIds(a.queryId, b.queryId));
}
