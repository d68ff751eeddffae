import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import type { RunOptions } from '../../src/options/run-options.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { captureLogs } from './log-capture.js';
import { repoRoot } from './paths.js';
import { dumpPrefix, redisUrl, uniquePrefix, deletePrefix } from './redis.js';

/** A recognisable secret: it must never reach a file, a log line or Redis. */
export const API_KEY = 'sk-faults-S3CR3T-9c4e7a1b2d';
export const PAIRS = join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz');
export const QRELS = join(repoRoot, 'examples', 'cranfield', 'qrels.trec');
/** Batches of 10 documents: the 4,500 pairs (20 per query) make 450 batches. */
export const MAX_DOCS = 10;
export const PAIR_COUNT = 4_500;
export const BATCH_COUNT = 450;

/** Every (query_id doc_id) of the bundled input. */
export function inputKeys(): Set<string> {
  const rows = parse(gunzipSync(readFileSync(PAIRS)), { columns: true }) as { query_id: string; doc_id: string }[];
  return new Set(rows.map((r) => `${r.query_id} ${r.doc_id}`));
}

/** The common flags of a CLI `run` on the bundled input. */
export function runArgs(out: string, prefix: string, apiUrl: string, extra: string[] = []): string[] {
  return ['run', '-i', PAIRS, '--qrels', QRELS, '-o', out, '--prefix', prefix, '--api-url', apiUrl, '--max-docs-per-request', String(MAX_DOCS), ...extra];
}

/**
 * A clean reference run of the bundled input (in process, fault-free server, own prefix): the
 * outputs every fault scenario must reproduce byte for byte.
 */
export async function referenceRun(out: string, options: Partial<RunOptions> = {}): Promise<void> {
  const server = await startRerankServer({ apiKey: API_KEY });
  const prefix = uniquePrefix('reference');
  try {
    const { logger } = captureLogs('warn');
    const report = await runPipeline(
      { input: PAIRS, qrels: QRELS, out, redis: redisUrl(), prefix, apiUrl: server.url, maxDocsPerRequest: MAX_DOCS, concurrency: 8, ...options },
      { logger, env: { ...process.env, RERANK_API_KEY: API_KEY } },
    );
    expect(report.outcome).toBe('complete');
  } finally {
    await server.close();
    await deletePrefix(redisUrl(), prefix);
  }
}

/** ranked.trec, ranked.jsonl and metrics.json are byte-identical to the reference; no failures. */
export async function expectSameOutputs(out: string, reference: string): Promise<void> {
  for (const file of ['ranked.trec', 'ranked.jsonl', 'metrics.json']) {
    const [got, want] = await Promise.all([readFile(join(out, file), 'utf8'), readFile(join(reference, file), 'utf8')]);
    expect(want.length, file).toBeGreaterThan(0);
    expect(got === want, `${file} differs from the clean reference run`).toBe(true);
  }
  expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');
}

/** Every input pair is in ranked.trec exactly once (0 lost, 0 duplicated). */
export async function expectEveryPairOnce(out: string, keys: Set<string>): Promise<void> {
  const lines = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n');
  const seen = new Map<string, number>();
  for (const line of lines) {
    const [qid, , docno] = line.split(' ');
    const key = `${qid} ${docno}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  const lost = [...keys].filter((k) => !seen.has(k));
  const extra = [...seen.keys()].filter((k) => !keys.has(k));
  expect({ lost: lost.length, duplicated: duplicated.length, extra: extra.length, lines: lines.length }).toEqual({ lost: 0, duplicated: 0, extra: 0, lines: keys.size });
}

/** The secret is in no file under `dirs` (spool included), in no log text, and in no Redis key or value under `prefix`. */
export async function expectNoSecret(dirs: string[], logs: string[], prefix: string, url = redisUrl()): Promise<void> {
  let files = 0;
  for (const dir of dirs) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      files += 1;
      const content = await readFile(join(entry.parentPath, entry.name), 'latin1');
      expect(content.includes(API_KEY), join(entry.parentPath, entry.name)).toBe(false);
    }
  }
  expect(files).toBeGreaterThan(0);
  for (const text of logs) expect(text.includes(API_KEY), 'log output').toBe(false);
  const dump = await dumpPrefix(url, prefix);
  expect(dump.includes(API_KEY), 'Redis').toBe(false);
}

/** Records in the run's spool file so far (0 before it exists). */
export function spoolRecords(out: string): number {
  const state = join(out, '.rerank-batch');
  if (!existsSync(state)) return 0;
  let n = 0;
  for (const name of readdirSync(state)) {
    if (!name.endsWith('.spool')) continue;
    const text = readFileSync(join(state, name), 'utf8');
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n += 1;
  }
  return n;
}

/** Poll `probe` until it holds (real state, not a sleep); throws after `timeoutMs`. */
export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The run id a CLI `run` printed in its JSON logs. */
export function runIdFromLogs(text: string): string {
  const match = /"runId":"([^"]+)"/.exec(text);
  if (match === null) throw new Error(`no runId in the logs:\n${text.slice(0, 2000)}`);
  return match[1] as string;
}

/** Requests the server answered, keyed by their content: how many distinct batches, and how many were repeats. */
export function requestFigures(log: { query: string; documents: string[] }[]): { total: number; distinct: number; repeated: number } {
  const distinct = new Set(log.map((r) => `${r.query}\u0000${r.documents.join('\u0001')}`)).size;
  return { total: log.length, distinct, repeated: log.length - distinct };
}

export { redisUrl, uniquePrefix, deletePrefix };
