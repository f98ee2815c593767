/**
 * `syncPresence`: a group's members kept in sync on the client from the server's
 * `presence_state` and `presence_diff` messages, with member-level events — after
 * phoenix.js's `Presence`, but by key: `onJoin` when a key's first connection arrives,
 * `onLeave` when its last one goes, `onUpdate` when a present key's connections or
 * metadata change, `onSync` after every message.
 *
 * The list survives a lost connection (marked `synced: false`); the next connection's
 * `presence_state` replaces it, and the differences are reported as events — so a user who
 * left while the client was away gets an `onLeave`, one who stayed gets nothing.
 */
import {
  PRESENCE_DIFF,
  PRESENCE_STATE,
  type AnyProtocol,
  type PresenceDiffData,
  type PresenceEntry,
  type PresenceMember,
  type PresenceStateData,
  type ReceivedServerPayload,
  type ServerMessageName,
} from '@orrery/protocol';
import { reportListenerError } from '../listeners.js';
import type { ConnectionState } from '../state.js';
import type { WebsocketClient } from '../types.js';

/** The metadata type of protocol `P`'s presence messages. */
export type PresenceMetaOf<P> = 'presence_state' extends ServerMessageName<P>
  ? ReceivedServerPayload<P, 'presence_state'> extends PresenceStateData<infer M> ? M : unknown
  : never;

/** A client whose protocol has the presence messages (else a type error that says what to do). */
export type PresenceClient<P extends AnyProtocol> = 'presence_state' extends ServerMessageName<P>
  ? 'presence_diff' extends ServerMessageName<P> ? WebsocketClient<P> : { error: 'the protocol has no presence_diff message: spread presenceMessages() into its server section' }
  : { error: 'the protocol has no presence_state message: spread presenceMessages() into its server section' };

/** What changed for a key that stayed present. */
export interface PresenceChange<Meta> {
  readonly joined: readonly PresenceEntry<Meta>[];
  readonly left: readonly PresenceEntry<Meta>[];
}

/** A group's members, kept in sync. */
export interface PresenceSync<Meta> {
  readonly group: string;
  /** True once the current connection's `presence_state` arrived (false while away). */
  readonly synced: boolean;
  /** Number of members (keys). */
  readonly count: number;
  /** Every member, in the order the server listed them (then arrival order). */
  list(): readonly PresenceMember<Meta>[];
  /** One member, or undefined. */
  get(key: string): PresenceMember<Meta> | undefined;
  /** A key's first connection arrived. Returns a function that removes the listener. */
  onJoin(listener: (key: string, member: PresenceMember<Meta>) => void): () => void;
  /** A key's last connection went (`member` as it was last). */
  onLeave(listener: (key: string, member: PresenceMember<Meta>) => void): () => void;
  /** A present key gained or lost connections, or one's metadata changed. */
  onUpdate(listener: (key: string, member: PresenceMember<Meta>, change: PresenceChange<Meta>) => void): () => void;
  /** After every state and diff (also when nothing changed), with the list. */
  onSync(listener: (members: readonly PresenceMember<Meta>[]) => void): () => void;
  /** Stop listening to the client. */
  close(): void;
}

/** The part of a client the helper uses. */
interface Source {
  on(name: string, listener: (data: unknown) => void): () => void;
  subscribe(listener: (state: ConnectionState) => void): () => void;
  onResume(listener: (event: { readonly resumed: boolean }) => void): () => void;
}

type Listeners<Meta> = {
  join: Set<(key: string, member: PresenceMember<Meta>) => void>;
  leave: Set<(key: string, member: PresenceMember<Meta>) => void>;
  update: Set<(key: string, member: PresenceMember<Meta>, change: PresenceChange<Meta>) => void>;
  sync: Set<(members: readonly PresenceMember<Meta>[]) => void>;
};

/**
 * Keep `group`'s members in sync on `client`. Create it before the client connects (or at
 * least before the server subscribes the connection): diffs that arrive before a state are
 * ignored.
 *
 * @example
 * const online = syncPresence(client, 'room:lobby');
 * online.onJoin((key) => toast(`${key} is here`));
 * online.onSync((members) => render(members.map((m) => m.key)));
 */
export function syncPresence<P extends AnyProtocol>(client: PresenceClient<P>, group: string): PresenceSync<PresenceMetaOf<P>> {
  return new GroupPresence<PresenceMetaOf<P>>(client as unknown as Source, group);
}

class GroupPresence<Meta> implements PresenceSync<Meta> {
  private readonly members = new Map<string, Map<string, PresenceEntry<Meta>>>();
  private readonly listeners: Listeners<Meta> = { join: new Set(), leave: new Set(), update: new Set(), sync: new Set() };
  private readonly off: (() => void)[];
  private cached: readonly PresenceMember<Meta>[] | undefined;
  private hasState = false;
  private connected = false;

