import type { WorkerHost } from '../../workers/worker-host.js';
import type { Lifecycle } from '../lifecycle-events.js';
import { settlesWithin } from '../redis/connection-loss.js';

/**
 * How long closing may still take once in-flight requests were handed back, ms. BullMQ closes through
 * Redis; while Redis is down that never ends, so past this the connections are dropped: the jobs stay
 * locked in Redis until their lock expires, and another worker (or the same command again) takes them.
 */
export const FORCE_CLOSE_AFTER_MS = 3_000;

/**
 * The one graceful-shutdown policy of every command that runs workers (run, worker, collect,
 * retry-failed): stop taking jobs, give in-flight requests `graceMs` to finish, then abort them and hand
 * their jobs back to the queue (no attempt spent), and drop the connections if closing still hangs (a
 * Redis outage). Bounded: it returns within graceMs + FORCE_CLOSE_AFTER_MS.
 */
export async function closeWithGrace(host: WorkerHost | undefined, graceMs: number, events: Lifecycle): Promise<void> {
  if (host === undefined) return;
  const closing = host.close();
  if (await settlesWithin(closing, graceMs)) return;
  events.emit('shutdown-grace-expired', { graceMs });
  await releaseHost(host, closing);
}

/** Close a host with nothing left to wait for (the run is over): hand back, then close, bounded. */
export async function releaseHost(host: WorkerHost | undefined, closing?: Promise<void>): Promise<void> {
  if (host === undefined) return;
  host.handBackInFlight();
  if (!(await settlesWithin(closing ?? host.close(), FORCE_CLOSE_AFTER_MS))) host.forceClose();
}
