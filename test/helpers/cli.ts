import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** The built CLI (npm test builds first), run as a user runs it. */
export const cliPath = join(repoRoot, 'bin', 'rerank-batch.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = repoRoot): Promise<CliResult> {
  return runNode([cliPath, ...args], { ...env, LOG_FORMAT: 'json' }, cwd);
}

/** Run `node ARGS` to completion, collecting its output. */
export function runNode(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start a long-running CLI command (a worker); the caller kills it. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { child, output: () => output };
}

/** Stop a child with a signal and wait for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** The lifecycle events a CLI process logged (JSON log lines with an `event` field), in order. */
export function loggedEvents(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => typeof entry.event === 'string');
}

/** How many batches a `worker` process scored, from its `worker-stopped` event. */
export function workerCompletedCount(output: string): number {
  const stopped = loggedEvents(output).find((entry) => entry.event === 'worker-stopped');
  return typeof stopped?.completed === 'number' ? stopped.completed : 0;
}