  constructor(source: Source, readonly group: string) {
    this.off = [
      source.on(PRESENCE_STATE, (data) => this.state(data as PresenceStateData<Meta>)),
      source.on(PRESENCE_DIFF, (data) => this.diff(data as PresenceDiffData<Meta>)),
      source.subscribe((s) => { this.connected = s.status === 'open'; }),
      // A resumed session replays every diff it missed, so the list stays good across the
      // blip; a session that was not resumed starts over with a fresh state.
      source.onResume((event) => { if (!event.resumed) this.hasState = false; }),
    ];
  }

  get synced(): boolean {
    return this.hasState && this.connected;
  }

  get count(): number {
    return this.members.size;
  }

  list(): readonly PresenceMember<Meta>[] {
    return (this.cached ??= [...this.members].map(([key, entries]) => ({ key, metas: [...entries.values()] })));
  }

  get(key: string): PresenceMember<Meta> | undefined {
    const entries = this.members.get(key);
    return entries === undefined ? undefined : { key, metas: [...entries.values()] };
  }

  onJoin(listener: (key: string, member: PresenceMember<Meta>) => void): () => void {
    return this.add(this.listeners.join, listener);
  }

  onLeave(listener: (key: string, member: PresenceMember<Meta>) => void): () => void {
    return this.add(this.listeners.leave, listener);
  }

  onUpdate(listener: (key: string, member: PresenceMember<Meta>, change: PresenceChange<Meta>) => void): () => void {
    return this.add(this.listeners.update, listener);
  }

  onSync(listener: (members: readonly PresenceMember<Meta>[]) => void): () => void {
    return this.add(this.listeners.sync, listener);
  }

  close(): void {
    for (const off of this.off.splice(0)) off();
  }

  private add<F>(set: Set<F>, listener: F): () => void {
    set.add(listener);
    return () => set.delete(listener);
  }

  private state(data: PresenceStateData<Meta>): void {
    if (data.group !== this.group) return;
    this.hasState = true;
    const leaves: PresenceMember<Meta>[] = [];
    for (const [key, entries] of this.members) leaves.push({ key, metas: [...entries.values()] });
    this.apply(leaves, data.members);
  }

  private diff(data: PresenceDiffData<Meta>): void {
    if (data.group !== this.group || !this.hasState) return;
    this.apply(data.leaves, data.joins);
  }

  /** Apply leaves then joins; report per key what that did. */
  private apply(leaves: readonly PresenceMember<Meta>[], joins: readonly PresenceMember<Meta>[]): void {
    const before = new Map<string, Map<string, PresenceEntry<Meta>>>();
    const remember = (key: string): void => {
      if (!before.has(key)) before.set(key, new Map(this.members.get(key)));
    };
    for (const m of leaves) {
      remember(m.key);
      const entries = this.members.get(m.key);
      if (entries === undefined) continue;
      for (const e of m.metas) entries.delete(e.id);
      if (entries.size === 0) this.members.delete(m.key);
    }
    for (const m of joins) {
      remember(m.key);
      let entries = this.members.get(m.key);
      if (entries === undefined) this.members.set(m.key, (entries = new Map()));
      for (const e of m.metas) entries.set(e.id, e);
    }
    this.cached = undefined;
    for (const [key, was] of before) this.report(key, was);
    const list = this.list();
    emit(this.listeners.sync, (l) => l(list));
  }

  private report(key: string, was: Map<string, PresenceEntry<Meta>>): void {
    const now = this.members.get(key);
    if (now === undefined) {
      if (was.size > 0) emit(this.listeners.leave, (l) => l(key, { key, metas: [...was.values()] }));
      return;
    }
    const member = { key, metas: [...now.values()] };
    if (was.size === 0) {
      emit(this.listeners.join, (l) => l(key, member));
      return;
    }
    const joined = member.metas.filter((e) => !sameEntry(was.get(e.id), e));
    const left = [...was.values()].filter((e) => !now.has(e.id) || !sameEntry(now.get(e.id), e));
    if (joined.length > 0 || left.length > 0) emit(this.listeners.update, (l) => l(key, member, { joined, left }));
  }
}

/** Call every listener; one that throws is reported and does not stop the others. */
function emit<L>(listeners: Set<L>, call: (listener: L) => void): void {
  for (const listener of listeners) {
    try {
      call(listener);
    } catch (error) {
      reportListenerError(error);
    }
  }
}

function sameEntry<Meta>(a: PresenceEntry<Meta> | undefined, b: PresenceEntry<Meta>): boolean {
  return a !== undefined && (a === b || JSON.stringify(a.meta) === JSON.stringify(b.meta));
}
