/**
 * How presence plugs into a Redis registry node without connections of its own: the node
 * hands it a {@link PresenceHost} — guarded calls on the node's command connection, shard
 * subscriptions on its subscriber connection, its key layout, lease timing and fault reporter
 * — and presence attaches a {@link RegistryExtension} that the node calls for messages on
 * channels it does not know, after it re-asserted itself, and first thing when it closes.
 *
 * Internal to `@orrery/redis` (not exported from the package).
 */
import type { FaultReporter } from './faults.js';
import type { KeyLayout } from './keys.js';
import type { Script } from './scripts.js';

/** What the node does for presence. */
export interface PresenceHost {
  readonly nodeId: string;
  readonly keys: KeyLayout;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly faults: FaultReporter;
  /**
   * A guarded script call on the command connection (the in-flight bound when `bounded`, the
   * command timeout); failures reject with `ORRERY_REGISTRY_UNAVAILABLE` / `_CLOSED`, logged.
   */
  call(op: string, script: Script, keys: readonly string[], args: readonly (string | number)[], bounded: boolean): Promise<unknown>;
  /** SSUBSCRIBE (once per channel); resolves when Redis confirmed it. */
  subscribe(channel: string): Promise<void>;
  /** Drop the wish to hear `channel` and unsubscribe. */
  unsubscribe(channel: string): void;
  isClosed(): boolean;
  /** True while the node holds its lease and Redis answers (`status === 'ready'`). */
  isReady(): boolean;
  /** Plug in (one extension per node). */
  attach(extension: RegistryExtension): void;
}

/** What the node calls on presence. */
export interface RegistryExtension {
  /** A message on a channel the registry does not own; `true` when the extension took it. */
  onMessage(channel: string, payload: string): boolean;
  /** The node reconnected and re-asserted its lease in every bucket. */
  onReasserted(): void;
  /** The node is closing: finish and remove this node's state (before the node retires). */
  close(): Promise<void>;
}

const hosts = new WeakMap<object, PresenceHost>();

/** Called by the registry node on itself. */
export function exposePresenceHost(registry: object, host: PresenceHost): void {
  hosts.set(registry, host);
}

/** The host of a registry made by `redisRegistry()`, or undefined for anything else. */
export function presenceHostOf(registry: object): PresenceHost | undefined {
  return hosts.get(registry);
}
