import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServerProcess } from '../../src/redis/redis-server-process.js';

/** Redis Cluster has 16384 hash slots, split here between the masters. */
const SLOT_COUNT = 16_384;

export interface RedisClusterProcess {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, what openConnection() takes. */
  readonly url: string;
  /** Port of each master on 127.0.0.1, in start order. */
  readonly ports: number[];
  /** Stop every node and remove their data directories. */
  stop(): Promise<void>;
}

function directClient(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2_000 });
  client.on('error', () => undefined);
  return client;
}

async function clusterInfo(client: Redis): Promise<Map<string, string>> {
  const text = String(await client.call('CLUSTER', 'INFO'));
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

/**
 * Wait until every node reports `cluster_state:ok`, knows all masters, and sees all 16384 slots
 * assigned: only then does a client find every slot on its first CLUSTER SLOTS.
 */
async function waitForClusterOk(clients: Redis[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const infos = await Promise.all(clients.map((c) => clusterInfo(c)));
    const ready = infos.every(
      (info) =>
        info.get('cluster_state') === 'ok' &&
        info.get('cluster_slots_ok') === String(SLOT_COUNT) &&
        info.get('cluster_known_nodes') === String(clients.length),
    );
    if (ready) return;
    last = infos.map((info) => `${info.get('cluster_state') ?? '?'}/${info.get('cluster_known_nodes') ?? '?'} nodes`).join(', ');
    if (Date.now() > deadline) throw new Error(`Redis Cluster did not reach cluster_state:ok within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Start a Redis Cluster of `masters` redis-server processes (no replicas) on free loopback ports, each
 * in a temporary directory of its own, and form it with CLUSTER ADDSLOTS / SET-CONFIG-EPOCH / MEET (what
 * `redis-cli --cluster create` does, without needing redis-cli). Resolves once every node says
 * `cluster_state:ok`. On any failure, the nodes already started are stopped.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcess> {
  const nodes: RedisServerProcess[] = [];
  const clients: Redis[] = [];
  const stopAll = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(nodes.splice(0).map((node) => node.stop().catch(() => undefined)));
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      const port = await freePort();
      nodes.push(
        await startRedisServer({
          port,
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'],
        }),
      );
    }
    const ports = nodes.map((node) => node.port);
    clients.push(...ports.map((port) => directClient(port)));

    // Contiguous slot ranges, one per master; distinct config epochs so no epoch collision has to be resolved.
    for (const [i, client] of clients.entries()) {
      const first = Math.floor((i * SLOT_COUNT) / masters);
      const last = Math.floor(((i + 1) * SLOT_COUNT) / masters) - 1;
      const slots = Array.from({ length: last - first + 1 }, (_, k) => first + k);
      await client.call('CLUSTER', 'ADDSLOTS', ...slots);
      await client.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    }
    const [first] = clients;
    if (first === undefined) throw new Error('a Redis Cluster needs at least one node');
    for (const port of ports.slice(1)) await first.call('CLUSTER', 'MEET', '127.0.0.1', port);
    await waitForClusterOk(clients, 30_000);
    for (const client of clients.splice(0)) client.disconnect();

    return {
      url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
      ports,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
