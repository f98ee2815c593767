/**
 * `redisPresence()`: presence across every node of a Redis registry, on the registry's own
 * connections. See docs/presence.md.
 */
import { OrreryError } from '@orrery/protocol';
import { createPresence, type Presence, type PresenceOptions } from '@orrery/server/presence';
import { presenceHostOf } from './presence-host.js';
import { RedisPresenceStore } from './presence-store.js';
import type { RedisRegistry } from './registry.js';

/**
 * Presence for a Redis registry node: rows in Redis, held by this node's lease (a dead node's
 * members leave within its lease, and the other nodes' subscribers see them leave), re-asserted
 * after a Redis restart, limits checked cluster-wide. Give `presence.registry` to the server;
 * closing it (or the Redis registry) removes this node's members at once.
 *
 * @example
 * import { redisRegistry, redisPresence } from '@orrery/redis';
 * const presence = redisPresence(redisRegistry({ redis: process.env.REDIS_URL }), { diffIntervalMs: 500 });
 * const server = createWebsocketServer({ port: 3000, routes, registry: presence.registry });
 * // on shutdown: await server.close(); await presence.registry.close();
 */
export function redisPresence<Meta = unknown>(registry: RedisRegistry, options: PresenceOptions = {}): Presence<Meta> {
  const host = presenceHostOf(registry);
  if (host === undefined) {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', 'redisPresence: pass the registry redisRegistry() returned (not a wrapper or another backend)');
  }
  let store: RedisPresenceStore | undefined;
  const presence = createPresence<Meta>(registry, (node, limits) => (store = new RedisPresenceStore(host, node, limits)), {
    ...options,
    logger: { debug: () => {}, info: () => {}, warn: (m, f) => host.faults.warn('presence-deliver', m, f), error: (m, f) => host.faults.error(m, f) },
  });
  const attached = store!;
  host.attach({
    onMessage: (channel, payload) => attached.onMessage(channel, payload),
    onReasserted: () => attached.onReasserted(),
    close: () => presence.close(),
  });
  return presence;
}
