import type * as fs from 'node:fs';

/**
 * What the durability tests see of node:fs: every fsync (its file descriptor read back as a path through
 * /proc) and rename, in order; and faults a test switches on: writes that run out of room after
 * `writeBudget` bytes (a full disk takes what fits, then refuses the rest), fsyncs of files ending in
 * `failFsync.suffix` failing with its code. Tests reset it in their beforeEach.
 */
export const fsTrace = {
  log: [] as string[],
  writeBudget: undefined as number | undefined,
  failFsync: undefined as { code: string; suffix: string } | undefined,
};

/** Reset the log and switch every fault off. */
export function resetFsTrace(): void {
  fsTrace.log.length = 0;
  fsTrace.writeBudget = undefined;
  fsTrace.failFsync = undefined;
}

type Callback = (err: NodeJS.ErrnoException | null, bytesWritten?: number, buffer?: unknown) => void;

function failure(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, ${syscall}`), { code, syscall });
}

/**
 * The real node:fs with fsync, rename and write traced. Use it as the module of a `vi.mock('node:fs')`
 * factory, imported dynamically there (a mock factory runs before the test file's imports):
 * `vi.mock('node:fs', async (importOriginal) => (await import('../helpers/traced-fs.js')).tracedFs(await importOriginal()))`.
 */
export function tracedFs(actual: typeof fs): typeof fs {
  const pathOf = (fd: number): string => {
    try {
      return actual.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return `fd ${fd}`;
    }
  };
  const traced = {
    fsync: (fd: number, callback: (err: NodeJS.ErrnoException | null) => void): void => {
      const path = pathOf(fd);
      fsTrace.log.push(`fsync ${path}`);
      const fault = fsTrace.failFsync;
      if (fault !== undefined && path.endsWith(fault.suffix)) {
        const err = failure(fault.code, 'fsync');
        process.nextTick(() => callback(err));
        return;
      }
      actual.fsync(fd, callback);
    },
    rename: (from: string, to: string, callback: (err: NodeJS.ErrnoException | null) => void): void => {
      fsTrace.log.push(`rename ${from} -> ${to}`);
      actual.rename(from, to, callback);
    },
    write: (fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: Callback): void => {
      const budget = fsTrace.writeBudget;
      if (budget === undefined) return actual.write(fd, buffer, offset, length, position, callback);
      if (budget === 0) {
        const err = failure('ENOSPC', 'write');
        process.nextTick(() => callback(err));
        return;
      }
      const take = Math.min(length, budget);
      fsTrace.writeBudget = budget - take;
      actual.write(fd, buffer, offset, take, position, callback);
    },
  };
  return { ...actual, ...traced } as typeof fs;
}
