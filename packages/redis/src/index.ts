/**
 * @orrery/redis — the Orrery registry across many processes, on one Redis or a Redis Cluster.
 *
 * Unique names are owned atomically by a node, which holds a lease renewed by heartbeat: a
 * dead node's names free themselves when its lease lapses. Groups travel over sharded
 * pub/sub; a node subscribes to a group's channel only while it has local members. Local
 * members are reached without Redis. Two Redis connections per node (per master on a
 * cluster), whatever the number of connections, names and groups.
 *
 * @example
 * import { createWebsocketServer, route } from '@orrery/server';
 * import { redisRegistry } from '@orrery/redis';
 * const registry = redisRegistry({ redis: 'redis://10.0.0.5:6379' });
 * // or: redisRegistry({ cluster: [{ host: '10.0.0.5', port: 7000 }, { host: '10.0.0.6', port: 7000 }] })
 * await registry.ready();
 * const server = createWebsocketServer({ port: 3000, routes: [route('/chat', chatHandler)], registry });
 */
export { redisRegistry } from './registry.js';
export type { RedisRegistry, RedisRegistryStatus } from './registry.js';
export { redisPresence } from './presence.js';
export { redisRegistryDefaults } from './options.js';
export type { RedisRegistryOptions } from './options.js';
