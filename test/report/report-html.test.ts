import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatFixed, isCountMeasure } from '../../src/evaluate/index.js';
import { escapeHtml } from '../../src/report/html-escape.js';
import { MAIN_MEASURES } from '../../src/report/report-data.js';
import { writeReport } from '../../src/report/write-report.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { makeReportRuns, NASTY_DOC_ID, NASTY_QUERY_ID, type ReportRuns } from './report-fixture.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
if (!hasChromium) console.warn(`report.html browser tests skipped: no Chromium at ${chromiumPath} (install Debian's chromium, or set CHROMIUM_PATH)`);

const cleanups = cleanupAfterAll();

const comparisonSchema = z.object({ baseline: z.number(), reranked: z.number(), delta: z.number(), p_value: z.number().nullable(), ci95_low: z.number().nullable(), ci95_high: z.number().nullable() });
const metricsSchema = z.object({ reranked: z.record(z.string(), z.number()), baseline: z.record(z.string(), z.number()), comparison: z.record(z.string(), comparisonSchema) });
type Metrics = z.infer<typeof metricsSchema>;

const cellsSchema = z.array(z.object({ measure: z.string(), field: z.string(), value: z.string(), text: z.string() }));
const boxesSchema = z.record(z.string(), z.object({ marks: z.number(), drawn: z.number(), width: z.number(), height: z.number() }));

/** Each chart: how many marks, how many with a non-empty box, and the chart's own box. */
const CHART_BOXES = `(() => {
  const out = {};
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const marks = [...svg.querySelectorAll('.mark')];
    const box = svg.getBoundingClientRect();
    out[svg.dataset.chart] = { marks: marks.length, drawn: marks.filter((m) => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length, width: box.width, height: box.height };
  }
  return out;
})()`;

const METRIC_CELLS = `[...document.querySelectorAll('[data-measure][data-field]')].map((e) => ({ measure: e.dataset.measure, field: e.dataset.field, value: e.dataset.value, text: e.textContent }))`;

/** What a page did while loading: every request, console error and uncaught error. */
interface Opened {
  page: Page;
  requests: string[];
  errors: string[];
}

async function readMetrics(outDir: string): Promise<Metrics> {
  return metricsSchema.parse(JSON.parse(await readFile(join(outDir, 'metrics.json'), 'utf8')));
}

let runs: ReportRuns;
beforeAll(async () => {
  runs = await makeReportRuns();
  cleanups.push(runs.remove);
  await writeReport(runs.full);
  await writeReport(runs.faulty);
  await writeReport(runs.noQrels);
}, 120_000);

