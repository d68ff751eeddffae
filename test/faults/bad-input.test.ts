import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRerankServer, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { API_KEY, deletePrefix, expectNoSecret, redisUrl, uniquePrefix } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const HEADER = 'query_id,query,doc_id,document,score,rank';
/** Line 1 is the header; data rows are lines 2..7. */
const GOOD = [
  'q1,flutter of panels,d1,panel flutter at supersonic speed,3,1',
  'q1,flutter of panels,d2,heat transfer in composite slabs,2,2',
  'q1,flutter of panels,d3,boundary layer flutter of panels,1,3',
  'q2,heat transfer,d1,heat transfer in composite slabs,3,1',
  'q2,heat transfer,d4,"transfer of heat, with a comma",2,2',
  'q2,heat transfer,d5,panel flutter,1,3',
];
const LONG = `a long document ${'about panel flutter '.repeat(10)}`;

let server: RunningRerankServer;
let dir: string;
let removeDir: () => Promise<void>;
const prefix = uniquePrefix('bad-input');
const logs: string[] = [];

beforeAll(async () => {
  server = await startRerankServer({ apiKey: API_KEY, recordRequests: true });
  ({ dir, remove: removeDir } = await tempDir('fault-bad-input'));
});

afterAll(async () => {
  await server.close();
  await deletePrefix(redisUrl(), prefix);
  await removeDir();
});

/** Write `content` as <name>.csv and run the CLI on it. */
async function runOn(name: string, content: string | Buffer, extra: string[] = []): Promise<{ file: string; out: string; result: CliResult }> {
  const file = join(dir, `${name}.csv`);
  await writeFile(file, content);
  const out = join(dir, `out-${name}`);
  const result = await runCli(['run', '-i', file, '-o', out, '--prefix', prefix, '--api-url', server.url, ...extra], { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY });
  logs.push(result.stdout, result.stderr);
  return { file, out, result };
}

