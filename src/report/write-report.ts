import { join } from 'node:path';
import { writeFileAtomic } from '../write/line-writer.js';
import { OUTPUT_FILES } from '../write/write-outputs.js';
import { renderReportPage } from './html-page.js';
import { gatherReportData } from './report-data.js';

/**
 * Writes `report.html` into `outDir` from the outputs there (manifest.json required; metrics.json,
 * metrics.perquery.csv, ranked.jsonl, failures.jsonl, rejects.jsonl as present), atomically, and
 * returns its path. Memory is bounded whatever the run's size: ranked.jsonl and the CSV are streamed.
 * @throws InputError ERR_INPUT_FILE (no such directory, or no manifest.json in it), ERR_INPUT_JSON,
 *   ERR_INPUT_CSV, ERR_RUN_FORMAT (a malformed output); OutputError when report.html cannot be written.
 */
export async function writeReport(outDir: string): Promise<string> {
  const html = renderReportPage(await gatherReportData(outDir));
  const path = join(outDir, OUTPUT_FILES.report);
  await writeFileAtomic(path, html);
  return path;
}
