/**
 * `createPresence`: presence over a registry backend, and the API handlers use.
 *
 * Presence follows the registry's lifecycle: the registry backend given here is wrapped so
 * that every `removeMember` — what a connection's end does, however it ends — also removes
 * the member's presence. So the server must be given `presence.registry`, not the backend
 * itself (tracking a connection of a server that was not is refused with a message that
 * says so).
 */
import { OrreryError } from '@orrery/protocol';
import { Conn } from '../conn.js';
import { consoleLogger, type Logger } from '../observability.js';
import type { RegistryBackend, RegistryNamespace } from '../registry/types.js';
import { assertName } from '../registry/validate.js';
import { toMember, type Registrant } from '../registry/view.js';
import { PresenceNode } from './node.js';
import { checkTrack, closedError, resolvePresenceOptions, type PresenceOptions, type ResolvedPresenceOptions } from './options.js';
import { groupByKey } from './table.js';
import type { PresenceMember, PresenceStoreFactory, UnsubscribeResult, UntrackResult } from './types.js';

/** A connection, as the presence shortcuts take it. */
export type PresenceConn = Conn<object, never>;

/** Something that names a registry namespace: its name, a route definition, or a connection of it. */
export type NamespaceTarget = string | { readonly path: string; readonly options: { readonly name?: string } } | PresenceConn;

/** Presence in one namespace (one route). */
export interface PresenceView<Meta = unknown> {
  readonly namespace: string;
  /**
   * Track `who` in `group` under `key` with `meta` (default `null`). Tracking it again with
   * the same key updates the metadata; with another key moves it (it leaves the old key).
   * Resolves once the cluster has it; rejects with `ORRERY_PRESENCE_FULL` past a limit (then
   * it is not tracked) or `ORRERY_REGISTRY_UNAVAILABLE`.
   * @throws OrreryError `ORRERY_INVALID_NAME` (group or key), `ORRERY_NOT_SERIALIZABLE`,
   *   `ORRERY_PRESENCE_META_TOO_LARGE`, `ORRERY_NOT_A_MEMBER` — synchronously, nothing tracked
   */
  track(who: Registrant, group: string, key: string, meta?: Meta): Promise<'ok'>;
  /** Replace the metadata of a tracked `who`; `'not_tracked'` when it is not tracked in `group`. */
  update(who: Registrant, group: string, meta: Meta): Promise<'ok' | 'not_tracked'>;
  /** Stop tracking `who` in `group` (its end does that anyway). */
  untrack(who: Registrant, group: string): Promise<UntrackResult>;
  /**
   * Deliver `presence_state` to `who` (through `deliver`, like a registry message), then a
   * `presence_diff` at most once per `diffIntervalMs` while the group changes. Idempotent.
   * Resolves once the state was delivered.
   */
  subscribe(who: Registrant, group: string): Promise<'ok'>;
  /** Stop the diffs (its end does that anyway). */
  unsubscribe(who: Registrant, group: string): Promise<UnsubscribeResult>;
  /** Every member of `group` with each connection's metadata, on every node (in no particular order). */
  list(group: string): Promise<PresenceMember<Meta>[]>;
  /** The number of members (distinct keys) of `group`, on every node. */
  count(group: string): Promise<number>;
  /** What this node holds in this namespace: tracked connections, subscribers, groups. */
  localSize(): { tracked: number; subscribers: number; groups: number };
}

/**
 * Presence on one node. Give `presence.registry` to `createWebsocketServer`.
 *
 * @example
 * const presence = memoryPresence(memoryRegistry());   // or redisPresence(redisRegistry(...))
 * const server = createWebsocketServer({ port: 3000, routes: [chat], registry: presence.registry });
 * // in init:
 * await presence.track(conn, 'room:lobby', conn.assigns.userId, { name: conn.assigns.name });
 * await presence.subscribe(conn, 'room:lobby');   // presence_state now, presence_diff later
 * // anywhere:
 * await presence.of(chat).count('room:lobby');
 */
