import type { Lifecycle } from '../lifecycle-events.js';
import type { RedisConnection } from '../redis/connect.js';
import { OutageGuard } from '../redis/connection-loss.js';

/**
 * The outage guard of a command's main Redis connection, its reports sent as lifecycle events: an outage
 * is logged when it starts, every 30 s while it lasts, and when it ends. `budgetMs` undefined: wait forever.
 */
export function watchOutages(connection: RedisConnection, budgetMs: number | undefined, events: Lifecycle): OutageGuard {
  const budget = budgetMs ?? null;
  return new OutageGuard(connection, {
    timeoutMs: budgetMs,
    onOutage: (report) => {
      if (report.phase === 'started') events.emit('redis-down', { error: report.error, budgetMs: budget });
      else if (report.phase === 'ongoing') events.emit('redis-still-down', { downMs: report.downMs, budgetMs: budget });
      else events.emit('redis-back', { downMs: report.downMs });
    },
  });
}
