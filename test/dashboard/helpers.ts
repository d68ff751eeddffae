import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { runStatus, type RunStatusReport } from '../../src/collect/run-status.js';
import { openExistingRun } from '../../src/orchestrate/open-run.js';
import { captureLogs } from '../helpers/log-capture.js';
import { redisUrl } from '../helpers/redis.js';

/** The Chromium the browser tests drive (Debian's by default). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether to run the browser tests: without Chromium they fail in CI and are skipped (with a message) elsewhere. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(`no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH): the dashboard's browser tests must run in CI`);
  console.warn(`[dashboard] skipping the browser tests: no Chromium at ${CHROMIUM_PATH} (install chromium or set CHROMIUM_PATH)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface PairRow {
  queryId: string;
  query: string;
  docId: string;
  text: string;
}

/** Write rows as a pairs CSV (texts without commas or quotes). */
export async function writePairs(dir: string, name: string, rows: PairRow[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `query_id,query,doc_id,document\n${rows.map((r) => `${r.queryId},${r.query},${r.docId},${r.text}`).join('\n')}\n`);
  return file;
}

/** `status`'s report of a run, read as the command reads it. */
export async function statusOf(runId: string, prefix: string): Promise<RunStatusReport> {
  const handle = await openExistingRun(runId, { url: redisUrl() }, prefix, captureLogs('warn').logger);
  try {
    return await runStatus(handle);
  } finally {
    await handle.close();
  }
}
