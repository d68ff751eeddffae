import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRerankServer, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { API_KEY, PAIRS, QRELS } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

/**
 * An output directory that cannot be written, and a full disk, end a command with a coded error
 * (exit 1) and one line naming the path and what to do; what was collected stays in the spool, and the
 * same command run again once the cause is gone completes the run with the outputs of a clean run.
 *
 * Full disks and read-only file systems are small tmpfs mounts (the tests run as root). Where mount is
 * refused (no CAP_SYS_ADMIN, not Linux), those tests are skipped with the reason printed; README.md
 * (## Errors) describes the same check by hand.
 */

/** Whether a tmpfs can be mounted here, and why not. */
function probeMount(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `tmpfs mounts need Linux (this is ${process.platform})` };
  const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return { ok: true };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: `cannot mount a tmpfs here (${stderr || String(err)})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mounting = probeMount();
if (!mounting.ok) console.warn(`output-errors: skipping the full-disk and read-only tests: ${mounting.reason}`);

/** The first 20 queries of the bundled input (400 pairs): a run takes about a second. */
const QUERIES = 20;
/** 10 documents a request: 40 batches, so the spool is appended to several times. */
const MAX_DOCS = '10';

let server: RunningRerankServer;
let dir: string;
let removeDir: () => Promise<void>;
let input: string;
let reference: string;
const prefixes: string[] = [];
const mounts: string[] = [];

function prefixFor(name: string): string {
  const prefix = uniquePrefix(`output-errors-${name}`);
  prefixes.push(prefix);
  return prefix;
}

function run(out: string, prefix: string): Promise<CliResult> {
  return runCli(['run', '-i', input, '--qrels', QRELS, '-o', out, '--prefix', prefix, '--api-url', server.url, '--max-docs-per-request', MAX_DOCS], {
    ...process.env,
    REDIS_URL: redisUrl(),
    RERANK_API_KEY: API_KEY,
    LOG_LEVEL: 'warn',
  });
}

/** A tmpfs mounted with `options` at a fresh directory, unmounted in afterAll. */
function mountTmpfs(name: string, options: string): string {
  const at = join(dir, name);
  mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at], { stdio: 'pipe' });
  mounts.push(at);
  return at;
}

/** Fill the file system of `at` until `leaveBytes` (whole pages) are free. */
function fill(at: string, leaveBytes: number): string {
  const { bavail, bsize } = statfsSync(at);
  const filler = join(at, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leaveBytes)));
  expect(statfsSync(at).bavail * bsize).toBe(leaveBytes);
  return filler;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Exit 1, and stderr's error is one line: the code, the path at fault, and what to do. No stack, no "unexpected error". */
function expectCodedFailure(result: CliResult, code: 'ERR_OUTPUT_WRITE' | 'ERR_DISK_FULL', path: string | RegExp): string {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).not.toContain('unexpected error');
  expect(result.stderr).not.toMatch(/^\s+at /m);
  const pathPattern = typeof path === 'string' ? escape(path) : path.source;
  const action = code === 'ERR_DISK_FULL' ? 'free space there' : String.raw`fix the output directory \(--out\)`;
  const line = new RegExp(String.raw`^rerank-batch: error ${code}: cannot write (${pathPattern}): [^\n]+ \(E[A-Z]+\); ${action}, then run the same command again \(nothing collected is lost\)$`, 'm');
  expect(result.stderr).toMatch(line);
  return (line.exec(result.stderr) as RegExpExecArray)[1] as string;
}

/** The same outputs as the clean run, no failures; and the spool the run left. */
async function expectReferenceOutputs(out: string): Promise<void> {
  for (const file of ['ranked.trec', 'ranked.jsonl', 'metrics.json', 'metrics.perquery.csv']) {
    expect(await readFile(join(out, file), 'utf8'), file).toBe(await readFile(join(reference, file), 'utf8'));
  }
  expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');
  expect(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ complete: true, outcome: 'complete' });
}

function spoolOf(out: string): string {
  const spools = readdirSync(join(out, '.rerank-batch')).filter((name) => name.endsWith('.spool'));
  expect(spools).toHaveLength(1);
  return join(out, '.rerank-batch', spools[0] as string);
}

beforeAll(async () => {
  server = await startRerankServer({ apiKey: API_KEY });
  ({ dir, remove: removeDir } = await tempDir('output-errors'));
  const rows = parse(gunzipSync(readFileSync(PAIRS)), { columns: true }) as Record<string, string>[];
  const queries = [...new Set(rows.map((row) => row.query_id))].slice(0, QUERIES);
  input = join(dir, 'pairs.csv');
  writeFileSync(input, stringify(rows.filter((row) => queries.includes(row.query_id)), { header: true }));
  reference = join(dir, 'reference');
  const result = await run(reference, prefixFor('reference'));
  expect(result.code, result.stderr).toBe(0);
});

afterAll(async () => {
  for (const at of mounts) {
    try {
      execFileSync('umount', [at], { stdio: 'pipe' });
    } catch {
      // Unmounted by its test already.
    }
  }
  await server?.close();
  for (const prefix of prefixes) await deletePrefix(redisUrl(), prefix);
  await removeDir?.();
});

describe('fault: outputs that cannot be written', () => {
  it('--out under a regular file (ENOTDIR): ERR_OUTPUT_WRITE naming it; fixed, the same command completes', async () => {
    const parent = join(dir, 'a-file');
    writeFileSync(parent, 'not a directory');
    const out = join(parent, 'out');
    const prefix = prefixFor('enotdir');
    expectCodedFailure(await run(out, prefix), 'ERR_OUTPUT_WRITE', out);
    await rm(parent);
    await mkdir(parent);
    const again = await run(out, prefix);
    expect(again.code, again.stderr).toBe(0);
    await expectReferenceOutputs(out);
  });

  it('collect into an --out under a regular file: ERR_OUTPUT_WRITE naming it; the run stays collectable', async () => {
    const parent = join(dir, 'b-file');
    writeFileSync(parent, 'not a directory');
    const prefix = prefixFor('collect-enotdir');
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY, LOG_LEVEL: 'warn' };
    const submitted = await runCli(['submit', '-i', input, '--prefix', prefix, '--api-url', server.url, '--max-docs-per-request', MAX_DOCS], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const runId = submitted.stdout.trim().split('\n').at(-1) as string;
    const bad = join(parent, 'out');
    expectCodedFailure(await runCli(['collect', '--run-id', runId, '--prefix', prefix, '--qrels', QRELS, '-o', bad], env), 'ERR_OUTPUT_WRITE', bad);
    const out = join(dir, 'collect-out');
    const collected = await runCli(['collect', '--run-id', runId, '--prefix', prefix, '--qrels', QRELS, '-o', out], env);
    expect(collected.code, collected.stderr).toBe(0);
    await expectReferenceOutputs(out);
  });

  it('the state directory is a regular file: ERR_OUTPUT_WRITE naming it; removed, the same command completes', async () => {
    const out = join(dir, 'state-file');
    await mkdir(out);
    writeFileSync(join(out, '.rerank-batch'), 'in the way');
    const prefix = prefixFor('state-file');
    expectCodedFailure(await run(out, prefix), 'ERR_OUTPUT_WRITE', join(out, '.rerank-batch'));
    await rm(join(out, '.rerank-batch'));
    const again = await run(out, prefix);
    expect(again.code, again.stderr).toBe(0);
    await expectReferenceOutputs(out);
  });

  it('an output name taken by a directory: ERR_OUTPUT_WRITE naming it, the spool kept; removed, the run completes without scoring again', async () => {
    const out = join(dir, 'taken');
    await mkdir(join(out, 'ranked.trec', 'something'), { recursive: true });
    const prefix = prefixFor('taken');
    const before = server.stats.requests;
    expectCodedFailure(await run(out, prefix), 'ERR_OUTPUT_WRITE', join(out, 'ranked.trec'));
    const scored = server.stats.requests - before;
    expect(scored).toBeGreaterThan(0);
    expect(statSync(spoolOf(out)).size).toBeGreaterThan(0);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    expect(readdirSync(out).filter((name) => name.includes('.tmp-'))).toEqual([]);
    await rm(join(out, 'ranked.trec'), { recursive: true });
    const again = await run(out, prefix);
    expect(again.code, again.stderr).toBe(0);
    // Every batch came from the spool: nothing collected was lost, nothing scored twice.
    expect(server.stats.requests - before).toBe(scored);
    await expectReferenceOutputs(out);
  });

  it.skipIf(!mounting.ok)('a read-only --out (EROFS): ERR_OUTPUT_WRITE naming it; made writable, the same command completes', async () => {
    const out = mountTmpfs('read-only', 'ro,size=4m');
    const prefix = prefixFor('erofs');
    const failed = await run(out, prefix);
    expect(expectCodedFailure(failed, 'ERR_OUTPUT_WRITE', new RegExp(`${escape(out)}\\S*`))).toMatch(new RegExp(`^${escape(out)}`));
    expect(failed.stderr).toContain(': read-only file system (EROFS); ');
    execFileSync('mount', ['-o', 'remount,rw', out], { stdio: 'pipe' });
    const again = await run(out, prefix);
    expect(again.code, again.stderr).toBe(0);
    await expectReferenceOutputs(out);
  });

  it.skipIf(!mounting.ok)('a full disk before the first batch is spooled: ERR_DISK_FULL naming the spool; space freed, the same command completes', async () => {
    const out = mountTmpfs('full-at-spool', 'size=4m');
    const filler = fill(out, 0);
    const prefix = prefixFor('full-at-spool');
    // The first write is the spool's input record (its name and an empty spool take no blocks).
    const failed = expectCodedFailure(await run(out, prefix), 'ERR_DISK_FULL', /\S+\.spool(?:\.inputs\.json)?/);
    expect(failed.startsWith(join(out, '.rerank-batch'))).toBe(true);
    const spool = failed.replace(/\.inputs\.json$/, '');
    // Nothing half-written: the spool holds no torn record.
    expect(statSync(spool).size).toBe(0);
    await rm(filler);
    const again = await run(out, prefix);
    expect(again.code, again.stderr).toBe(0);
    await expectReferenceOutputs(out);
  });

  it.skipIf(!mounting.ok)('a full disk while the outputs are written: ERR_DISK_FULL naming the file, the spool kept; space freed, the run completes without scoring again', async () => {
    const out = mountTmpfs('full-at-outputs', 'size=4m');
    const page = statfsSync(out).bsize;
    // Room for the spool (as big as the clean run's) and two pages more: not for the outputs.
    const spoolBytes = statSync(spoolOf(reference)).size;
    const filler = fill(out, (Math.ceil(spoolBytes / page) + 2) * page);
    const prefix = prefixFor('full-at-outputs');
    const before = server.stats.requests;
    const path = expectCodedFailure(await run(out, prefix), 'ERR_DISK_FULL', new RegExp(`${escape(out)}/[^/\\s]+`));
    expect(path).not.toContain('.rerank-batch');
    const scored = server.stats.requests - before;
    expect(statSync(spoolOf(out)).size).toBe(spoolBytes);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    expect(readdirSync(out).filter((name) => name.includes('.tmp-'))).toEqual([]);
    await rm(filler);
    const again = await run(out, prefix);
    expect(again.code, again.stderr).toBe(0);
    expect(server.stats.requests - before).toBe(scored);
    await expectReferenceOutputs(out);
  });
});
