/**
 * The registry contract every backend implements (in-memory, Redis, Redis Cluster).
 *
 * The in-memory backend is the reference semantics; `@orrery/server/testing` exports the
 * conformance suite every backend must pass. Semantics (DESIGN §3, after antikythera's
 * `Registry.Unique` and `Registry.Group`):
 *
 * - `register(name, member)` → `'ok'`, or `'taken'` when another live member holds the name;
 *   the same member again → `'ok'`; a member may hold several names.
 * - `sendMessage(name, message)` → `true` when the name was found (delivery is then attempted),
 *   `false` when not.
 * - `join` is idempotent; `leave` → `'ok'` or `'not_in_group'`.
 * - `publish(group, message)` → the number of intended recipients across the cluster; FIFO
 *   per publisher per group.
 * - `removeMember(member)` drops every name and group of the member (connections call it on
 *   termination, however they end).
 *
 * Invalid arguments (bad names, non-JSON messages) throw an `OrreryError` synchronously, before
 * anything is sent; cluster faults reject the returned promise with `ORRERY_REGISTRY_UNAVAILABLE`.
 */

/** Something the registry can deliver to: a live connection, or e.g. a tRPC subscription. */
export interface RegistryMember {
  /** Unique across the cluster for the member's lifetime. */
  readonly id: string;
  /** Deliver one message. Must not throw; called synchronously for local members. */
  deliver(message: unknown): void;
}

/** Result of a unique-name registration. */
export type RegisterResult = 'ok' | 'taken';
/** Result of removing a unique name. */
export type UnregisterResult = 'ok' | 'not_registered';
/** Result of leaving a group. */
export type LeaveResult = 'ok' | 'not_in_group';

/** One namespace (one route) of a registry backend. */
export interface RegistryNamespace {
  readonly name: string;
  register(name: string, member: RegistryMember): Promise<RegisterResult>;
  unregister(name: string, member: RegistryMember): Promise<UnregisterResult>;
  sendMessage(name: string, message: unknown): Promise<boolean>;
  join(group: string, member: RegistryMember): Promise<'ok'>;
  leave(group: string, member: RegistryMember): Promise<LeaveResult>;
  publish(group: string, message: unknown): Promise<number>;
  /** Remove every name and group membership of `member` in this namespace. Never throws. */
  removeMember(member: RegistryMember): void;
  /** Local sizes, for metrics: names and group memberships held by members on this node. */
  localSize(): { names: number; groups: number; memberships: number };
}

/** A registry backend: a set of namespaces on one node. */
export interface RegistryBackend {
  /** e.g. `'memory'`, `'redis'`. */
  readonly kind: string;
  /** This node's id (unique in the cluster). */
  readonly nodeId: string;
  /** The namespace of that name, created on first use. */
  namespace(name: string): RegistryNamespace;
  /** Release connections and timers. Further calls fail with `ORRERY_REGISTRY_CLOSED`. */
  close(): Promise<void>;
}