/** The good rows with data row `index` (0-based; file line index + 2) replaced. */
function withRow(index: number, row: string): string {
  return [HEADER, ...GOOD.map((r, i) => (i === index ? row : r))].join('\n') + '\n';
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('fault: bad input through the CLI', () => {
  it.each<[string, string | Buffer, string[], string]>([
    ['missing-column', ['query_id,query,document,score,rank', 'q1,flutter,panel flutter,1,1'].join('\n') + '\n', [], String.raw`:\d+: field "doc_id": required column doc_id not found`],
    // A quote left open runs to the end of the file (a quote closed later makes a record of too many fields instead).
    ['unbalanced-quote', withRow(5, 'q2,heat transfer,d5,"panel flutter,1,3'), [], String.raw`:7: field "document": CSV_QUOTE_NOT_CLOSED`],
    ['invalid-utf8', Buffer.concat([Buffer.from(withRow(1, 'q1,flutter of panels,d2,heat XX,2,2').split('XX')[0] as string), Buffer.from([0xff, 0xfe]), Buffer.from(withRow(1, 'q1,flutter of panels,d2,heat XX,2,2').split('XX')[1] as string)]), [], String.raw`:3: field "document": invalid UTF-8`],
    ['empty-text', withRow(1, 'q1,flutter of panels,d2,,2,2'), [], String.raw`:3: field "document": empty document text`],
    ['id-whitespace', withRow(2, 'q1,flutter of panels,d 3,boundary layer,1,3'), [], String.raw`:4: field "doc_id": id "d 3" contains whitespace`],
    ['bad-score', withRow(3, 'q2,heat transfer,d1,heat transfer,high,1'), [], String.raw`:5: field "score": not a number: "high"`],
    ['too-long', withRow(4, `q2,heat transfer,d4,${LONG},2,2`), ['--max-document-bytes', '64', '--on-long-document', 'reject'], String.raw`:6: field "document": document is \d+ UTF-8 bytes, over maxDocumentBytes \(64\)`],
    ['empty-file', '', [], String.raw`: empty file`],
    ['header-only', `${HEADER}\n`, [], String.raw`:1: header but no rows`],
  ])('%s: exit 2, the message names file, line and field', async (name, content, extra, pattern) => {
    const { file, out, result } = await runOn(name, content, extra);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`error ERR_INPUT_\\w+: ${escape(file)}${pattern}`));
    expect(existsSync(join(out, 'ranked.trec'))).toBe(false);
  });

  it('--on-empty-text score-lowest: the pair is never sent, ranked last, and listed in rejects.jsonl', async () => {
    const { out, result } = await runOn('score-lowest', withRow(1, 'q1,flutter of panels,d2,,2,2'), ['--on-empty-text', 'score-lowest']);
    expect(result.code, result.stderr).toBe(0);
    const q1 = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n').filter((l) => l.startsWith('q1 '));
    expect(q1).toHaveLength(3);
    expect(q1[2]?.split(' ')[2]).toBe('d2');
    const rejects = (await readFile(join(out, 'rejects.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects).toEqual([expect.objectContaining({ line: 3, field: 'document', code: 'ERR_INPUT_EMPTY_TEXT', action: 'scored-lowest' })]);
  });

  it('a repeated pair: the first is kept, the repeat reported and counted', async () => {
    const { out, result } = await runOn('duplicate', withRow(5, 'q1,flutter of panels,d1,a different text for d1,9,9'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/duplicate|repeated/i);
    const ranked = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(ranked.filter((l) => l.startsWith('q1 Q0 d1 '))).toHaveLength(1);
    expect(ranked).toHaveLength(GOOD.length - 1);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
    expect(manifest.counts.duplicate_pairs_dropped).toBe(1);
    // The first text was the one sent.
    const sent = (server.stats.requestLog ?? []).flatMap((r) => r.documents);
    expect(sent.some((d) => d.includes('a different text for d1'))).toBe(false);
  });

  it('a too-long document is truncated by default (and counted)', async () => {
    const { out, result } = await runOn('truncate', withRow(4, `q2,heat transfer,d4,${LONG},2,2`), ['--max-document-bytes', '64']);
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
    expect(manifest.counts.truncated_documents).toBe(1);
    const sent = (server.stats.requestLog ?? []).flatMap((r) => r.documents).filter((d) => d.includes('a long document'));
    expect(sent.length).toBeGreaterThan(0);
    for (const d of sent) expect(Buffer.byteLength(d.replace(/^<Document>: /, ''))).toBeLessThanOrEqual(64);
  });

  it('--on-bad-row skip: rejects.jsonl lists each bad row with its reason; the rest is scored, exit 0', async () => {
    const rows = [...GOOD];
    rows[1] = 'q1,flutter of panels,d 2,heat transfer,2,2';
    rows[3] = 'q2,heat transfer,d1,heat transfer,high,1';
    rows[4] = 'q2,heat transfer,d4,,2,2';
    const { out, result } = await runOn('skip', [HEADER, ...rows].join('\n') + '\n', ['--on-bad-row', 'skip']);
    expect(result.code, result.stderr).toBe(0);
    const rejects = (await readFile(join(out, 'rejects.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects.map((r) => [r.line, r.field, r.code, r.action])).toEqual([
      [3, 'doc_id', 'ERR_INPUT_ID_WHITESPACE', 'skipped'],
      [5, 'score', 'ERR_INPUT_NUMBER', 'skipped'],
      [6, 'document', 'ERR_INPUT_EMPTY_TEXT', 'skipped'],
    ]);
    for (const r of rejects) expect(String(r.reason).length).toBeGreaterThan(0);
    const ranked = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n').map((l) => l.split(' ').slice(0, 3).join(' '));
    expect(ranked.sort()).toEqual(['q1 Q0 d1', 'q1 Q0 d3', 'q2 Q0 d5']);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
    expect(manifest.counts.rejected_rows).toBe(3);
  });

  it('leaks the API key nowhere', async () => {
    expect(logs.length).toBeGreaterThan(0);
    await expectNoSecret([dir], logs, prefix);
  });
});
