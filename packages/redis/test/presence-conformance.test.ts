import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { consoleLogger } from '@orrery/server';
import { presenceConformance } from '@orrery/server/testing';
import { redisPresence, redisRegistry } from '@orrery/redis';
import { startRedis, startRedisCluster, type RedisClusterProcess, type RedisProcess } from './support/redis-servers.js';

let redis: RedisProcess;
let cluster: RedisClusterProcess;
beforeAll(async () => { [redis, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]); });
afterAll(async () => { await Promise.all([redis?.stop(), cluster?.stop()]); });

presenceConformance({ describe, it, beforeEach, afterEach }, 'redis (single)', async () => ({
  node: async (options) => {
    const registry = redisRegistry({ redis: redis.url, leaseMs: 2_000, logger: consoleLogger('error') });
    await registry.ready();
    return redisPresence(registry, options);
  },
  close: async () => {},
}));

presenceConformance({ describe, it, beforeEach, afterEach }, 'redis cluster (3 masters)', async () => ({
  node: async (options) => {
    const registry = redisRegistry({ cluster: cluster.nodes, leaseMs: 2_000, logger: consoleLogger('error') });
    await registry.ready();
    return redisPresence(registry, options);
  },
  close: async () => {},
}));
