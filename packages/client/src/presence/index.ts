/**
 * @orrery/client/presence — who is in a group, kept in sync on the client: the presence
 * message schemas for a shared protocol, and {@link syncPresence} with member-level
 * onJoin / onLeave / onUpdate / onSync. A separate entry point, so that apps without
 * presence do not carry it. See docs/presence.md.
 *
 * @example
 * // protocol.ts (shared with the server); presenceMessages is also exported by @orrery/protocol
 * export const chat = defineProtocol({ server: { said: Said, ...presenceMessages(z.object({ name: z.string() })) } });
 * // browser
 * const client = createWebsocketClient(chat, { url: '/chat' });
 * const online = syncPresence(client, 'room:lobby');
 * online.onSync((members) => render(members.map((m) => m.metas[0]!.meta.name)));
 */
export { presenceMessages, PRESENCE_DIFF, PRESENCE_STATE } from '@orrery/protocol';
export type { PresenceDiffData, PresenceEntry, PresenceMember, PresenceMessageSchemas, PresenceStateData } from '@orrery/protocol';
export { syncPresence } from './sync.js';
export type { PresenceChange, PresenceClient, PresenceMetaOf, PresenceSync } from './sync.js';
