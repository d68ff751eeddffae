import { realpathSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Spool, type SpoolRecord } from '../../src/collect/spool.js';
import { tempDir } from '../helpers/paths.js';
import { fsTrace, resetFsTrace } from '../helpers/traced-fs.js';

/**
 * The spool's durability seen through its calls: node:fs is the real one, with fsync logged (its file
 * descriptor read back as a path through /proc), and write or fsync made to fail like a full disk or a
 * failing device when a test asks.
 */
vi.mock('node:fs', async (importOriginal) => (await import('../helpers/traced-fs.js')).tracedFs(await importOriginal()));

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  const temp = await tempDir('durable-spool');
  dir = realpathSync(temp.dir);
  remove = temp.remove;
  resetFsTrace();
});
afterEach(async () => {
  resetFsTrace();
  await remove();
});

function scored(job: string, queryId = 'q1'): SpoolRecord {
  return { t: 'ok', job, q: queryId, query: `query ${queryId}`, items: [['d1', 0.5, null, null], ['d2', 0.25, null, null]], requests: 1, rateLimited: 0, attempts: 1 };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(process.platform !== 'linux')('spool durability', () => {
  it('a new spool is fsync\'d into its directory, and the directories into theirs, before open returns', async () => {
    const out = join(dir, 'out');
    const path = join(out, '.rerank-batch', 'run.spool');
    const spool = await Spool.open(path);
    spool.close();
    // The spool's name, the state directory's name, the output directory's name: each in its parent.
    for (const synced of [join(out, '.rerank-batch'), out, dir]) expect(fsTrace.log, fsTrace.log.join('\n')).toContain(`fsync ${synced}`);
  });

  it('a spool whose directory is a regular file: ERR_OUTPUT_WRITE naming the path', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    writeFileSync(join(out, '.rerank-batch'), 'a file where the state directory goes');
    const path = join(out, '.rerank-batch', 'run.spool');
    const error = await Spool.open(path).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ name: 'OutputError', code: 'ERR_OUTPUT_WRITE' });
    expect((error as Error).message).toMatch(new RegExp(`^cannot write ${escape(join(out, '.rerank-batch'))}\\S*: `));
  });

  it('a full disk mid-append: ERR_DISK_FULL naming the spool, the file cut back to its last durable record, nothing indexed', async () => {
    const path = join(dir, '.rerank-batch', 'run.spool');
    const spool = await Spool.open(path);
    await spool.append([scored('b-1')]);
    const durable = statSync(path).size;
    fsTrace.writeBudget = 30;
    const error = await spool.append([scored('b-2'), scored('b-3', 'q2')]).then(
      () => undefined,
      (err: unknown) => err,
    );
    fsTrace.writeBudget = undefined;
    expect(error).toMatchObject({ name: 'OutputError', code: 'ERR_DISK_FULL', errno: 'ENOSPC', path });
    expect((error as Error).message).toMatch(new RegExp(`^cannot write ${escape(path)}: no space left on device \\(ENOSPC\\); free space there, then run the same command again \\(nothing collected is lost\\)$`));
    expect(statSync(path).size).toBe(durable);
    // Not taken as spooled: the collector leaves these jobs in Redis, and takes them again.
    expect(spool.has('b-2')).toBe(false);
    expect(spool.counts()).toEqual({ scored: 1, failed: 0 });
    // Space freed: the same records are spooled, after the durable one.
    expect(await spool.append([scored('b-2'), scored('b-3', 'q2')])).toBe(2);
    spool.close();
    const reopened = await Spool.open(path);
    expect(reopened.counts()).toEqual({ scored: 3, failed: 0 });
    expect([...reopened.groupByQuery().keys()].sort()).toEqual(['q1', 'q2']);
    reopened.close();
  });

  it('an fsync that fails: the records written are cut off, so a later open cannot take them as durable', async () => {
    const path = join(dir, '.rerank-batch', 'run.spool');
    const spool = await Spool.open(path);
    await spool.append([scored('b-1')]);
    const durable = statSync(path).size;
    fsTrace.failFsync = { code: 'EIO', suffix: '.spool' };
    await expect(spool.append([scored('b-2')])).rejects.toMatchObject({ code: 'ERR_OUTPUT_WRITE', errno: 'EIO', path });
    fsTrace.failFsync = undefined;
    expect(statSync(path).size).toBe(durable);
    expect(spool.has('b-2')).toBe(false);
    spool.close();
    const reopened = await Spool.open(path);
    expect(reopened.has('b-2')).toBe(false);
    expect(reopened.counts()).toEqual({ scored: 1, failed: 0 });
    reopened.close();
  });
});
