/**
 * The registry as handlers and application code use it: one route's namespace, taking
 * connections (or other members) as arguments, typed by the route's message type `M`.
 */
import { OrreryError } from '@orrery/protocol';
import { Conn, memberOfConn } from '../conn.js';
import type {
  LeaveResult,
  RegisterResult,
  RegistryMember,
  RegistryNamespace,
  UnregisterResult,
} from './types.js';

/** Who can hold names and join groups: a connection (from `init` on) or a custom member. */
export type Registrant = Conn<object, never> | RegistryMember;

/** Unique names (antikythera `Registry.Unique`). */
export interface UniqueRegistry<M> {
  /** `'ok'` (also when `who` already holds `name`), or `'taken'` by another live member. */
  register(name: string, who: Registrant): Promise<RegisterResult>;
  /** Give a name back before termination (termination frees every name anyway). */
  unregister(name: string, who: Registrant): Promise<UnregisterResult>;
  /** `true` when `name` is held (delivery is then attempted), `false` when not. */
  sendMessage(name: string, message: M): Promise<boolean>;
}

/** Groups (antikythera `Registry.Group`). */
export interface GroupRegistry<M> {
  /** Idempotent. */
  join(group: string, who: Registrant): Promise<'ok'>;
  /** `'ok'`, or `'not_in_group'`. */
  leave(group: string, who: Registrant): Promise<LeaveResult>;
  /** Deliver to every member across the cluster; resolves to the number of intended recipients. */
  publish(group: string, message: M): Promise<number>;
}

/**
 * One route's registry namespace.
 *
 * @example
 * // in init: make the connection reachable
 * await conn.registry.unique.register(`user:${conn.assigns.userId}`, conn);
 * await conn.registry.group.join(`room:${conn.pathParams.room}`, conn);
 * // anywhere (an HTTP route, a timer): reach it
 * await server.registry('chat').group.publish('room:lobby', { text: 'hi' });
 */
export interface Registry<M = unknown> {
  readonly namespace: string;
  readonly unique: UniqueRegistry<M>;
  readonly group: GroupRegistry<M>;
  /** Remove a custom member from every name and group (connections are removed on termination). */
  removeMember(member: RegistryMember): void;
}

/** Build the public view over one backend namespace. */
export function createRegistryView<M>(ns: RegistryNamespace): Registry<M> {
  return {
    namespace: ns.name,
    unique: {
      register: (name, who) => ns.register(name, toMember(who, 'register')),
      unregister: (name, who) => ns.unregister(name, toMember(who, 'unregister')),
      sendMessage: (name, message) => ns.sendMessage(name, message),
    },
    group: {
      join: (group, who) => ns.join(group, toMember(who, 'join')),
      leave: (group, who) => ns.leave(group, toMember(who, 'leave')),
      publish: (group, message) => ns.publish(group, message),
    },
    removeMember: (member) => ns.removeMember(member),
  };
}

/** The registry member behind `who`; throws `ORRERY_NOT_A_MEMBER` (used by presence too). */
export function toMember(who: Registrant, op: string): RegistryMember {
  if (who instanceof Conn) {
    const member = memberOfConn(who);
    if (member === undefined) {
      throw new OrreryError(
        'ORRERY_NOT_A_MEMBER',
        `cannot ${op} connection ${who.id}: it is not live (registry calls work from init until terminate, not in connect)`,
      );
    }
    return member;
  }
  if (typeof who === 'object' && who !== null && typeof who.id === 'string' && typeof who.deliver === 'function') {
    return who;
  }
  throw new OrreryError('ORRERY_NOT_A_MEMBER', `cannot ${op}: expected a Conn or a RegistryMember`);
}
