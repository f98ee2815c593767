/**
 * @orrery/server/presence — who is in a group, by key (a user id), across the cluster: a user
 * with three tabs is one member; `list` and `count` see every node; subscribers get the state,
 * then one batched diff per interval. See docs/presence.md.
 *
 * @example
 * import { createWebsocketServer, memoryRegistry, route } from '@orrery/server';
 * import { memoryPresence } from '@orrery/server/presence';
 * const presence = memoryPresence(memoryRegistry());          // @orrery/redis: redisPresence(redisRegistry(...))
 * const chat = route('/chat', defineTypedHandler(chatProtocol, {
 *   init: async (conn) => {
 *     await presence.track(conn, 'lobby', conn.assigns.userId, { name: conn.assigns.name });
 *     await presence.subscribe(conn, 'lobby');                // presence_state, then presence_diff
 *     return [{}, []];
 *   },
 * }));
 * createWebsocketServer({ port: 3000, routes: [chat], registry: presence.registry });
 */
export { createPresence } from './presence.js';
export type { CreatePresenceOptions, NamespaceTarget, Presence, PresenceConn, PresenceView } from './presence.js';
export { memoryPresence, memoryPresenceStore } from './memory.js';
export type { MemoryPresenceOptions } from './memory.js';
export { presenceDefaults } from './options.js';
export type { PresenceOptions, ResolvedPresenceOptions } from './options.js';
export { PRESENCE_DIFF, PRESENCE_STATE } from './types.js';
export { presenceMessages } from '@orrery/protocol';
export type {
  GroupWatcher,
  LocalGroupRows,
  PresenceDiffData,
  PresenceDiffMessage,
  PresenceEntry,
  PresenceMember,
  PresenceMessage,
  PresenceOp,
  PresenceRow,
  PresenceStateData,
  PresenceStateMessage,
  PresenceStore,
  PresenceStoreFactory,
  PresenceStoreHost,
  StoreLimits,
  UnsubscribeResult,
  UntrackResult,
} from './types.js';
