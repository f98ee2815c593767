/**
 * Presence: who is in a group, by key (a user id), across the cluster.
 *
 * The contract in brief (docs/presence.md has the whole of it):
 * - a connection (or any registry member) is *tracked* in a group under a key with small JSON
 *   metadata; several connections may share a key — a user with three tabs is one member;
 * - `list(group)` gives every member (key) with each of its connections' metadata, from every
 *   node; `count(group)` gives the number of members, cheaply;
 * - a *subscribed* member first receives a {@link PresenceStateMessage}, then at most one
 *   {@link PresenceDiffMessage} per interval while the group changes — never one message per
 *   change, and nothing at all for members that did not subscribe;
 * - everything a member tracked or subscribed to is removed when it leaves the registry
 *   (a connection's end, however it ends), exactly like its names and groups.
 *
 * Two layers, so that one node implementation serves every cluster backend:
 * - the node (`node.ts`) keeps this node's tracked connections and subscribers, batches
 *   writes per tick and diffs per interval;
 * - a {@link PresenceStore} holds the cluster-wide state: in memory (`memory.ts`) or in Redis
 *   (`@orrery/redis`). Stores run the conformance suite `presenceConformance`.
 */

export { PRESENCE_DIFF, PRESENCE_STATE } from '@orrery/protocol';
export type {
  PresenceDiffData,
  PresenceDiffMessage,
  PresenceEntry,
  PresenceMember,
  PresenceMessage,
  PresenceStateData,
  PresenceStateMessage,
} from '@orrery/protocol';

/** Result of untracking. */
export type UntrackResult = 'ok' | 'not_tracked';
/** Result of unsubscribing. */
export type UnsubscribeResult = 'ok' | 'not_subscribed';

/** One tracked connection as a store holds it. */
export interface PresenceRow {
  /** The member id. */
  readonly ref: string;
  /** The node that tracks it. */
  readonly node: string;
  readonly key: string;
  /** The metadata (a JSON value). */
  readonly meta: unknown;
  /** `JSON.stringify(meta)` when the store has it at hand (saves encoding it again). */
  readonly metaJson?: string;
}

/** One change a node writes to a store, in order. */
export type PresenceOp =
  | {
      readonly op: 'track';
      readonly ref: string;
      readonly key: string;
      readonly meta: unknown;
      /** `JSON.stringify(meta)`, computed once by the node (stores may keep the text). */
      readonly metaJson: string;
    }
  | { readonly op: 'untrack'; readonly ref: string };

/**
 * Receives one group's cluster-wide state from a store: `reset` with every row (first, and
 * again whenever the store had to reload), then single changes.
 */
export interface GroupWatcher {
  reset(rows: readonly PresenceRow[]): void;
  /** A row was added or replaced. */
  set(row: PresenceRow): void;
  /** A row went away (unknown refs are ignored). */
  delete(ref: string): void;
  /** Every row of `node` is now exactly `rows` (a node re-asserted its state). */
  replaceNode(node: string, rows: readonly PresenceRow[]): void;
  /** Every row of `node` went away (it died, or closed). */
  dropNode(node: string): void;
}

/** This node's tracked rows of one group, for a store that re-asserts them. */
export interface LocalGroupRows {
  readonly ns: string;
  readonly group: string;
  readonly rows: readonly Extract<PresenceOp, { op: 'track' }>[];
}

/** What a store may ask of its node. */
export interface PresenceStoreHost {
  readonly nodeId: string;
  /** Every row this node tracks, by group (for re-assertion after Redis lost them). */
  localGroups(): Iterable<LocalGroupRows>;
}

/** Limits a store enforces cluster-wide when a track adds a member or a connection. */
export interface StoreLimits {
  readonly maxMembers: number;
  readonly maxConnectionsPerKey: number;
}

/**
 * The cluster-wide presence state, as one node sees it. Implemented in memory (one process,
 * or several simulated nodes sharing a hub) and on Redis.
 */
export interface PresenceStore {
  /** e.g. `'memory'`, `'redis'`. */
  readonly kind: string;
  /**
   * Apply this node's `ops` to a group, in order, after earlier writes. Resolves with the
   * indexes of the track ops refused by a limit (nothing of those was written); rejects with
   * `ORRERY_REGISTRY_UNAVAILABLE` / `_CLOSED` when it could not be written (a store that
   * may have written part of it repairs that itself, from {@link PresenceStoreHost.localGroups}).
   */
  write(ns: string, group: string, ops: readonly PresenceOp[]): Promise<readonly number[]>;
  /** Every row of a group, on every live node. */
  list(ns: string, group: string): Promise<PresenceRow[]>;
  /** The number of distinct keys of a group, on every live node. */
  count(ns: string, group: string): Promise<number>;
  /** Follow a group: resolves once `watcher.reset` had the current rows; changes follow. */
  watch(ns: string, group: string, watcher: GroupWatcher): Promise<void>;
  /** Stop following a group. */
  unwatch(ns: string, group: string): void;
  /** Remove this node's rows from the cluster and release everything. */
  close(): Promise<void>;
}

/** Builds a node's store, once the node exists (it is the store's host). */
export type PresenceStoreFactory = (host: PresenceStoreHost, limits: StoreLimits) => PresenceStore;
