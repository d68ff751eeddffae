/**
 * The local rerank server in a child process of its own (forked by bench/lib.ts with an IPC channel), so its
 * BM25 scoring does not share an event loop with the pipeline it serves, as with a hosted API.
 *
 * Protocol: argv[2] is the JSON RerankServerOptions. The child answers `{type: 'ready', url}`, then to
 * `{type: 'stats'}` with `{type: 'stats', stats}`, and to `{type: 'reset'}` with `{type: 'reset'}`.
 * It samples the number of 200 answers every few ms so the parent can compute the throughput over the
 * window between the first and the last successful answer (startup and output writing excluded).
 */
import { startRerankServer, type RerankServerOptions } from '../src/serve/rerank-server.js';

export interface ServerChildStats {
  requests: number;
  byStatus: Record<number, number>;
  ok: number;
  /** performance.now() of the sample that first saw a 200, and of the sample that saw the last new one (ms). */
  firstOkAt: number | undefined;
  lastOkAt: number | undefined;
  /** ms between the two. */
  okWindowMs: number;
  /**
   * Successful answers per second between the moments 10% and 90% of them had been given: the steady
   * state, without the ramp-up (or a token bucket's initial burst) and the tail.
   */
  steadyOkPerSecond: number;
}

export type ServerChildMessage = { type: 'ready'; url: string } | { type: 'stats'; stats: ServerChildStats } | { type: 'reset' };
export type ServerParentMessage = { type: 'stats' } | { type: 'reset' };

const options = JSON.parse(process.argv[2] ?? '{}') as RerankServerOptions;
const server = await startRerankServer(options);
let firstOkAt: number | undefined;
let lastOkAt: number | undefined;
let lastOk = 0;
/** [performance.now(), 200 answers so far] at every change seen by the sampler. */
let timeline: [number, number][] = [];
const okCount = (): number => server.stats.byStatus[200] ?? 0;
const sampler = setInterval(() => {
  const ok = okCount();
  if (ok !== lastOk) {
    const now = performance.now();
    firstOkAt ??= now;
    lastOkAt = now;
    lastOk = ok;
    timeline.push([now, ok]);
  }
}, 5);

function steadyRate(total: number): number {
  const at = (count: number): number | undefined => timeline.find(([, ok]) => ok >= count)?.[0];
  const low = Math.ceil(total * 0.1);
  const high = Math.floor(total * 0.9);
  const t0 = at(low);
  const t1 = at(high);
  if (t0 === undefined || t1 === undefined || t1 <= t0) return Number.NaN;
  // Counts at those samples may overshoot low/high a little; use the counts actually seen.
  const c0 = timeline.find(([, ok]) => ok >= low)?.[1] ?? low;
  const c1 = timeline.find(([, ok]) => ok >= high)?.[1] ?? high;
  return (c1 - c0) / ((t1 - t0) / 1000);
}

const send = (message: ServerChildMessage): void => {
  process.send?.(message);
};

process.on('message', (message: ServerParentMessage) => {
  if (message.type === 'stats') {
    const window = firstOkAt !== undefined && lastOkAt !== undefined ? lastOkAt - firstOkAt : 0;
    send({ type: 'stats', stats: { requests: server.stats.requests, byStatus: { ...server.stats.byStatus }, ok: okCount(), firstOkAt, lastOkAt, okWindowMs: window, steadyOkPerSecond: steadyRate(okCount()) } });
  } else if (message.type === 'reset') {
    server.resetStats();
    firstOkAt = undefined;
    lastOkAt = undefined;
    lastOk = 0;
    timeline = [];
    send({ type: 'reset' });
  }
});
process.on('disconnect', () => {
  clearInterval(sampler);
  void server.close().then(() => process.exit(0));
});
process.on('SIGTERM', () => {
  clearInterval(sampler);
  void server.close().then(() => process.exit(0));
});
send({ type: 'ready', url: server.url });
