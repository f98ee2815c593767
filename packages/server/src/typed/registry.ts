/**
 * `typedRegistry`: a route's registry whose `publish` and `sendMessage` take the protocol's
 * server messages and check them at run time before anything is sent — for code outside a
 * typed handler (an HTTP route, a job, a tRPC procedure).
 */
import { assertServerMessage, type AnyProtocol, type ServerMessage } from '@orrery/protocol';
import type { Registry } from '../registry/view.js';

/**
 * Wrap `registry` so that every message is checked against `protocol` (name and schema,
 * synchronously) before it is published or sent. A bad message throws `ORRERY_INVALID_MESSAGE`
 * at the call, before anything is sent — instead of failing at every recipient.
 *
 * @example
 * const lobby = typedRegistry(chat, server.registry(chatRoute));
 * await lobby.group.publish('lobby', { name: 'said', data: { from: 'system', text: 'hi', at: Date.now() } });
 */
export function typedRegistry<P extends AnyProtocol>(protocol: P, registry: Registry<unknown> | Registry<ServerMessage<P>>): Registry<ServerMessage<P>> {
  const inner = registry as Registry<unknown>;
  return {
    namespace: inner.namespace,
    unique: {
      register: (name, who) => inner.unique.register(name, who),
      unregister: (name, who) => inner.unique.unregister(name, who),
      sendMessage: (name, message) => {
        assertServerMessage(protocol, message, 'unique.sendMessage');
        return inner.unique.sendMessage(name, message);
      },
    },
    group: {
      join: (group, who) => inner.group.join(group, who),
      leave: (group, who) => inner.group.leave(group, who),
      publish: (group, message) => {
        assertServerMessage(protocol, message, 'group.publish');
        return inner.group.publish(group, message);
      },
    },
    removeMember: (member) => inner.removeMember(member),
  };
}
