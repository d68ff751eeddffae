import type { Logger } from '../logger.js';
import type { RedisConnection } from './connect.js';

/**
 * BullMQ needs `maxmemory-policy noeviction`: under any other policy a full Redis silently deletes job
 * keys, and work is lost. Warn (not fail: managed Redis services may refuse CONFIG).
 */
export async function warnOnEvictionPolicy(redis: RedisConnection, logger: Logger): Promise<void> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    const policy = Array.isArray(reply) ? String(reply[1] ?? '') : '';
    if (policy !== '' && policy !== 'noeviction') {
      logger.warn({ policy }, `Redis maxmemory-policy is "${policy}": set it to "noeviction", or Redis may evict queued jobs when full`);
    }
  } catch {
    logger.debug('could not read maxmemory-policy (CONFIG refused)');
  }
}
