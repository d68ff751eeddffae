import type { WorkerHost } from '../../workers/worker-host.js';
import type { Lifecycle } from '../lifecycle-events.js';

/**
 * The one graceful-shutdown policy of every command that runs workers (run, worker, collect,
 * retry-failed): stop taking jobs, give in-flight requests `graceMs` to finish, then abort them and hand
 * their jobs back to the queue (no attempt spent) and wait for the workers to close. Idempotent per host.
 */
export async function closeWithGrace(host: WorkerHost | undefined, graceMs: number, events: Lifecycle): Promise<void> {
  if (host === undefined) return;
  const closing = host.close();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), graceMs);
  });
  const first = await Promise.race([closing.then(() => 'closed' as const), grace]);
  clearTimeout(timer);
  if (first === 'expired') {
    events.emit('shutdown-grace-expired', { graceMs });
    host.handBackInFlight();
    await closing;
  }
}
