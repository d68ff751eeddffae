import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startRerankServer, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { cliPath, loggedEvents, runCli, startCli, stopChild } from '../helpers/cli.js';
import { PAIRS, QRELS, waitFor } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const comparisonSchema = z.object({ baseline: z.number(), reranked: z.number(), delta: z.number(), p_value: z.number().nullable(), ci95_low: z.number().nullable(), ci95_high: z.number().nullable(), wins: z.number(), ties: z.number(), losses: z.number() });
const metricsSchema = z.object({ comparison: z.record(z.string(), comparisonSchema) });
const summarySchema = z.object({
  run_id: z.string(),
  outcome: z.string(),
  scored_pairs: z.number(),
  api_requests: z.number(),
  measures: z.array(comparisonSchema.extend({ measure: z.string() })),
  regression_gates: z.array(z.object({ gate: z.string(), measure: z.string(), failed: z.boolean(), reason: z.string() })),
});
const manifestFilesSchema = z.object({ outputs: z.object({ files: z.array(z.string()) }) });
const statusSchema = z.object({ pairs: z.number().nullable(), pairsEstimate: z.number().nullable() });
const PROGRESS_LINE = /^progress (\S+): ([\d,]+)\/(~?[\d,]+|\?) pairs \((\S+)\), (\S+) pairs\/s, ([\d,]+) requests, ([\d,]+) retries, ([\d,]+) 429s, ([\d,]+) failed batches, ETA .+$/;

const prefixes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
let server: RunningRerankServer;

function prefix(name: string): string {
  const p = uniquePrefix(name);
  prefixes.push(p);
  return p;
}

async function out(name: string): Promise<string> {
  const dir = await tempDir(name);
  cleanups.push(dir.remove);
  return join(dir.dir, 'out');
}

/** `run` on the bundled example against the slow server: about two seconds of scoring at 3 requests in flight. */
function args(o: string, extra: string[]): string[] {
  return ['run', '-i', PAIRS, '--qrels', QRELS, '-o', o, '--api-url', server.url, '--max-docs-per-request', '10', '--concurrency', '3', '--no-cache', ...extra];
}

beforeAll(async () => {
  server = await startRerankServer({ latencyMs: 12 });
});

afterAll(async () => {
  await server.close();
  for (const p of prefixes) await deletePrefix(redisUrl(), p);
  for (const cleanup of cleanups) await cleanup();
});

