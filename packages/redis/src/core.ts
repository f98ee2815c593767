/**
 * What a namespace needs from its node: the key layout, guarded Redis calls, subscriptions,
 * safe local delivery. Implemented by the registry node (`registry.ts`).
 */
import type { OrreryError } from '@orrery/protocol';
import type { RegistryMember } from '@orrery/server';
import type { KeyLayout } from './keys.js';
import type { RedisNamespace } from './namespace.js';
import type { Script } from './scripts.js';
import type { Subscriptions } from './subscriptions.js';

/** Options of {@link NodeCore.exec}. */
export interface ExecOptions {
  /** Appended to the error message. */
  readonly detail?: string;
  /**
   * Counts against `maxInFlight`. Application calls do; the writes that mirror a give-up
   * (`leave`, `unregister`, a connection's end) do not: their number is bounded by what the
   * node holds, and refusing them would only leave work for the next sync.
   * @default true
   */
  readonly bounded?: boolean;
}

/** A group channel this node is subscribed to, and whose it is. */
export interface ChannelOwner {
  readonly ns: RedisNamespace;
  readonly group: string;
}

/** The node-level services a {@link RedisNamespace} uses. */
export interface NodeCore {
  readonly nodeId: string;
  readonly keys: KeyLayout;
  readonly subscriptions: Subscriptions;
  /** Group channel → its namespace and group, for incoming messages. */
  readonly channels: Map<string, ChannelOwner>;
  isClosed(): boolean;
  /**
   * Run a bucket script (KEYS[1] = the bucket's nodes hash, ARGV[1..2] = tag and node id are
   * prepended). A `-1` answer (this node's lease is missing in the bucket) syncs the bucket
   * and retries once. Failures reject with `ORRERY_REGISTRY_UNAVAILABLE` (or `_CLOSED`) and are
   * logged.
   */
  exec(op: string, script: Script, bucket: number, keys: readonly string[], args: readonly (string | number)[], options?: ExecOptions): Promise<number>;
  /** An error from a Redis call as callers see it (`ORRERY_REGISTRY_UNAVAILABLE` / `_CLOSED`), logged. */
  wrap(op: string, err: unknown, detail?: string): OrreryError;
  /** Redis may disagree with this node about the bucket: sync it at the next heartbeat. */
  markDirty(bucket: number): void;
  /** Call `member.deliver(message)`; a throwing member is logged, never propagated. */
  deliver(member: RegistryMember, message: unknown): void;
}
