import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimate, type EstimateReport } from '../../src/orchestrate/estimate.js';
import { PROVIDERS, type ProviderName } from '../../src/rerank/providers/index.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { PAIRS } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

/** No Redis answers there: `estimate` must not need one. No API URL or key of the developer's either. */
const NO_REDIS_ENV = { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', RERANK_API_URL: '', RERANK_API_KEY: '' };

interface Manifest {
  provider: string;
  builtin_server: boolean;
  api_url: string;
  counts: Record<string, number>;
  planned: { requests: number; texts: number; billing_unit: string; billing_units: number; approx_tokens: number; characters: number };
}

/** The rows of the printed table: label -> value (labels and values are separated by two spaces or more). */
function tableRows(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of stdout.trimEnd().split('\n')) {
    const match = /^(\S(?:.*?\S)?)\s{2,}(\S.*)$/.exec(line);
    if (match === null) throw new Error(`not a table row: ${JSON.stringify(line)}`);
    rows.set(match[1] as string, match[2] as string);
  }
  return rows;
}

/** `1,234,567 (4 bytes each)` -> 1234567. */
function leadingNumber(text: string | undefined): number {
  const match = /^[\d,]+(\.\d+)?/.exec(text ?? '');
  if (match === null) throw new Error(`no number at the start of ${JSON.stringify(text)}`);
  return Number(match[0].replace(/,/g, ''));
}

function expectOk(result: CliResult): void {
  expect(result.code, result.stderr.slice(-2000)).toBe(0);
  // Nothing tried to reach the Redis that is not there.
  expect(result.stderr).not.toMatch(/ECONNREFUSED|redis/i);
}

interface Case {
  provider: ProviderName;
  /** Options of both the estimate and the run. */
  shape: string[];
  price: string;
  /** What the price multiplies, from the totals. */
  quantity: (totals: EstimateReport['totals']) => number;
}

const CASES: Case[] = [
  { provider: 'regolo', shape: [], price: '0.001/request', quantity: (t) => t.requests },
  // Passages of 10 words: ~745 texts a request (more than one search unit each), some queries over the
  // 1,000-text cap (two requests): units, requests and texts all differ.
  { provider: 'cohere', shape: ['--passages', '10,5'], price: '0.002/search-unit', quantity: (t) => t.units },
  { provider: 'voyage', shape: [], price: '0.05/1m-tokens', quantity: (t) => t.tokens / 1_000_000 },
];

