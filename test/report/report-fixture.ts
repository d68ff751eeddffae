import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import type { RunOptions } from '../../src/options/run-options.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { captureLogs } from '../helpers/log-capture.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

// Relative to the repository (vitest's working directory), as a user types them: they show in the page,
// and so in docs/report.png.
export const PAIRS = relative(process.cwd(), join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz'));
export const QRELS = relative(process.cwd(), join(repoRoot, 'examples', 'cranfield', 'qrels.trec'));

/** A query id and texts that would be markup if the page did not escape them. */
export const NASTY_QUERY_ID = '<b>q&1</b>';
export const NASTY_DOC_ID = '<img/src=x>';

/** Queries 111, 185, 190 and 191 mention panel flutter, and so does the nasty query: the API refuses them (422). */
const POISON = /panel flutter/;

export interface ReportRuns {
  /** The bundled Cranfield example with its qrels, through the built-in server: every pair scored. */
  full: string;
  /** Cranfield plus a bad row (skipped) and the nasty query; some batches refused; its qrels deleted after the run. */
  faulty: string;
  /** Cranfield without qrels: no metrics. */
  noQrels: string;
  /** The temporary directory holding them. */
  root: string;
  remove: () => Promise<void>;
}

async function runInto(out: string, options: Partial<RunOptions>, env: NodeJS.ProcessEnv): Promise<string> {
  const prefix = uniquePrefix('report');
  const { logger } = captureLogs('warn');
  try {
    const report = await runPipeline({ input: PAIRS, out, redis: redisUrl(), prefix, concurrency: 8, ...options }, { logger, env });
    return report.outcome;
  } finally {
    await deletePrefix(redisUrl(), prefix);
  }
}

/** The three runs the report tests read (about 5 seconds in all). */
export async function makeReportRuns(): Promise<ReportRuns> {
  const tmp = await tempDir('report');
  const builtin = { ...process.env, RERANK_API_URL: '' };
  const full = join(tmp.dir, 'full');
  const faulty = join(tmp.dir, 'faulty');
  const noQrels = join(tmp.dir, 'no-qrels');

  if ((await runInto(full, { qrels: QRELS }, builtin)) !== 'complete') throw new Error('the full run did not complete');
  if ((await runInto(noQrels, {}, builtin)) !== 'complete') throw new Error('the run without qrels did not complete');

  const csv = gunzipSync(await readFile(PAIRS)).toString('utf8');
  const extra = [
    // A bad row: no doc_id.
    'bad1,a query with a bad row,,some document,1.5,1',
    ...['1', '2'].map((n) => `"${NASTY_QUERY_ID}","<script>document.title='pwned'</script> panel flutter & <i>more</i>","${NASTY_DOC_ID}${n}","doc <u>${n}</u>",${3 - Number(n)},${n}`),
  ];
  const pairs = join(tmp.dir, 'pairs.csv');
  // The same line ending as the file's: csv-parse takes the first line's for every record.
  const eol = csv.includes('\r\n') ? '\r\n' : '\n';
  await writeFile(pairs, `${csv.trimEnd()}${eol}${extra.join(eol)}${eol}`);
  const qrels = join(tmp.dir, 'qrels-copy.trec');
  await copyFile(QRELS, qrels);
  const server = await startRerankServer({ failQueriesMatching: POISON, failQueriesStatus: 422 });
  try {
    const outcome = await runInto(faulty, { input: pairs, qrels, onBadRow: 'skip', apiUrl: server.url }, { ...process.env, RERANK_API_KEY: 'report-test' });
    if (outcome !== 'failures') throw new Error(`the faulty run ended ${outcome}`);
  } finally {
    await server.close();
  }
  await rm(qrels);
  return { full, faulty, noQrels, root: tmp.dir, remove: tmp.remove };
}
