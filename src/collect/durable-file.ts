import { close, existsSync, fsync, mkdir, open, rename, write } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RerankBatchError } from '../errors/rerank-batch-error.js';

/**
 * Durable files: what rerank-batch writes to disk survives a power loss once a run says it is done.
 * Every fsync of the spool and the outputs goes through here (the spool lives in src/collect, the outputs
 * in src/write, which may import this layer but not the other way round).
 *
 * A file is durable when its data is fsync'd, and its name when the directory holding it is fsync'd after
 * the file was created or renamed into it: hence `publishFile` (data, close, rename, directory, in that
 * order) and `makeDirDurable` (each directory made, and the entry naming it in its parent).
 */

/** A directory fsync the file system cannot do (some network and FUSE file systems): nothing more to make durable there. */
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

function promised<T>(call: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err === null ? resolve(value) : reject(err))));
}

/** fsync an open file: its data and size are on disk when this resolves. */
export function syncFile(fd: number): Promise<void> {
  return promised<void>((done) => fsync(fd, (err) => done(err, undefined)));
}

/** Open a file (flags as for fs.open). */
export function openFile(path: string, flags: string): Promise<number> {
  return promised<number>((done) => open(path, flags, 0o666, done));
}

/** Close a file descriptor. */
export function closeFile(fd: number): Promise<void> {
  return promised<void>((done) => close(fd, (err) => done(err, undefined)));
}

/** Write all of `data` at `position` (null: the file's current position). */
export async function writeAll(fd: number, data: Buffer, position: number | null): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const at = position === null ? null : position + written;
    written += await promised<number>((done) => write(fd, data, written, data.length - written, at, done));
  }
}

/**
 * fsync a directory, so that the names created or renamed in it survive a power loss. Windows cannot
 * open a directory for this, and NTFS journals names itself: a no-op there.
 */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fd = await openFile(dir, 'r');
  try {
    await syncFile(fd);
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await closeFile(fd);
  }
}

/**
 * Create `dir` (and any missing parent) durably: each directory made is fsync'd into its parent, and so
 * is `dir` itself even when it existed (another step of this process may have made it, not durably).
 * Throws an OutputError naming `dir` when it cannot be made.
 */
export async function makeDirDurable(path: string): Promise<void> {
  const dir = resolve(path);
  try {
    const first = await promised<string | undefined>((done) => mkdir(dir, { recursive: true }, done));
    // `first` is the topmost directory made (undefined: none). Sync the parent of each one made, and dir's.
    const parents = new Set<string>([dirname(dir)]);
    if (first !== undefined) for (let at = dir; at.length >= first.length && at !== dirname(at); at = dirname(at)) parents.add(dirname(at));
    for (const parent of parents) await syncDir(parent);
  } catch (err) {
    throw outputError(await trueMkdirError(dir, err), path);
  }
}

/**
 * A recursive mkdir reports ENOENT for some failures of the directory it could not make (a read-only
 * file system: EROFS): make the topmost missing one alone to learn the real reason.
 */
async function trueMkdirError(dir: string, err: unknown): Promise<unknown> {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  let missing = dir;
  while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
  return promised<void>((done) => mkdir(missing, (mkdirErr) => done(mkdirErr, undefined))).then(
    () => err,
    (real: unknown) => real,
  );
}

/**
 * Make a finished temporary file the file `path`, durably: fsync its data, close it, rename it over
 * `path`, fsync the directory. A reader sees the old file or the whole new one, before and after a
 * power loss. Closes `fd` whatever happens; on failure the temporary file is left for the caller to remove.
 */
export async function publishFile(fd: number, tmpPath: string, path: string): Promise<void> {
  try {
    await syncFile(fd);
  } catch (err) {
    await closeFile(fd).catch(() => undefined);
    throw err;
  }
  await closeFile(fd);
  await promised<void>((done) => rename(tmpPath, path, (err) => done(err, undefined)));
  await syncDir(dirname(path));
}

/** The disk is full, or the user's quota is. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/** What each file-system error means for an output path, in words a user can act on. */
const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EISDIR: 'it is a directory',
  ENOTEMPTY: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'I/O error',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
};

/**
 * An output (the spool, a ranked file, metrics, the manifest, the rejects) could not be written.
 * `code` is ERR_DISK_FULL for a full disk (or quota), else ERR_OUTPUT_WRITE; `path` is the file or
 * directory at fault and `errno` the file system's code (ENOSPC, ENOTDIR, EACCES, ...). What was
 * collected before is kept: the spool is never cut below its last durable record. Exit code 1.
 */
export class OutputError extends RerankBatchError {
  readonly path: string;
  readonly errno: string;

  constructor(path: string, errno: string, detail: string, options?: { cause?: unknown }) {
    const full = DISK_FULL.has(errno);
    const reason = REASONS[errno] ?? detail;
    const action = full ? 'free space there' : 'fix the output directory (--out)';
    super(full ? 'ERR_DISK_FULL' : 'ERR_OUTPUT_WRITE', `cannot write ${path}: ${reason} (${errno}); ${action}, then run the same command again (nothing collected is lost)`, options);
    this.path = path;
    this.errno = errno;
  }
}

/**
 * `err` as an OutputError about `path` when it is a file-system error (has an errno code); anything
 * else (a bug, an OutputError already) is returned as it is.
 */
export function outputError(err: unknown, path: string): unknown {
  if (err instanceof RerankBatchError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!(err instanceof Error) || typeof errno !== 'string' || !/^E[A-Z]+$/.test(errno)) return err;
  return new OutputError(path, errno, err.message, { cause: err });
}
