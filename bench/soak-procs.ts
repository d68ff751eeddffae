/**
 * Child processes of the chaos soak: every CLI process it starts (workers, submit, collect, reference runs)
 * goes through one registry, which logs each one's output to a file, knows which are alive, and kills them
 * all (by pid) on the way out, also on failure, SIGINT or an uncaught error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One CLI process. */
export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  /** Set by `kill()`: the soak ended it on purpose. */
  expectedExit: boolean;
  alive(): boolean;
  /** The last ~64 KB of its output. */
  tail(): string;
  /** Whether it logged a lifecycle event (`"event":"<name>"`). */
  sawEvent(name: string): boolean;
  waitForEvent(name: string, timeoutMs: number): Promise<void>;
  /** Send `signal` (expected exit) and wait for the process to be gone (SIGKILL after `forceAfterMs`). */
  kill(signal?: NodeJS.Signals, forceAfterMs?: number): Promise<ExitInfo>;
}

export class ProcRegistry {
  private readonly procs = new Set<Proc>();

  constructor(
    private readonly options: { logDir: string; cliPath: string; cwd: string; env: NodeJS.ProcessEnv },
  ) {}

  /** `node <cli> ...args`, JSON logs, output to `<logDir>/<name>-<pid>.log`. */
  spawnCli(name: string, args: string[]): Proc {
    const child = spawn(process.execPath, [this.options.cliPath, ...args], {
      cwd: this.options.cwd,
      env: { ...this.options.env, LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? -1;
    const logFile = join(this.options.logDir, `${name}-${pid}.log`);
    const file: WriteStream = createWriteStream(logFile);
    file.on('error', () => undefined);
    let tail = '';
    let partial = '';
    const events = new Set<string>();
    const waiters = new Set<() => void>();
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      file.write(text);
      tail += text;
      if (tail.length > 128 * 1024) tail = tail.slice(-64 * 1024);
      partial += text;
      let newline = partial.indexOf('\n');
      while (newline !== -1) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        const match = /"event":"([a-z-]+)"/.exec(line);
        if (match?.[1] !== undefined) events.add(match[1]);
        newline = partial.indexOf('\n');
      }
      if (partial.length > 1 << 20) partial = '';
      for (const waiter of waiters) waiter();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    let exitInfo: ExitInfo | undefined;
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('error', (err) => {
        file.write(`\n[soak] spawn error: ${err.message}\n`);
        exitInfo ??= { code: -1, signal: null };
        resolve(exitInfo);
      });
      child.once('close', (code, signal) => {
        exitInfo ??= { code, signal };
        file.end();
        resolve(exitInfo);
      });
    });
    const proc: Proc = {
      name,
      pid,
      child,
      logFile,
      exited,
      expectedExit: false,
      alive: () => exitInfo === undefined && child.exitCode === null && child.signalCode === null,
      tail: () => tail,
      sawEvent: (event) => events.has(event),
      waitForEvent: (event, timeoutMs) =>
        new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (!events.has(event)) return;
            done();
            resolve();
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`${name} (pid ${pid}) did not log "${event}" within ${timeoutMs} ms: ${tail.slice(-2000)}`));
          }, timeoutMs);
          const done = (): void => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          void exited.then(() => {
            if (!waiters.has(check)) return;
            done();
            reject(new Error(`${name} (pid ${pid}) exited before logging "${event}": ${tail.slice(-2000)}`));
          });
          check();
        }),
      async kill(signal = 'SIGKILL', forceAfterMs = 10_000) {
        proc.expectedExit = true;
        if (proc.alive()) {
          child.kill(signal);
          const timer = setTimeout(() => {
            if (proc.alive()) child.kill('SIGKILL');
          }, forceAfterMs);
          const info = await exited;
          clearTimeout(timer);
          return info;
        }
        return exited;
      },
    };
    this.procs.add(proc);
    void exited.then(() => this.procs.delete(proc));
    return proc;
  }

  live(): Proc[] {
    return [...this.procs].filter((proc) => proc.alive());
  }

  /** SIGTERM every live process, SIGKILL what is left after `graceMs`, and wait for them. */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(this.live().map((proc) => proc.kill('SIGTERM', graceMs)));
  }

  /** Last resort on process exit (synchronous): SIGKILL every live process by pid. */
  killAllSync(): void {
    for (const proc of this.live()) {
      proc.expectedExit = true;
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Resident set size of a live process (VmRSS), bytes; undefined when it is gone. */
export async function rssBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || pid <= 0) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
