import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeDirDurable, OutputError, outputError } from '../../src/collect/durable-file.js';
import { tempDir } from '../helpers/paths.js';
import { fsTrace, resetFsTrace } from '../helpers/traced-fs.js';

/** node:fs with fsync logged (its file descriptor read back as a path through /proc). */
vi.mock('node:fs', async (importOriginal) => (await import('../helpers/traced-fs.js')).tracedFs(await importOriginal()));

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  const temp = await tempDir('durable-dir');
  dir = realpathSync(temp.dir);
  remove = temp.remove;
  resetFsTrace();
});
afterEach(async () => {
  await remove();
});

describe.skipIf(process.platform !== 'linux')('makeDirDurable', () => {
  it('fsyncs the parent of each directory it makes', async () => {
    await makeDirDurable(join(dir, 'a', 'b', 'c'));
    expect(fsTrace.log.sort()).toEqual([dir, join(dir, 'a'), join(dir, 'a', 'b')].map((parent) => `fsync ${parent}`).sort());
  });

  it('fsyncs the parent of a directory that existed already (made moments ago, maybe not durably)', async () => {
    await makeDirDurable(join(dir, 'a'));
    fsTrace.log.length = 0;
    await makeDirDurable(join(dir, 'a'));
    expect(fsTrace.log).toEqual([`fsync ${dir}`]);
  });

  it('a directory that cannot be made: ERR_OUTPUT_WRITE naming it, one line saying what to do', async () => {
    writeFileSync(join(dir, 'plain'), 'not a directory');
    const out = join(dir, 'plain', 'out');
    const error = await makeDirDurable(out).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OutputError);
    expect(error).toMatchObject({ code: 'ERR_OUTPUT_WRITE', errno: 'ENOTDIR', path: out });
    expect((error as Error).message).toBe(`cannot write ${out}: a part of the path is a file, not a directory (ENOTDIR); fix the output directory (--out), then run the same command again (nothing collected is lost)`);
  });
});

describe('outputError', () => {
  it('codes a full disk or quota ERR_DISK_FULL, other file-system errors ERR_OUTPUT_WRITE, and passes anything else through', () => {
    const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: x`), { code });
    expect(outputError(errno('ENOSPC'), '/o/f')).toMatchObject({ code: 'ERR_DISK_FULL', path: '/o/f' });
    expect(outputError(errno('EDQUOT'), '/o/f')).toMatchObject({ code: 'ERR_DISK_FULL' });
    expect(outputError(errno('EROFS'), '/o/f')).toMatchObject({ code: 'ERR_OUTPUT_WRITE', message: expect.stringContaining('read-only file system (EROFS)') as unknown });
    expect(outputError(errno('EACCES'), '/o/f')).toMatchObject({ code: 'ERR_OUTPUT_WRITE', message: expect.stringContaining('permission denied (EACCES)') as unknown });
    const bug = new TypeError('x is undefined');
    expect(outputError(bug, '/o/f')).toBe(bug);
  });
});
