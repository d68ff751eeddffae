import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runQueueName } from '../../jobs/names.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/dashboard.js';
import { openExistingRun } from '../../src/orchestrate/open-run.js';
import { run } from '../../src/orchestrate/run-pipeline.js';
import { submit } from '../../src/orchestrate/submit.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { chromiumAvailable, launchChromium, statusOf, writePairs, type PairRow } from './helpers.js';

const cleanups = cleanupAfterAll();

/** The query the API refuses (422, never retried): its two batches fail for good. */
const POISONED_QUERY = 'poisoned turbulence question';
const FINISHED_ROWS: PairRow[] = [
  ...['alpha', 'beta', 'gamma', 'delta'].map((w, i) => ({ queryId: 'q1', query: 'solar wind measurements', docId: `d1${i}`, text: `solar wind ${w} kestrel lantern report` })),
  ...['alpha', 'beta', 'gamma', 'delta'].map((w, i) => ({ queryId: 'q2', query: 'gravity waves detection', docId: `d2${i}`, text: `gravity ${w} waves marmoset ledger` })),
  ...['umber', 'ochre', 'sienna'].map((w, i) => ({ queryId: 'q3', query: POISONED_QUERY, docId: `d3${i}`, text: `turbulence ${w} quokka harpsichord passage` })),
];
const FAILED_TEXTS = FINISHED_ROWS.filter((r) => r.queryId === 'q3').map((r) => r.text);
const WAITING_ROWS: PairRow[] = ['one', 'two', 'three'].map((w, i) => ({ queryId: 'w1', query: 'boundary layer transition', docId: `w${i}`, text: `boundary ${w} layer okapi sundial` }));

describe.runIf(chromiumAvailable())('dashboard in headless Chromium', () => {
  const prefix = uniquePrefix('dashboard-ui');
  let dashboard: RunningDashboard;
  let browser: Browser;
  let finishedRun: string;
  let waitingRun: string;
  let dir: string;

  beforeAll(async () => {
    const tmp = await tempDir('dashboard-ui');
    dir = tmp.dir;
    cleanups.push(tmp.remove);
    cleanups.push(() => deletePrefix(redisUrl(), prefix));
    const server = await startRerankServer({ failQueriesMatching: /poisoned/, failQueriesStatus: 422 });
    cleanups.push(() => server.close());
    const { logger } = captureLogs('warn');
    const common = { redis: redisUrl(), prefix, apiUrl: server.url, maxDocsPerRequest: 2 };
    // A finished run with failed batches, and a submitted one no worker has taken yet.
    const finished = await run({ ...common, input: await writePairs(tmp.dir, 'finished.csv', FINISHED_ROWS), out: join(tmp.dir, 'out'), concurrency: 2 }, { logger });
    expect(finished.outcome).toBe('failures');
    finishedRun = finished.runId;
    waitingRun = (await submit({ ...common, input: await writePairs(tmp.dir, 'waiting.csv', WAITING_ROWS) }, { logger })).runId;

    dashboard = await startDashboard({ redis: redisUrl(), prefix, port: 0 }, { logger });
    cleanups.push(() => dashboard.close());
    browser = await launchChromium();
    cleanups.push(() => browser.close());
  });

  it('lists every run with the progress `status` reports', async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.locator(`tr[data-run="${waitingRun}"]`).waitFor();
    await page.locator(`tr[data-run="${finishedRun}"]`).waitFor();
    for (const runId of [finishedRun, waitingRun]) {
      const report = await statusOf(runId, prefix);
      const row = page.locator(`tr[data-run="${runId}"]`);
      const text = async (field: string): Promise<string> => (await row.locator(`td[data-field="${field}"]`).innerText()).trim();
      expect(await text('run')).toBe(runId);
      expect(await text('status')).toBe(report.status);
      expect(await text('model')).toBe(`${report.provider} / ${report.model ?? "(the server's)"}`);
      expect(await text('pairs')).toBe(`${report.pairsCollected} / ${report.pairs}`);
      expect(await text('failed')).toBe(String(report.batches.failed));
      expect(await text('requests')).toBe(String(report.apiRequests));
      expect(await text('retries')).toBe(String(report.retries));
      expect(await text('rateLimited')).toBe(String(report.rateLimited));
      expect(await row.locator('progress').getAttribute('max')).toBe(String(report.pairs));
      expect(await row.locator('td[data-field="run"] a').getAttribute('href')).toBe(`/queues/queue/${runQueueName(runId)}`);
    }
    // The page reads the runs again by itself: a run submitted now appears without a reload.
    const common = { redis: redisUrl(), prefix, apiUrl: 'http://127.0.0.1:9/rerank' };
    const later = await submit({ ...common, input: await writePairs(dir, 'later.csv', WAITING_ROWS.slice(0, 1)) }, { logger: captureLogs('warn').logger });
    await page.locator(`tr[data-run="${later.runId}"] td[data-field="pairs"]`).filter({ hasText: '0 / 1' }).waitFor({ timeout: 10_000 });

    const finished = await statusOf(finishedRun, prefix);
    expect(finished).toMatchObject({ status: 'completed', pairs: 11, pairsCollected: 8, batches: { failed: 2 } });
    const waiting = await statusOf(waitingRun, prefix);
    expect(waiting).toMatchObject({ status: 'running', pairs: 3, pairsCollected: 0, batches: { waiting: 2 } });
    await page.close();
  });

  it("renders Bull Board with the runs' queues, and a failed batch's error and attempts without its texts", async () => {
    const page = await browser.newPage();
    // Bull Board's page names a Google web font; the dashboard's CSP keeps the browser from fetching it.
    const outside: string[] = [];
    page.on('requestfinished', (request) => {
      if (!request.url().startsWith(dashboard.url)) outside.push(request.url());
    });
    page.on('requestfailed', (request) => {
      if (!request.url().startsWith(dashboard.url) && request.failure()?.errorText !== 'csp') outside.push(request.url());
    });
    await page.goto(`${dashboard.url}queues/`);
    await page.getByText(runQueueName(finishedRun)).first().waitFor();
    await page.getByText(runQueueName(waitingRun)).first().waitFor();

    const handle = await openExistingRun(finishedRun, { url: redisUrl() }, prefix, captureLogs('warn').logger);
    const failed = await handle.queue.getFailed().finally(() => handle.close());
    expect(failed).toHaveLength(2);
    const job = failed.find((j) => j.data.docs.length === 2);
    expect(job?.id).toBeDefined();
    await page.goto(`${dashboard.url}queues/queue/${runQueueName(finishedRun)}/${job?.id}`);
    await page.getByText(/query refused \(status 422\)/).first().waitFor();
    const errorTab = await page.locator('body').innerText();
    expect(errorTab).toMatch(/ERR_API_UNPROCESSABLE PermanentApiError\] rerank API answered HTTP 422/);
    expect(errorTab).toContain('rerank: query q3, 2 documents, 1 of 5 attempts made');
    await page.getByText('Data', { exact: true }).click();
    await page.getByText(/batchSize:\s*2/).first().waitFor();
    const dataTab = await page.locator('body').innerText();
    expect(dataTab).toMatch(/docIds:\s*\[\s*"d30",\s*"d31"\s*\]/);
    for (const body of [errorTab, dataTab, await page.content()]) {
      for (const text of FAILED_TEXTS) expect(body).not.toContain(text);
      expect(body).not.toContain(POISONED_QUERY);
    }
    expect(outside).toEqual([]);
    await page.close();
  });
});
