/**
 * The in-memory presence store: the embedded default for one process, and the reference
 * semantics of every other store. Several nodes may share one {@link MemoryHub} (the same hub
 * their `memoryRegistry({ hub })` uses) to simulate a cluster in one process: they then see
 * each other's rows, and a node that closes takes its rows with it.
 *
 * Writes apply synchronously and in order; watchers hear about each change at once.
 */
import { createMemoryHub, type MemoryHub } from '../registry/memory.js';
import type { RegistryBackend } from '../registry/types.js';
import { createPresence, type CreatePresenceOptions, type Presence } from './presence.js';
import { closedError } from './options.js';
import type { GroupWatcher, PresenceOp, PresenceRow, PresenceStore, PresenceStoreFactory, StoreLimits } from './types.js';

/** One group's rows on every node of the hub. */
interface HubGroup {
  readonly rows: Map<string, PresenceRow>;
  /** Key → number of rows with that key. */
  readonly keys: Map<string, number>;
  readonly watchers: Set<GroupWatcher>;
}

type HubState = Map<string, HubGroup>;

const hubs = new WeakMap<MemoryHub, HubState>();

function hubState(hub: MemoryHub): HubState {
  let state = hubs.get(hub);
  if (state === undefined) hubs.set(hub, (state = new Map()));
  return state;
}

/** The store of one in-memory node; `hub` shares rows with the other nodes of that hub. */
export function memoryPresenceStore(hub: MemoryHub): PresenceStoreFactory {
  return (host, limits) => new MemoryPresenceStore(hubState(hub), host.nodeId, limits);
}

const gkey = (ns: string, group: string): string => `${ns.length}:${ns}:${group}`;

class MemoryPresenceStore implements PresenceStore {
  readonly kind = 'memory';
  private readonly watching = new Map<string, GroupWatcher>();
  private closed = false;

  constructor(private readonly groups: HubState, private readonly nodeId: string, private readonly limits: StoreLimits) {}

  write(ns: string, group: string, ops: readonly PresenceOp[]): Promise<readonly number[]> {
    if (this.closed) return closedError();
    const id = gkey(ns, group);
    const g = this.group(id);
    const refused: number[] = [];
    ops.forEach((op, i) => {
      if (op.op === 'untrack') {
        this.remove(g, op.ref);
        return;
      }
      const old = g.rows.get(op.ref);
      if (old?.key !== op.key && !this.admits(g, op.key)) {
        refused.push(i);
        return;
      }
      if (old !== undefined) this.remove(g, op.ref);
      const row: PresenceRow = { ref: op.ref, node: this.nodeId, key: op.key, meta: op.meta, metaJson: op.metaJson };
      g.rows.set(op.ref, row);
      g.keys.set(op.key, (g.keys.get(op.key) ?? 0) + 1);
      for (const w of g.watchers) w.set(row);
    });
    this.forgetIfEmpty(id, g);
    return Promise.resolve(refused);
  }

  list(ns: string, group: string): Promise<PresenceRow[]> {
    if (this.closed) return closedError();
    return Promise.resolve([...(this.groups.get(gkey(ns, group))?.rows.values() ?? [])]);
  }

  count(ns: string, group: string): Promise<number> {
    if (this.closed) return closedError();
    return Promise.resolve(this.groups.get(gkey(ns, group))?.keys.size ?? 0);
  }

  watch(ns: string, group: string, watcher: GroupWatcher): Promise<void> {
    if (this.closed) return closedError();
    const id = gkey(ns, group);
    const g = this.group(id);
    const previous = this.watching.get(id);
    if (previous !== undefined) g.watchers.delete(previous);
    this.watching.set(id, watcher);
    g.watchers.add(watcher);
    watcher.reset([...g.rows.values()]);
    return Promise.resolve();
  }

  unwatch(ns: string, group: string): void {
    const id = gkey(ns, group);
    const watcher = this.watching.get(id);
    if (watcher === undefined) return;
    this.watching.delete(id);
    const g = this.groups.get(id);
    if (g === undefined) return;
    g.watchers.delete(watcher);
    this.forgetIfEmpty(id, g);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.watching.keys()]) {
      const g = this.groups.get(id);
      if (g !== undefined) g.watchers.delete(this.watching.get(id)!);
    }
    this.watching.clear();
    for (const [id, g] of [...this.groups]) {
      let had = false;
      for (const row of [...g.rows.values()]) if (row.node === this.nodeId) {
        this.remove(g, row.ref, false);
        had = true;
      }
      if (had) for (const w of g.watchers) w.dropNode(this.nodeId);
      this.forgetIfEmpty(id, g);
    }
  }

  /** Whether a row of `key` may be added (limits). */
  private admits(g: HubGroup, key: string): boolean {
    const n = g.keys.get(key) ?? 0;
    if (n === 0) return g.keys.size < this.limits.maxMembers;
    return n < this.limits.maxConnectionsPerKey;
  }

  private remove(g: HubGroup, ref: string, notify = true): void {
    const old = g.rows.get(ref);
    if (old === undefined) return;
    g.rows.delete(ref);
    const n = (g.keys.get(old.key) ?? 1) - 1;
    if (n === 0) g.keys.delete(old.key);
    else g.keys.set(old.key, n);
    if (notify) for (const w of g.watchers) w.delete(ref);
  }

  private group(id: string): HubGroup {
    let g = this.groups.get(id);
    if (g === undefined) this.groups.set(id, (g = { rows: new Map(), keys: new Map(), watchers: new Set() }));
    return g;
  }

  private forgetIfEmpty(id: string, g: HubGroup): void {
    if (g.rows.size === 0 && g.watchers.size === 0 && this.groups.get(id) === g) this.groups.delete(id);
  }
}

/** Options of {@link memoryPresence}. */
export interface MemoryPresenceOptions extends CreatePresenceOptions {
  /**
   * Share presence with the other in-memory nodes of this hub (give each node's
   * `memoryRegistry` the same hub).
   * @default a hub of its own
   */
  hub?: MemoryHub;
}

/**
 * Presence for one process (or simulated nodes sharing a hub), over any registry backend.
 *
 * @example
 * const presence = memoryPresence(memoryRegistry());
 * createWebsocketServer({ port: 3000, routes, registry: presence.registry });
 */
export function memoryPresence<Meta = unknown>(registry: RegistryBackend, options: MemoryPresenceOptions = {}): Presence<Meta> {
  const { hub = createMemoryHub(), ...rest } = options;
  return createPresence<Meta>(registry, memoryPresenceStore(hub), rest);
}
