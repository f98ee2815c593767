import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { consoleLogger } from '@orrery/server';
import { registryConformance } from '@orrery/server/testing';
import { redisRegistry } from '@orrery/redis';
import { startRedis, type RedisProcess } from './support/redis-servers.js';

let redis: RedisProcess;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });

registryConformance({ describe, it, beforeEach, afterEach }, 'redis (single)', async () => ({
  node: async () => {
    const node = redisRegistry({ redis: redis.url, leaseMs: 2_000, logger: consoleLogger('error') });
    await node.ready();
    return node;
  },
  close: async () => {},
}));
