import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, readQrels, readTrecRun } from '../../src/evaluate/index.js';
import { DEFAULT_INSTRUCTION } from '../../src/rerank/prompt.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { scoreDocuments } from '../../src/serve/bm25-scorer.js';
import { startRerankServer, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, dumpPrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const API_KEY = 'sk-test-7f3a9c1e5b2d4f60';
const MAX_DOCS = 37;

interface Row {
  qid: string;
  query: string;
  docno: string;
  text: string;
  score: number;
  rank: number;
}

/** A corpus that exercises the CSV corner cases, with a 1,000-candidate query, interleaved. */
function messyRows(): Row[] {
  const queries = [
    { qid: '007', query: 'heat transfer, "boundary" layer' },
    { qid: '010', query: 'Überschall Strömung — naïve café 東京 🚀' },
    { qid: 'big', query: 'flutter of panels at supersonic speed' },
  ];
  const words = ['flutter', 'panel', 'supersonic', 'heat', 'layer', 'boundary', 'strömung', 'café', '東京', 'wing', 'speed', 'shock'];
  const perQuery: Row[][] = queries.map((q, qi) => {
    const count = q.qid === 'big' ? 1000 : 12 + qi;
    return Array.from({ length: count }, (_, i) => {
      const body = Array.from({ length: 6 + (i % 7) }, (_, k) => words[(i * 7 + k * 3 + qi) % words.length]).join(' ');
      const extras = ['', ', with a comma', ' "quoted", twice ""', '\nsecond line\r\nthird line', ' emoji 🚀 and 中文'];
      return { qid: q.qid, query: q.query, docno: `${String(i).padStart(4, '0')}${qi === 1 ? 'é' : ''}`, text: `doc ${q.qid}/${i}: ${body}${extras[i % extras.length]}`, score: 100 - i * 0.5, rank: i + 1 };
    });
  });
  // Interleave: round-robin over queries, so no query's rows are contiguous.
  const rows: Row[] = [];
  for (let i = 0; perQuery.some((list) => i < list.length); i += 1) for (const list of perQuery) if (i < list.length) rows.push(list[i] as Row);
  return rows;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

describe('run against an HTTP rerank API on a messy corpus', () => {
  let server: RunningRerankServer;
  let dir: string;
  let removeDir: () => Promise<void>;
  const prefix = uniquePrefix('messy');
  const rows = messyRows();

  beforeAll(async () => {
    server = await startRerankServer({ apiKey: API_KEY, recordRequests: true });
    ({ dir, remove: removeDir } = await tempDir('messy'));
    const header = 'qid,query,docno,text,score,rank';
    const csv = [header, ...rows.map((r) => [r.qid, r.query, r.docno, r.text, r.score, r.rank].map(csvField).join(','))].join('\r\n') + '\r\n';
    await writeFile(join(dir, 'pairs.csv'), `\ufeff${csv}`);
    const jsonl = rows.map((r) => JSON.stringify({ query_id: r.qid, query: r.query, doc_id: r.docno, document: r.text, score: r.score, rank: r.rank })).join('\n') + '\n';
    await writeFile(join(dir, 'pairs.jsonl.gz'), gzipSync(jsonl));
    // Judgments: graded, one negative (unjudged), some judged documents never retrieved.
    const qrels = ['007 0 0003 2', '007 0 0005 1', '007 0 0001 -1', '007 0 9999 1', '010 0 0002é 3', 'big 0 0500 1', 'big 0 0001 2', 'nothere 0 x 1'];
    await writeFile(join(dir, 'qrels.trec'), `${qrels.join('\n')}\n`);
  });

  afterAll(async () => {
    await server.close();
    await deletePrefix(redisUrl(), prefix);
    await removeDir();
  });

  it('scores every pair once with the API score, within batch limits and Qwen3 tags, and leaks no key', async () => {
    const { logger, text: logText } = captureLogs('debug');
    const env = { ...process.env, RERANK_API_KEY: API_KEY };
    const run = (input: string, out: string) =>
      runPipeline({ input: join(dir, input), qrels: join(dir, 'qrels.trec'), out: join(dir, out), redis: redisUrl(), prefix, apiUrl: server.url, maxDocsPerRequest: MAX_DOCS, concurrency: 4 }, { logger, env: env });

    const report = await run('pairs.csv', 'out-csv');
    expect(report.outcome).toBe('complete');
    expect(report.producer.pairs).toBe(rows.length);

    // Every request: at most MAX_DOCS documents, Qwen3 tags, the key as a Bearer token.
    const log = server.stats.requestLog ?? [];
    expect(log.length).toBeGreaterThan(1000 / MAX_DOCS);
    for (const request of log) {
      expect(request.documents.length).toBeLessThanOrEqual(MAX_DOCS);
      expect(request.query).toMatch(/^<Instruct>: .+\n<Query>: .+/s);
      for (const doc of request.documents) expect(doc.startsWith('<Document>: ')).toBe(true);
      expect(request.authorization).toBe(`Bearer ${API_KEY}`);
    }

    // The score in ranked.trec is the one the server returned, to the last digit.
    const apiScore = new Map<string, number>();
    for (const request of log) {
      const scores = scoreDocuments(request.query, request.documents);
      request.documents.forEach((doc, i) => apiScore.set(`${request.query}\u0000${doc.slice('<Document>: '.length)}`, scores[i] as number));
    }
    const byKey = new Map(rows.map((r) => [`${r.qid} ${r.docno}`, r]));
    const ranked = (await readFile(join(dir, 'out-csv', 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(ranked).toHaveLength(rows.length);
    const seen = new Set<string>();
    for (const line of ranked) {
      const [qid, q0, docno, , score, tag] = line.split(' ');
      expect(q0).toBe('Q0');
      expect(tag).toBe('rerank-batch');
      const key = `${qid} ${docno}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      const row = byKey.get(key);
      expect(row, key).toBeDefined();
      const sent = apiScore.get(`<Instruct>: ${DEFAULT_INSTRUCTION}\n<Query>: ${row?.query ?? ''}\u0000${row?.text ?? ''}`);
      expect(sent, key).toBeDefined();
      expect(score, key).toBe(String(sent));
    }

    // metrics.json equals the evaluator on the written ranking (the evaluator itself is pinned to trec_eval).
    const metrics = JSON.parse(await readFile(join(dir, 'out-csv', 'metrics.json'), 'utf8')) as { reranked: Record<string, number> };
    const expected = evaluate(await readQrels(join(dir, 'qrels.trec')), await readTrecRun(join(dir, 'out-csv', 'ranked.trec')));
    expect(metrics.reranked).toEqual(expected.mean);

    // The same corpus as JSONL.gz gives a byte-identical ranking.
    const again = await run('pairs.jsonl.gz', 'out-jsonl');
    expect(again.outcome).toBe('complete');
    expect(await readFile(join(dir, 'out-jsonl', 'ranked.trec'), 'utf8')).toBe(ranked.join('\n') + '\n');

    // The key is in no output file, log line or Redis key/value.
    for (const out of ['out-csv', 'out-jsonl']) {
      for (const entry of await readdir(join(dir, out), { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const content = await readFile(join(entry.parentPath, entry.name), 'utf8');
        expect(content.includes(API_KEY), `${out}/${entry.name}`).toBe(false);
      }
    }
    expect(logText().length).toBeGreaterThan(0);
    expect(logText().includes(API_KEY)).toBe(false);
    const redisDump = await dumpPrefix(redisUrl(), prefix);
    expect(redisDump.length).toBeGreaterThan(0);
    expect(redisDump.includes(API_KEY)).toBe(false);
  });
});