export interface Presence<Meta = unknown> {
  /** The registry backend to give the server: the one passed in, whose member removals also end presence. */
  readonly registry: RegistryBackend;
  readonly options: ResolvedPresenceOptions;
  /** The store's kind (`'memory'`, `'redis'`). */
  readonly kind: string;
  /** Presence in one namespace. */
  of(target: NamespaceTarget): PresenceView<Meta>;
  /** `of(conn).track(conn, …)`. */
  track(conn: PresenceConn, group: string, key: string, meta?: Meta): Promise<'ok'>;
  /** `of(conn).update(conn, …)`. */
  update(conn: PresenceConn, group: string, meta: Meta): Promise<'ok' | 'not_tracked'>;
  /** `of(conn).untrack(conn, …)`. */
  untrack(conn: PresenceConn, group: string): Promise<UntrackResult>;
  /** `of(conn).subscribe(conn, …)`. */
  subscribe(conn: PresenceConn, group: string): Promise<'ok'>;
  /** `of(conn).unsubscribe(conn, …)`. */
  unsubscribe(conn: PresenceConn, group: string): Promise<UnsubscribeResult>;
  /** Remove this node's rows from the cluster and stop; `registry.close()` does it too. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createPresence}. */
export interface CreatePresenceOptions extends PresenceOptions {
  /** Where faults are reported. @default consoleLogger('warn') */
  logger?: Logger;
}

/**
 * Presence over `registry`, its cluster state in the store `factory` builds. Backends offer a
 * ready-made call: `memoryPresence` here, `redisPresence` in `@orrery/redis`.
 */
export function createPresence<Meta = unknown>(registry: RegistryBackend, factory: PresenceStoreFactory, options: CreatePresenceOptions = {}): Presence<Meta> {
  if (registry instanceof PresenceRegistry) {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', 'createPresence: this registry already has presence; use that presence object');
  }
  const resolved = resolvePresenceOptions(options);
  const node = new PresenceNode(registry.nodeId, factory, resolved, options.logger ?? consoleLogger('warn'));
  const wrapped = new PresenceRegistry(registry, node);
  const views = new Map<string, PresenceView<Meta>>();
  const of = (target: NamespaceTarget): PresenceView<Meta> => {
    const name = namespaceOf(target, wrapped);
    let view = views.get(name);
    if (view === undefined) views.set(name, (view = createView<Meta>(name, node)));
    return view;
  };
  return {
    registry: wrapped,
    options: resolved,
    kind: node.store.kind,
    of,
    track: (conn, group, key, meta) => of(conn).track(conn, group, key, meta),
    update: (conn, group, meta) => of(conn).update(conn, group, meta),
    untrack: (conn, group) => of(conn).untrack(conn, group),
    subscribe: (conn, group) => of(conn).subscribe(conn, group),
    unsubscribe: (conn, group) => of(conn).unsubscribe(conn, group),
    close: () => node.close(),
  };
}

/**
 * Mark a returned promise handled: handler code often fires presence calls without `await`,
 * and an unhandled rejection would crash Node. Failures are logged where they happen (the
 * Redis store reports every failed call); the caller that awaits still gets the rejection.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function createView<Meta>(ns: string, node: PresenceNode): PresenceView<Meta> {
  const max = node.options.maxMetaBytes;
  return {
    namespace: ns,
    track: (who, group, key, meta) => {
      assertName(group, 'group');
      const value = meta === undefined ? null : meta;
      const json = checkTrack(key, value, max);
      return handled(node.track(ns, group, toMember(who, 'track'), key, value, json));
    },
    update: (who, group, meta) => {
      assertName(group, 'group');
      const member = toMember(who, 'update');
      const key = node.trackedKey(ns, group, member);
      if (node.closed) return handled(closedError());
      if (key === undefined) return Promise.resolve('not_tracked');
      const value = meta === undefined ? null : meta;
      return handled(node.track(ns, group, member, key, value, checkTrack(key, value, max)));
    },
    untrack: (who, group) => {
      assertName(group, 'group');
      return handled(node.untrack(ns, group, toMember(who, 'untrack')));
    },
    subscribe: (who, group) => {
      assertName(group, 'group');
      return handled(node.subscribe(ns, group, toMember(who, 'subscribe')));
    },
    unsubscribe: (who, group) => {
      assertName(group, 'group');
      return node.unsubscribe(ns, group, toMember(who, 'unsubscribe'));
    },
    list: (group) => {
      assertName(group, 'group');
      if (node.closed) return handled(closedError());
      return handled(node.store.list(ns, group).then((rows) => groupByKey(rows, (r) => r.key, (r) => ({ id: r.ref, meta: r.meta as Meta }))));
    },
    count: (group) => {
      assertName(group, 'group');
      return handled(node.closed ? closedError() : node.store.count(ns, group));
    },
    localSize: () => node.localSize(ns),
  };
}

function namespaceOf(target: NamespaceTarget, registry: PresenceRegistry): string {
  if (typeof target === 'string') return target;
  if (target instanceof Conn) {
    const name = target.registry.namespace;
    if (!registry.serves(name)) {
      throw new OrreryError(
        'ORRERY_INVALID_OPTIONS',
        `presence: connection ${target.id} belongs to a server that does not use presence.registry; pass registry: presence.registry to createWebsocketServer, or a connection's end would not end its presence`,
      );
    }
    return name;
  }
  return target.options.name ?? target.path;
}

/** The registry backend with presence: every member removal ends the member's presence too. */
class PresenceRegistry implements RegistryBackend {
  readonly kind: string;
  readonly nodeId: string;
  private readonly views = new Map<string, RegistryNamespace>();

  constructor(private readonly inner: RegistryBackend, private readonly node: PresenceNode) {
    this.kind = inner.kind;
    this.nodeId = inner.nodeId;
  }

  /** Whether a server asked for namespace `name` (so its connections' ends reach presence). */
  serves(name: string): boolean {
    return this.views.has(name);
  }

  namespace(name: string): RegistryNamespace {
    let view = this.views.get(name);
    if (view === undefined) this.views.set(name, (view = withPresence(this.inner.namespace(name), this.node)));
    return view;
  }

  async close(): Promise<void> {
    await this.node.close();
    await this.inner.close();
  }
}

function withPresence(ns: RegistryNamespace, node: PresenceNode): RegistryNamespace {
  const name = ns.name;
  return {
    name,
    register: (n, member) => ns.register(n, member),
    unregister: (n, member) => ns.unregister(n, member),
    sendMessage: (n, message) => ns.sendMessage(n, message),
    join: (group, member) => ns.join(group, member),
    leave: (group, member) => ns.leave(group, member),
    publish: (group, message) => ns.publish(group, message),
    removeMember: (member) => {
      ns.removeMember(member);
      node.removeMember(name, member);
    },
    localSize: () => ns.localSize(),
  };
}