describe('progress without a terminal', () => {
  it('pretty logs: a plain progress line at the interval, the figures moving, then the summary on stdout', async () => {
    const o = await out('progress-lines');
    const result = await runCli(args(o, ['--prefix', prefix('progress-lines'), '--log-format', 'pretty', '--progress-interval', '300ms']));
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('progress '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const figures = lines.map((line) => {
      const m = PROGRESS_LINE.exec(line);
      expect(m, line).not.toBeNull();
      return { done: Number((m?.[2] ?? '').replace(/,/g, '')), requests: Number((m?.[6] ?? '').replace(/,/g, '')) };
    });
    for (let i = 1; i < figures.length; i++) {
      expect(figures[i]?.done).toBeGreaterThanOrEqual(figures[i - 1]?.done ?? 0);
      expect(figures[i]?.requests).toBeGreaterThanOrEqual(figures[i - 1]?.requests ?? 0);
    }
    expect(figures.at(-1)).toEqual({ done: 4500, requests: 450 });
    expect(figures.some((f) => f.done > 0 && f.done < 4500)).toBe(true);
    // Not mixed with the summary: stdout has the summary only.
    expect(result.stdout).not.toContain('progress ');
    expect(result.stdout).toMatch(/^run \S+: complete in /);
    expect(result.stdout).toMatch(/\n {2}queries 225, pairs 4,500: 4,500 scored, 0 failed\n/);
    expect(result.stdout).toMatch(/\n {2}API requests 450 \(retries 0, 429s 0\)/);
    const metrics = metricsSchema.parse(JSON.parse(await readFile(join(o, 'metrics.json'), 'utf8')));
    const ndcg = metrics.comparison.ndcg_cut_10;
    expect(ndcg).toBeDefined();
    const row = result.stdout.split('\n').find((line) => line.startsWith('ndcg_cut_10 '));
    expect(row?.split(/\s+/).slice(1, 4)).toEqual([ndcg?.baseline.toFixed(4), ndcg?.reranked.toFixed(4), `${(ndcg?.delta ?? 0) >= 0 ? '+' : ''}${ndcg?.delta.toFixed(4)}`]);
  });

  it('JSON logs: run-progress records at the interval; --json: the summary as one JSON object equal to metrics.json', async () => {
    const o = await out('progress-json');
    const result = await runCli(args(o, ['--prefix', prefix('progress-json'), '--progress-interval', '300ms', '--json']));
    expect(result.code, result.stderr).toBe(0);
    const progress = loggedEvents(result.stderr).filter((e) => e.event === 'run-progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ pairsDone: 4500, pairsTotal: 4500, apiRequests: 450, failedBatches: 0 });
    const summary = summarySchema.parse(JSON.parse(result.stdout));
    expect(summary).toMatchObject({ outcome: 'complete', scored_pairs: 4500, api_requests: 450, regression_gates: [] });
    // With qrels and a baseline: every output, the report among them, listed and on disk.
    const files = manifestFilesSchema.parse(JSON.parse(await readFile(join(o, 'manifest.json'), 'utf8'))).outputs.files;
    expect(files).toEqual(['ranked.trec', 'ranked.jsonl', 'metrics.json', 'metrics.perquery.csv', 'failures.jsonl', 'manifest.json', 'report.html']);
    for (const file of files) expect(existsSync(join(o, file)), file).toBe(true);
    const metrics = metricsSchema.parse(JSON.parse(await readFile(join(o, 'metrics.json'), 'utf8')));
    expect(summary.measures.map((m) => m.measure)).toEqual(['map', 'recip_rank', 'P_10', 'recall_100', 'ndcg', 'ndcg_cut_10']);
    for (const { measure, ...figures } of summary.measures) expect(figures, measure).toEqual(metrics.comparison[measure]);
  });

  it('--quiet: no progress lines or records, the summary stays', async () => {
    const o = await out('progress-quiet');
    const result = await runCli(args(o, ['--prefix', prefix('progress-quiet'), '--quiet', '--progress-interval', '100ms']));
    expect(result.code, result.stderr).toBe(0);
    expect(loggedEvents(result.stderr).filter((e) => e.event === 'run-progress')).toEqual([]);
    expect(loggedEvents(result.stderr).some((e) => e.event === 'run-finished')).toBe(true);
    expect(result.stdout).toMatch(/^run \S+: complete in /);
  });
});

describe('--fail-on-regression', () => {
  // The built-in server scores with plain BM25 over the candidates alone: on Cranfield it ranks below the
  // first stage (ndcg_cut_10 0.3495 -> 0.2407, a p far below 0.05), and leaves recall_100 as it was: each
  // query has 20 candidates, so the top 100 is the same set before and after.
  it('exits 3 when the measure drops, with the verdict in the summary; 0 when the gated measure holds', async () => {
    const failing = await runCli(args(await out('gate-fail'), ['--prefix', prefix('gate-fail'), '--quiet', '--fail-on-regression', 'ndcg_cut.10:0.05', '--json']));
    expect(failing.code, failing.stderr).toBe(3);
    const gate = summarySchema.parse(JSON.parse(failing.stdout)).regression_gates;
    expect(gate).toEqual([{ gate: 'ndcg_cut.10:0.05', measure: 'ndcg_cut_10', failed: true, reason: expect.stringMatching(/^dropped by 0\.\d{4} \(more than 0\.05\), significantly/) }]);

    const passing = await runCli(args(await out('gate-pass'), ['--prefix', prefix('gate-pass'), '--quiet', '--fail-on-regression', 'recall_100']));
    expect(passing.code, passing.stderr).toBe(0);
    expect(passing.stdout).toContain('gate passed: --fail-on-regression recall_100\n');
  });

  it('exits 2 before anything runs on an unknown measure, a family, or no --qrels', async () => {
    const p = prefix('gate-usage');
    for (const [gateArgs, message] of [
      [['--fail-on-regression', 'ndcg_cut.10:x'], /DELTA must be a number/],
      [['--fail-on-regression', 'nosuch'], /nosuch/],
      [['--fail-on-regression', 'P'], /name one measure/],
    ] as const) {
      const result = await runCli(args(await out('gate-usage'), ['--prefix', p, ...gateArgs]));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const noQrels = await runCli(['run', '-i', PAIRS, '-o', await out('gate-no-qrels'), '--api-url', server.url, '--prefix', p, '--fail-on-regression', 'map']);
    expect(noQrels.code).toBe(2);
    expect(noQrels.stderr).toContain('--fail-on-regression needs --qrels');
  });

  it('eval compares B against A and exits 3 on a regression, 0 the other way round', async () => {
    const o = await out('gate-eval');
    const made = await runCli(args(o, ['--prefix', prefix('gate-eval'), '--quiet']));
    expect(made.code, made.stderr).toBe(0);
    // The first stage as a TREC run, from the pairs file's own score column.
    const rows = parse(gunzipSync(readFileSync(PAIRS)), { columns: true }) as { query_id: string; doc_id: string; score: string; rank: string }[];
    const bm25 = join(o, 'bm25.run');
    await writeFile(bm25, rows.map((r) => `${r.query_id} Q0 ${r.doc_id} ${r.rank} ${r.score} bm25\n`).join(''));
    const reranked = join(o, 'ranked.trec');
    const worse = await runCli(['eval', '--qrels', QRELS, '--run', bm25, '--run', reranked, '--fail-on-regression', 'map']);
    expect(worse.code, worse.stderr).toBe(3);
    expect(worse.stderr).toMatch(/eval: REGRESSION: --fail-on-regression map: map dropped by/);
    const better = await runCli(['eval', '--qrels', QRELS, '--run', reranked, '--run', bm25, '--fail-on-regression', 'map']);
    expect(better.code, better.stderr).toBe(0);
    expect(better.stderr).toContain('eval: gate passed: --fail-on-regression map\n');
    const one = await runCli(['eval', '--qrels', QRELS, '--run', bm25, '--fail-on-regression', 'map']);
    expect(one.code).toBe(2);
  });
});

describe('status --watch', () => {
  it('follows a run from another process until it is collected, with progress lines, then prints the status', async () => {
    const p = prefix('watch');
    const submitted = await runCli(['submit', '-i', PAIRS, '--api-url', server.url, '--max-docs-per-request', '10', '--prefix', p, '--no-cache']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const runId = submitted.stdout.trim();
    const watching = runCli(['status', '--run-id', runId, '--prefix', p, '--watch', '--log-format', 'pretty', '--progress-interval', '200ms']);
    const collected = await runCli(['collect', '--run-id', runId, '--prefix', p, '-o', await out('watch'), '--concurrency', '3', '--quiet']);
    expect(collected.code, collected.stderr).toBe(0);
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stderr.split('\n').filter((line) => PROGRESS_LINE.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.at(-1)).toContain('4,500/4,500 pairs (100.0%)');
    expect(watched.stdout).toContain(`run ${runId}: completed`);
  });
});

describe('the total while the input is being read', () => {
  it('status estimates the pairs from how far the producer has read, until the totals are known', async () => {
    const p = prefix('estimate');
    // Room for 8 batches and no worker: the producer stops part way through the input.
    const runId = 'estimate-run';
    const submitting = startCli(['submit', '-i', PAIRS, '--api-url', server.url, '--max-docs-per-request', '10', '--prefix', p, '--no-cache', '--max-pending', '8', '--run-id', runId]);
    try {
      let status: z.infer<typeof statusSchema> | undefined;
      await waitFor('an estimate', async () => {
        const result = await runCli(['status', '--run-id', runId, '--prefix', p, '--json']);
        status = result.code === 0 ? statusSchema.parse(JSON.parse(result.stdout)) : undefined;
        return status?.pairsEstimate !== null && status?.pairsEstimate !== undefined;
      }, 30_000, 200);
      expect(status?.pairs).toBeNull();
      // At least the pairs read so far (the 8 batches queued hold 80 of them), never absurdly many.
      expect(status?.pairsEstimate).toBeGreaterThanOrEqual(80);
      expect(status?.pairsEstimate).toBeLessThan(4500 * 20);
      const o = await out('estimate');
      const collected = await runCli(['collect', '--run-id', runId, '--prefix', p, '-o', o, '--quiet']);
      expect(collected.code, collected.stderr).toBe(0);
      // No qrels: the manifest lists the files written, no metrics and no report.
      const files = manifestFilesSchema.parse(JSON.parse(await readFile(join(o, 'manifest.json'), 'utf8'))).outputs.files;
      expect(files).toEqual(['ranked.trec', 'ranked.jsonl', 'failures.jsonl', 'manifest.json']);
      const done = statusSchema.parse(JSON.parse((await runCli(['status', '--run-id', runId, '--prefix', p, '--json'])).stdout));
      expect(done).toMatchObject({ pairs: 4500, pairsEstimate: null });
    } finally {
      await stopChild(submitting.child);
    }
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** The text on a tmux pane now, its scrollback included. */
function screen(session: string): string {
  return execFileSync('tmux', ['capture-pane', '-p', '-S', '-', '-t', session], { encoding: 'utf8' });
}

describe.skipIf(!hasTmux && process.env.CI === undefined)('progress in a terminal (tmux)', () => {
  it('shows a live bar on stderr, then the closing summary table', async () => {
    const o = await out('progress-tty');
    const session = `rb-${process.pid}-${Date.now()}`;
    const command = [process.execPath, cliPath, ...args(o, ['--prefix', prefix('progress-tty')])].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
    const env = `env -u LOG_FORMAT REDIS_URL='${redisUrl()}' RERANK_BATCH_CACHE=false`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '220', '-y', '60', `${env} ${command}; echo EXIT=$?; sleep 120`]);
    try {
      const bar = /[█░]{24} (\d+\.\d)% \| ([\d,]+)\/([\d,?]+) pairs \| \S+ pairs\/s \| [\d,]+ requests \| \d+ retries \| \d+ 429s \| \d+ failed \| ETA /;
      let midway = '';
      await waitFor('a bar part way', () => {
        const line = screen(session).split('\n').find((l) => bar.test(l));
        const m = line === undefined ? null : bar.exec(line);
        if (m !== null && Number(m[1]) > 0 && Number(m[1]) < 100) midway = line ?? '';
        return midway !== '';
      }, 60_000, 50);
      await waitFor('the command to end', () => screen(session).includes('EXIT='), 60_000, 100);
      const text = screen(session);
      expect(text).toContain('EXIT=0');
      // The bar ends at 100% and stays above the summary, which follows on its own lines.
      const lines = text.split('\n');
      const last = lines.findLastIndex((l) => bar.test(l));
      expect(lines[last]).toContain('100.0% | 4,500/4,500 pairs');
      const header = lines.findIndex((l) => /^measure +baseline +reranked +delta +p +95% CI +W\/T\/L$/.test(l));
      expect(header).toBeGreaterThan(last);
      expect(lines.find((l) => l.startsWith('run ') && l.includes(': complete in '))).toBeDefined();
      expect(lines.slice(header + 1).some((l) => l.startsWith('ndcg_cut_10 '))).toBe(true);
    } finally {
      execFileSync('tmux', ['kill-session', '-t', session]);
    }
  });
});
