/**
 * The in-memory registry: the embedded default for one process, and the reference semantics
 * every other backend is tested against. Delivery to a member is a synchronous call of
 * `member.deliver(message)` with the message object itself (treat it as immutable).
 *
 * Several "nodes" may share one {@link MemoryHub} to simulate a cluster in one process (tests,
 * the conformance suite): names and groups are then shared between them.
 */
import { randomBytes } from 'node:crypto';
import { OrreryError } from '@orrery/protocol';
import type {
  LeaveResult,
  RegisterResult,
  RegistryBackend,
  RegistryMember,
  RegistryNamespace,
  UnregisterResult,
} from './types.js';
import { assertJsonValue, assertName } from './validate.js';

/** What one member holds in one namespace, so termination can remove it all. */
interface MemberEntry {
  names: Set<string> | undefined;
  groups: Set<string> | undefined;
  /** The node view that added the member (its `own` set must forget it too). */
  readonly owner: MemoryNamespace;
}

interface NamespaceState {
  readonly names: Map<string, RegistryMember>;
  readonly groups: Map<string, Set<RegistryMember>>;
  readonly members: Map<RegistryMember, MemberEntry>;
}

/** Shared state of the in-memory nodes of one simulated cluster. */
export interface MemoryHub {
  readonly namespaces: Map<string, NamespaceState>;
}

/** A fresh hub: nodes created with the same hub share names and groups. */
export function createMemoryHub(): MemoryHub {
  return { namespaces: new Map() };
}

/** Options of {@link memoryRegistry}. */
export interface MemoryRegistryOptions {
  /**
   * Share names and groups with other in-memory nodes of this hub.
   * @default a hub of its own
   */
  hub?: MemoryHub;
  /** @default a random id */
  nodeId?: string;
  /**
   * Check that every message is a JSON value (as Redis requires), so code that works here
   * works on Redis too. Turn off only for measured hot paths with trusted messages.
   * @default true
   */
  validateMessages?: boolean;
}

const RESOLVED_OK: Promise<'ok'> = Promise.resolve('ok');

/** The embedded in-memory registry backend. */
export function memoryRegistry(options: MemoryRegistryOptions = {}): RegistryBackend {
  const hub = options.hub ?? createMemoryHub();
  const nodeId = options.nodeId ?? `mem-${randomBytes(4).toString('hex')}`;
  const validate = options.validateMessages ?? true;
  const views = new Map<string, MemoryNamespace>();
  let closed = false;
  return {
    kind: 'memory',
    nodeId,
    namespace(name: string): RegistryNamespace {
      let view = views.get(name);
      if (view === undefined) {
        let state = hub.namespaces.get(name);
        if (state === undefined) {
          state = { names: new Map(), groups: new Map(), members: new Map() };
          hub.namespaces.set(name, state);
        }
        view = new MemoryNamespace(name, state, validate, () => closed);
        views.set(name, view);
      }
      return view;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const view of views.values()) view.removeOwnMembers();
    },
  };
}

class MemoryNamespace implements RegistryNamespace {
  /** Members this node added, so closing the node removes exactly those. */
  readonly own = new Set<RegistryMember>();

  constructor(
    readonly name: string,
    private readonly state: NamespaceState,
    private readonly validate: boolean,
    private readonly isClosed: () => boolean,
  ) {}

  register(name: string, member: RegistryMember): Promise<RegisterResult> {
    assertName(name, 'unique name');
    if (this.isClosed()) return closedError();
    const holder = this.state.names.get(name);
    if (holder === member) return RESOLVED_OK;
    if (holder !== undefined) return Promise.resolve('taken');
    this.state.names.set(name, member);
    const entry = this.entry(member);
    (entry.names ??= new Set()).add(name);
    return RESOLVED_OK;
  }

  unregister(name: string, member: RegistryMember): Promise<UnregisterResult> {
    assertName(name, 'unique name');
    if (this.isClosed()) return closedError();
    if (this.state.names.get(name) !== member) return Promise.resolve('not_registered');
    this.state.names.delete(name);
    this.state.members.get(member)?.names?.delete(name);
    return RESOLVED_OK;
  }

  sendMessage(name: string, message: unknown): Promise<boolean> {
    assertName(name, 'unique name');
    if (this.validate) assertJsonValue(message);
    if (this.isClosed()) return closedError();
    const member = this.state.names.get(name);
    if (member === undefined) return Promise.resolve(false);
    member.deliver(message);
    return Promise.resolve(true);
  }

  join(group: string, member: RegistryMember): Promise<'ok'> {
    assertName(group, 'group');
    if (this.isClosed()) return closedError();
    let members = this.state.groups.get(group);
    if (members === undefined) {
      members = new Set();
      this.state.groups.set(group, members);
    }
    members.add(member);
    const entry = this.entry(member);
    (entry.groups ??= new Set()).add(group);
    return RESOLVED_OK;
  }

  leave(group: string, member: RegistryMember): Promise<LeaveResult> {
    assertName(group, 'group');
    if (this.isClosed()) return closedError();
    const members = this.state.groups.get(group);
    if (members === undefined || !members.delete(member)) return Promise.resolve('not_in_group');
    if (members.size === 0) this.state.groups.delete(group);
    this.state.members.get(member)?.groups?.delete(group);
    return RESOLVED_OK;
  }

  publish(group: string, message: unknown): Promise<number> {
    assertName(group, 'group');
    if (this.validate) assertJsonValue(message);
    if (this.isClosed()) return closedError();
    const members = this.state.groups.get(group);
    if (members === undefined) return Promise.resolve(0);
    const count = members.size;
    // Set iteration tolerates members leaving (or joining) during a synchronous delivery.
    for (const member of members) member.deliver(message);
    return Promise.resolve(count);
  }

  removeMember(member: RegistryMember): void {
    const entry = this.state.members.get(member);
    if (entry === undefined) return;
    this.state.members.delete(member);
    entry.owner.own.delete(member);
    if (entry.names !== undefined) {
      for (const name of entry.names) {
        if (this.state.names.get(name) === member) this.state.names.delete(name);
      }
    }
    if (entry.groups !== undefined) {
      for (const group of entry.groups) {
        const members = this.state.groups.get(group);
        if (members !== undefined && members.delete(member) && members.size === 0) {
          this.state.groups.delete(group);
        }
      }
    }
  }

  localSize(): { names: number; groups: number; memberships: number } {
    let names = 0;
    let memberships = 0;
    const groups = new Set<string>();
    for (const member of this.own) {
      const entry = this.state.members.get(member);
      if (entry === undefined) continue;
      names += entry.names?.size ?? 0;
      if (entry.groups !== undefined) {
        memberships += entry.groups.size;
        for (const g of entry.groups) groups.add(g);
      }
    }
    return { names, groups: groups.size, memberships };
  }

  /** Called when the node closes. */
  removeOwnMembers(): void {
    for (const member of [...this.own]) this.removeMember(member);
  }

  private entry(member: RegistryMember): MemberEntry {
    let entry = this.state.members.get(member);
    if (entry === undefined) {
      entry = { names: undefined, groups: undefined, owner: this };
      this.state.members.set(member, entry);
      this.own.add(member);
    }
    return entry;
  }
}

function closedError(): Promise<never> {
  return Promise.reject(new OrreryError('ORRERY_REGISTRY_CLOSED', 'the registry is closed; create a new one'));
}
