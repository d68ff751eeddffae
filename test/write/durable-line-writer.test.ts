import { existsSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Spool, type SpoolRecord } from '../../src/collect/spool.js';
import type { Qrels } from '../../src/evaluate/index.js';
import { LineWriter, writeFileAtomic } from '../../src/write/line-writer.js';
import { writeOutputs } from '../../src/write/write-outputs.js';
import { tempDir } from '../helpers/paths.js';
import { fsTrace, resetFsTrace } from '../helpers/traced-fs.js';

/**
 * fsync cannot be observed after the fact (only a power cut would tell), so these tests watch the
 * order of the calls that make a file durable: node:fs is the real one, with fsync, rename and write
 * wrapped to log what they touch (fsync's file descriptor read back as a path through /proc) or to
 * fail like a full disk.
 */
vi.mock('node:fs', async (importOriginal) => (await import('../helpers/traced-fs.js')).tracedFs(await importOriginal()));

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  const temp = await tempDir('durable-writer');
  dir = realpathSync(temp.dir);
  remove = temp.remove;
  resetFsTrace();
});
afterEach(async () => {
  resetFsTrace();
  await remove();
});

/** Where `entry` is in the log; fails the test when it is not there. */
function at(entry: string | RegExp, from = 0): number {
  const index = fsTrace.log.findIndex((line, i) => i >= from && (typeof entry === 'string' ? line === entry : entry.test(line)));
  expect(index, `${String(entry)} in:\n${fsTrace.log.join('\n')}`).toBeGreaterThanOrEqual(0);
  return index;
}

/** The data of `file` is fsync'd under its temporary name, then renamed, then its directory fsync'd. */
function expectPublishedDurably(file: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const synced = at(`fsync ${tmp}`);
  const renamed = at(`rename ${tmp} -> ${file}`, synced + 1);
  at(`fsync ${join(file, '..')}`, renamed + 1);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(process.platform !== 'linux')('durable outputs (order of fsync and rename)', () => {
  it('LineWriter.commit fsyncs the data before the rename and the directory after it', async () => {
    const file = join(dir, 'ranked.trec');
    const writer = new LineWriter(file);
    await writer.write('q1 Q0 d1 1 0.5 t\n');
    await writer.commit();
    expectPublishedDurably(file);
    expect(await readFile(file, 'utf8')).toBe('q1 Q0 d1 1 0.5 t\n');
  });

  it('writeFileAtomic (metrics.json, manifest.json) does the same', async () => {
    const file = join(dir, 'manifest.json');
    await writeFileAtomic(file, '{}\n');
    expectPublishedDurably(file);
  });

  it('writeOutputs makes every output it writes durable before it returns', async () => {
    const spool = await Spool.open(join(dir, '.rerank-batch', 'run.spool'));
    const records: SpoolRecord[] = [
      { t: 'ok', job: 'b-1', q: 'q1', query: 'query one', items: [['d1', 0.5, 2, 1], ['d2', 0.75, 1, 2]], requests: 1, rateLimited: 0, attempts: 1 },
      { t: 'fail', job: 'b-2', q: 'q2', query: 'query two', docs: [['d3', 1, 1]], code: 'ERR_API_SERVER', errorClass: 'RetryableApiError', message: '500', attempts: 3 },
    ];
    await spool.append(records);
    const qrels: Qrels = new Map([['q1', new Map([['d2', 1]])]]);
    fsTrace.log.length = 0;
    await writeOutputs(spool, { outDir: dir, runTag: 't', qrels });
    spool.close();
    for (const name of ['ranked.trec', 'ranked.jsonl', 'failures.jsonl', 'metrics.json', 'metrics.perquery.csv']) expectPublishedDurably(join(dir, name));
  });
});

describe('output errors are coded, name the path, and leave nothing half-written', () => {
  it('a file whose directory is a regular file: ERR_OUTPUT_WRITE (ENOTDIR), no unhandled stream error', async () => {
    writeFileSync(join(dir, 'plain'), 'not a directory');
    const file = join(dir, 'plain', 'ranked.trec');
    const writer = new LineWriter(file);
    await writer.write('q1 Q0 d1 1 0.5 t\n');
    // Let a failing open (if the writer opened at once) report before anyone awaits it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await writer.commit().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ name: 'OutputError' });
    expect(error).toMatchObject({ code: 'ERR_OUTPUT_WRITE', errno: 'ENOTDIR', path: file });
    expect((error as Error).message).toMatch(new RegExp(`^cannot write ${escape(file)}: .*\\(ENOTDIR\\); fix the output directory \\(--out\\), then run the same command again`));
    expect((error as Error).message).not.toContain('\n');
  });

  it('an output over an existing directory: ERR_OUTPUT_WRITE naming it, the temporary file removed', async () => {
    const file = join(dir, 'ranked.jsonl');
    await mkdir(join(file, 'inside'), { recursive: true });
    await expect(writeFileAtomic(file, '{}\n')).rejects.toMatchObject({ code: 'ERR_OUTPUT_WRITE', path: file });
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('a full disk mid-file: ERR_DISK_FULL naming the file; the file absent, its temporary file removed', async () => {
    const file = join(dir, 'ranked.trec');
    const writer = new LineWriter(file);
    fsTrace.writeBudget = 1000;
    let error: unknown;
    try {
      // Not awaited, as submit's rejects.jsonl writer does: a failure must wait for commit, not crash the process.
      for (let i = 0; i < 20_000; i++) void writer.write(`q${i} Q0 d${i} 1 0.5 t\n`);
      await writer.commit();
    } catch (err) {
      error = err;
    }
    fsTrace.writeBudget = undefined;
    expect(error).toMatchObject({ name: 'OutputError' });
    expect(error).toMatchObject({ code: 'ERR_DISK_FULL', errno: 'ENOSPC', path: file });
    expect((error as Error).message).toMatch(new RegExp(`^cannot write ${escape(file)}: no space left on device \\(ENOSPC\\); free space there, then run the same command again`));
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