describe('rerank-batch estimate, then the run it estimates', () => {
  it.each(CASES)('$provider $shape: the table, --json, the library and a real run agree', async ({ provider, shape, price, quantity }) => {
    const spec = PROVIDERS[provider];
    const base = ['estimate', '-i', PAIRS, '--provider', provider, ...shape];

    // --json, with the price.
    const json = await runCli([...base, '--price', price, '--json'], NO_REDIS_ENV);
    expectOk(json);
    const report = JSON.parse(json.stdout) as EstimateReport;
    expect(report.provider).toBe(provider);
    expect(report.model).toBe(spec.defaultModel ?? null);
    expect(report.billingUnit).toBe(spec.billing.unit);
    expect(report.limits.maxDocsPerRequest).toBe(spec.limits.maxDocsPerRequest);
    const { totals } = report;
    expect(totals.queries).toBe(225);
    expect(totals.pairs).toBe(4500);
    expect(totals.requests).toBeGreaterThanOrEqual(225);
    expect(report.input).toEqual({ rejected: 0, emptyText: 0, duplicates: 0, truncated: 0 });
    if (spec.billing.unit === 'request') expect(totals.units).toBe(totals.requests);
    if (spec.billing.unit === 'token') expect(totals.units).toBe(totals.tokens);
    expect(report.cost?.quantity).toBeCloseTo(quantity(totals), 9);
    expect(report.cost?.amount).toBeCloseTo(quantity(totals) * Number(price.split('/')[0]), 9);

    // The table says the same.
    const text = await runCli(base, NO_REDIS_ENV);
    expectOk(text);
    const rows = tableRows(text.stdout);
    expect(rows.get('provider')).toMatch(new RegExp(`^${provider} \\(model ${spec.defaultModel ?? "the server's"}`));
    expect(leadingNumber(rows.get('queries'))).toBe(totals.queries);
    expect(leadingNumber(rows.get('pairs'))).toBe(totals.pairs);
    expect(leadingNumber(rows.get('requests'))).toBe(totals.requests);
    expect(leadingNumber(rows.get('texts sent'))).toBe(totals.texts);
    expect(leadingNumber(rows.get(`billing units (${spec.billing.unit})`))).toBe(totals.units);
    expect(leadingNumber(rows.get('characters'))).toBe(totals.characters);
    expect(leadingNumber(rows.get('approx. tokens'))).toBe(totals.tokens);
    expect(rows.has('cost')).toBe(false);

    // The library computes the same report.
    const fromLibrary = await estimate({ input: PAIRS, provider, price, ...(shape.length === 0 ? {} : { passages: shape[1] }) }, NO_REDIS_ENV);
    expect(JSON.parse(JSON.stringify(fromLibrary))).toEqual(report);

    // A real run of the same options against the server in the provider's dialect.
    const server = await startRerankServer({ dialect: provider });
    cleanups.push(() => server.close());
    const dir = await tempDir(`estimate-${provider}`);
    const prefix = uniquePrefix(`estimate-${provider}`);
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const out = join(dir.dir, 'out');
    const run = await runCli(['run', '-i', PAIRS, '--provider', provider, ...shape, '--api-url', server.url, '-o', out, '--prefix', prefix, '--concurrency', '8'], { ...NO_REDIS_ENV, REDIS_URL: redisUrl() });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.provider).toBe(provider);
    expect(manifest.planned).toEqual({
      requests: totals.requests,
      texts: totals.texts,
      billing_unit: spec.billing.unit,
      billing_units: totals.units,
      approx_tokens: totals.tokens,
      characters: totals.characters,
    });
    expect(manifest.counts.api_requests).toBe(totals.requests);
    expect(manifest.counts.documents_split).toBe(totals.split);
    expect(manifest.counts.passages).toBe(totals.passages);
    expect(server.stats.requests).toBe(totals.requests);
    expect(server.stats.byStatus).toEqual({ 200: totals.requests });
    console.info(`[estimate ${provider} ${shape.join(' ')}] requests=${totals.requests} texts=${totals.texts} units=${totals.units} ${spec.billing.unit} cost=${report.cost?.amount}`);
  });

  it('cohere with passages: search units are counted per 100 texts of each request, and priced per unit', async () => {
    const json = await runCli(['estimate', '-i', PAIRS, '--provider', 'cohere', '--passages', '10,5', '--price', '0.002/search-unit', '--json'], NO_REDIS_ENV);
    expectOk(json);
    const report = JSON.parse(json.stdout) as EstimateReport;
    const { totals } = report;
    // Several units a request: a unit is one query with up to 100 documents.
    expect(totals.units).toBeGreaterThan(totals.requests);
    expect(totals.units).toBeGreaterThanOrEqual(Math.ceil(totals.texts / 100));
    expect(totals.units).toBeLessThanOrEqual(Math.ceil(totals.texts / 100) + totals.requests);
    expect(report.cost?.price).toEqual({ amount: 0.002, per: 'search-unit' });
    expect(report.cost?.quantity).toBe(totals.units);
    expect(report.cost?.amount).toBeCloseTo(totals.units * 0.002, 9);
    const text = await runCli(['estimate', '-i', PAIRS, '--provider', 'cohere', '--passages', '10,5', '--price', '0.002/search-unit'], NO_REDIS_ENV);
    expectOk(text);
    const cost = tableRows(text.stdout).get('cost');
    expect(cost).toBe(`${(totals.units * 0.002).toFixed(4)} (${totals.units.toLocaleString('en-US')} x 0.002 per search-unit)`);
  });

  it('a run on the built-in server (no --api-url) sends what estimate said, in the provider\'s dialect', async () => {
    const estimated = JSON.parse((await runCli(['estimate', '-i', PAIRS, '--provider', 'voyage', '--json'], NO_REDIS_ENV)).stdout) as EstimateReport;
    const dir = await tempDir('estimate-builtin');
    const prefix = uniquePrefix('estimate-builtin');
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const out = join(dir.dir, 'out');
    const run = await runCli(['run', '-i', PAIRS, '--provider', 'voyage', '-o', out, '--prefix', prefix], { ...NO_REDIS_ENV, REDIS_URL: redisUrl() });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stderr).toContain('built-in local server');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.builtin_server).toBe(true);
    expect(new URL(manifest.api_url).pathname).toBe(PROVIDERS.voyage.path);
    expect(manifest.planned.requests).toBe(estimated.totals.requests);
    expect(manifest.planned.billing_units).toBe(estimated.totals.units);
    expect(manifest.planned.billing_unit).toBe('token');
    expect(manifest.counts.api_requests).toBe(estimated.totals.requests);
  });

  it('usage errors exit 2: a search-unit price for a provider billed otherwise, a malformed price, a --redis it does not take', async () => {
    const perUnit = await runCli(['estimate', '-i', PAIRS, '--provider', 'regolo', '--price', '1/search-unit'], NO_REDIS_ENV);
    expect(perUnit.code).toBe(2);
    expect(perUnit.stderr).toContain('ERR_USAGE');
    expect(perUnit.stderr).toMatch(/--price per search-unit: --provider regolo bills per request/);
    expect(perUnit.stdout).toBe('');
    const perUnitJson = await runCli(['estimate', '-i', PAIRS, '--provider', 'voyage', '--price', '1/search-unit', '--json'], NO_REDIS_ENV);
    expect(perUnitJson.code).toBe(2);
    expect(perUnitJson.stdout).toBe('');

    const malformed = await runCli(['estimate', '-i', PAIRS, '--price', '2.00/1000'], NO_REDIS_ENV);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--price');

    const redis = await runCli(['estimate', '-i', PAIRS, '--redis', 'redis://127.0.0.1:1'], NO_REDIS_ENV);
    expect(redis.code).toBe(2);
    expect(redis.stderr).toContain("unknown option '--redis'");
  });
});
