import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { consoleLogger } from '@orrery/server';
import { registryConformance } from '@orrery/server/testing';
import { redisRegistry } from '@orrery/redis';
import { startRedisCluster, type RedisClusterProcess } from './support/redis-servers.js';

let cluster: RedisClusterProcess;
beforeAll(async () => { cluster = await startRedisCluster({ masters: 3 }); });
afterAll(async () => { await cluster?.stop(); });

registryConformance({ describe, it, beforeEach, afterEach }, 'redis cluster (3 masters)', async () => ({
  node: async () => {
    const node = redisRegistry({ cluster: cluster.nodes, leaseMs: 2_000, logger: consoleLogger('error') });
    await node.ready();
    return node;
  },
  close: async () => {},
}));
