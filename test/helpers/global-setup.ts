import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServerProcess } from '../../src/redis/redis-server-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** XDG_CACHE_HOME of every test (vitest.config.ts), removed after the suite. */
    cacheHome: string;
  }
}

/**
 * One Redis for the whole suite, found in this order: a testcontainers Redis when a Docker engine
 * answers; else REDIS_URL; else a redis-server from PATH on a free port. Tests that restart or
 * cluster Redis start their own (test/helpers/redis.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let stop: () => Promise<void> = async () => undefined;
  let url: string | undefined;
  if (process.env.REDIS_URL === undefined && process.env.RERANK_TEST_NO_DOCKER !== '1') {
    try {
      const { GenericContainer } = await import('testcontainers');
      const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).withStartupTimeout(30_000).start();
      url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
      stop = async () => {
        await container.stop();
      };
    } catch {
      // No Docker engine here: fall through to a local redis-server.
    }
  }
  if (url === undefined && process.env.REDIS_URL !== undefined) url = process.env.REDIS_URL;
  if (url === undefined) {
    const server: RedisServerProcess = await startRedisServer();
    url = server.url;
    stop = () => server.stop();
  }
  project.provide('redisUrl', url);
  const cacheHome = project.config.provide.cacheHome;
  return async () => {
    await stop();
    if (cacheHome !== undefined) await rm(cacheHome, { recursive: true, force: true });
  };
}
