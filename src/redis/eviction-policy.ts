import { Cluster } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './connect.js';

/**
 * BullMQ needs `maxmemory-policy noeviction`: under any other policy a full Redis silently deletes job
 * keys, and work is lost. Warn (not fail: managed Redis services may refuse CONFIG). On a cluster,
 * every master is asked.
 */
export async function warnOnEvictionPolicy(redis: RedisConnection, logger: Logger): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    try {
      const reply = (await node.config('GET', 'maxmemory-policy')) as unknown;
      const policy = Array.isArray(reply) ? String(reply[1] ?? '') : '';
      if (policy !== '' && policy !== 'noeviction') {
        logger.warn({ policy, node: `${node.options.host ?? ''}:${node.options.port ?? ''}` }, `Redis maxmemory-policy is "${policy}": set it to "noeviction", or Redis may evict queued jobs when full`);
      }
    } catch {
      logger.debug('could not read maxmemory-policy (CONFIG refused)');
    }
  }
}