describe('report.html', () => {
  it('is one self-contained file: no URL it could load, no script, every text from the data escaped', async () => {
    for (const dir of [runs.full, runs.faulty, runs.noQrels]) {
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      expect(/\s(?:src|href|srcset|action|formaction|poster|background|xlink:href)\s*=/i.test(html), 'an attribute that loads or links').toBe(false);
      expect(/url\(|@import|<script|<link|<iframe|<object|<embed/i.test(html), 'an element or style that loads').toBe(false);
      // URLs of the run's settings (the API, Redis) are text of the page, never in an attribute or the styles.
      expect(/=\s*"[^"]*:\/\//.test(html), 'a URL in an attribute').toBe(false);
      expect(/<style>[^<]*:\/\//.test(html), 'a URL in the styles').toBe(false);
    }
    const faulty = await readFile(join(runs.faulty, 'report.html'), 'utf8');
    expect(faulty.includes(escapeHtml(NASTY_QUERY_ID)), 'the escaped query id').toBe(true);
    expect(faulty.includes(escapeHtml(`${NASTY_DOC_ID}1`)), 'the escaped doc id').toBe(true);
    expect(faulty.includes(NASTY_QUERY_ID), 'the raw query id').toBe(false);
    expect(faulty.includes(NASTY_DOC_ID), 'the raw doc id').toBe(false);
  });

  it('holds the numbers of metrics.json at full precision, shown with 4 decimals', async () => {
    const html = await readFile(join(runs.full, 'report.html'), 'utf8');
    const metrics = await readMetrics(runs.full);
    for (const [measure, c] of Object.entries(metrics.comparison)) {
      for (const field of ['baseline', 'reranked', 'delta', 'ci95_low', 'ci95_high'] as const) {
        const value = c[field];
        expect(value).not.toBeNull();
        const cell = `data-measure="${measure}" data-field="${field}" data-value="${String(value)}">${formatFixed(value ?? 0, 4)}<`;
        expect(html.includes(cell), cell).toBe(true);
      }
    }
  });
});

describe('report command', () => {
  it('writes report.html for a run without qrels (summary, scores, no evaluation) and prints its path', async () => {
    const result = await runCli(['report', '--out', runs.noQrels]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${join(runs.noQrels, 'report.html')}\n`);
    const html = await readFile(join(runs.noQrels, 'report.html'), 'utf8');
    expect(html).toContain('No metrics.json');
    expect(html).toContain('data-chart="scores"');
    expect(html).not.toContain('data-chart="measures"');
    expect(html).not.toContain('data-measure=');
  });

  it('exits 2 with ERR_INPUT_FILE for a missing directory, and for a directory that holds no run', async () => {
    const missing = await runCli(['report', '--out', join(runs.root, 'missing')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error ERR_INPUT_FILE: .*missing: no such directory/);
    const empty = join(runs.root, 'empty');
    await mkdir(empty);
    const noRun = await runCli(['report', '--out', empty]);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/error ERR_INPUT_FILE: .*manifest\.json: no manifest\.json/);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  });
});

it.runIf(!hasChromium && process.env.CI !== undefined)('has Chromium to check report.html in (CI)', () => {
  throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium package or set CHROMIUM_PATH`);
});

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(outDir: string): Promise<Opened> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const opened: Opened = { page, requests: [], errors: [] };
    page.on('request', (request) => opened.requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') opened.errors.push(message.text());
    });
    page.on('pageerror', (error) => opened.errors.push(error.message));
    page.on('dialog', (dialog) => opened.errors.push(`dialog: ${dialog.message()}`));
    await page.goto(pathToFileURL(join(outDir, 'report.html')).href, { waitUntil: 'load' });
    return opened;
  }

  it('draws every chart, shows every measure as metrics.json has it, and loads nothing', async () => {
    const { page, requests, errors } = await open(runs.full);
    const boxes = boxesSchema.parse(await page.evaluate(CHART_BOXES));
    expect(Object.keys(boxes).sort()).toEqual(['deltas', 'measures', 'per-query', 'precision-recall', 'scores']);
    for (const [chart, box] of Object.entries(boxes)) {
      expect(box.width, chart).toBeGreaterThan(100);
      expect(box.height, chart).toBeGreaterThan(100);
      expect(box.drawn, chart).toBeGreaterThan(0);
    }
    expect(boxes['measures']?.drawn).toBe(2 * MAIN_MEASURES.length);
    expect(boxes['per-query']?.marks).toBe(225);
    // Two curves of 11 points, each a line and its dots.
    expect(boxes['precision-recall']?.marks).toBe(2 * 12);

    const metrics = await readMetrics(runs.full);
    const cells = cellsSchema.parse(await page.evaluate(METRIC_CELLS));
    const seen = new Set<string>();
    for (const cell of cells) {
      const c = metrics.comparison[cell.measure];
      const expected =
        cell.field === 'baseline' ? metrics.baseline[cell.measure] : cell.field === 'reranked' ? metrics.reranked[cell.measure] : c?.[cell.field as keyof typeof c];
      expect(expected, `${cell.measure} ${cell.field}`).toBeDefined();
      expect(cell.value === 'null' ? null : Number(cell.value), `${cell.measure} ${cell.field}`).toBe(expected);
      if (typeof expected === 'number') expect(cell.text, `${cell.measure} ${cell.field}`).toBe(isCountMeasure(cell.measure) ? String(expected) : formatFixed(expected, 4));
      seen.add(`${cell.measure} ${cell.field}`);
    }
    for (const measure of Object.keys(metrics.reranked)) {
      expect(seen.has(`${measure} reranked`), measure).toBe(true);
      expect(seen.has(`${measure} baseline`), measure).toBe(true);
    }
    for (const measure of Object.keys(metrics.comparison)) {
      for (const field of ['delta', 'ci95_low', 'ci95_high', 'p_value']) expect(seen.has(`${measure} ${field}`), `${measure} ${field}`).toBe(true);
    }
    const main = await page.locator('table[data-table="main-measures"] tbody tr th').allTextContents();
    expect(main).toEqual([...MAIN_MEASURES]);

    // The most improved and regressed queries: each with its text and the documents that moved.
    const improved = page.locator('[data-list="improved"] .query');
    const regressed = page.locator('[data-list="regressed"] .query');
    expect(await improved.count()).toBe(5);
    expect(await regressed.count()).toBe(5);
    expect(await regressed.first().locator('.query-text').textContent()).toMatch(/\w+/);
    expect(await regressed.first().locator('tbody tr').count()).toBeGreaterThanOrEqual(10);

    expect(requests).toEqual([pathToFileURL(join(runs.full, 'report.html')).href]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists failures and rejects, escapes the texts of the data, and says why the precision-recall chart is missing', async () => {
    const { page, requests, errors } = await open(runs.faulty);
    const failures = (await readFile(join(runs.faulty, 'failures.jsonl'), 'utf8')).trim().split('\n');
    const rejects = (await readFile(join(runs.faulty, 'rejects.jsonl'), 'utf8')).trim().split('\n');
    expect(failures).toHaveLength(5);
    expect(rejects).toHaveLength(1);
    expect(await page.locator('#failures [data-count]').getAttribute('data-count')).toBe(String(failures.length));
    expect(await page.locator('table[data-table="failures"] tbody tr').count()).toBe(failures.length);
    expect(await page.locator('#rejects [data-count]').getAttribute('data-count')).toBe('1');
    expect(await page.locator('table[data-table="rejects"] tbody tr').textContent()).toContain('ERR_INPUT_EMPTY_ID');

    // The nasty ids are text: no element made of them, and the title is untouched.
    const failureText = await page.locator('table[data-table="failures"]').textContent();
    expect(failureText).toContain(NASTY_QUERY_ID);
    expect(failureText).toContain(`${NASTY_DOC_ID}1`);
    expect(await page.locator('#failures b, #failures img').count()).toBe(0);
    expect(await page.title()).toMatch(/^rerank-batch report/);

    // The qrels copy was deleted after the run: no curves, and a note instead.
    expect(await page.locator('svg[data-chart="precision-recall"]').count()).toBe(0);
    expect(await page.locator('[data-note="precision-recall"]').textContent()).toMatch(/qrels-copy\.trec cannot be read any more/);
    const boxes = boxesSchema.parse(await page.evaluate(CHART_BOXES));
    for (const chart of ['measures', 'deltas', 'per-query', 'scores']) expect(boxes[chart]?.drawn, chart).toBeGreaterThan(0);

    expect(requests).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the score distribution of a run without qrels', async () => {
    const { page, requests, errors } = await open(runs.noQrels);
    const boxes = boxesSchema.parse(await page.evaluate(CHART_BOXES));
    expect(Object.keys(boxes)).toEqual(['scores']);
    expect(boxes['scores']?.drawn).toBeGreaterThan(10);
    expect(await page.locator('#summary').textContent()).toContain('4500');
    expect(requests).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it.runIf(process.env.UPDATE_SCREENSHOT === '1')('writes docs/report.png (UPDATE_SCREENSHOT=1)', async () => {
    const { page } = await open(runs.full);
    await mkdir(join(repoRoot, 'docs'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'docs', 'report.png'), clip: { x: 0, y: 0, width: 1200, height: 1400 } });
    await page.close();
  });
});
