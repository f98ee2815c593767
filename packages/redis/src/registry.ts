/**
 * `redisRegistry()`: the registry backend for many processes, on one Redis or a Redis Cluster.
 * See `docs/operations.md` for running it, and `keys.ts` / `scripts.ts` for the data model.
 */
import { OrreryError, isOrreryError } from '@orrery/protocol';
import type { RegistryBackend, RegistryMember, RegistryNamespace } from '@orrery/server';
import { decodePayload } from './codec.js';
import type { ChannelOwner, ExecOptions, NodeCore } from './core.js';
import { FaultReporter, closedError, unavailable } from './faults.js';
import { InFlight } from './inflight.js';
import { KeyLayout } from './keys.js';
import { LeaseKeeper } from './lease.js';
import { connectCluster, connectSingle, type RedisLink } from './link.js';
import { RedisNamespace } from './namespace.js';
import { exposePresenceHost, type RegistryExtension } from './presence-host.js';
import { resolveOptions, type RedisRegistryOptions, type ResolvedRedisOptions } from './options.js';
import { RETIRE, type Script } from './scripts.js';
import { Subscriptions } from './subscriptions.js';

/**
 * Where the node stands with Redis: `connecting` until the first re-assertion, `ready`,
 * `unavailable` while calls fail (local delivery keeps working), `failed` when the cluster
 * uses another key layout, `closed`.
 */
export type RedisRegistryStatus = 'connecting' | 'ready' | 'unavailable' | 'failed' | 'closed';

/** The Redis registry backend. */
export interface RedisRegistry extends RegistryBackend {
  readonly kind: 'redis';
  /** `'single'` (one Redis) or `'cluster'` (Redis Cluster, sharded pub/sub). */
  readonly mode: 'single' | 'cluster';
  readonly status: RedisRegistryStatus;
  /** The lease time in effect (ms). */
  readonly leaseMs: number;
  /**
   * Resolves once the node is connected, holds its lease and receives messages; rejects with
   * `ORRERY_REGISTRY_UNAVAILABLE` after `timeoutMs`, or with the reason it cannot run.
   * Calls made earlier simply fail fast while Redis is not reachable.
   */
  ready(timeoutMs?: number): Promise<void>;
}

/**
 * Create a Redis registry node. Connects at once; pass it to `createWebsocketServer`.
 *
 * @example
 * import { createWebsocketServer } from '@orrery/server';
 * import { redisRegistry } from '@orrery/redis';
 * const registry = redisRegistry({ redis: process.env.REDIS_URL });
 * await registry.ready();
 * const server = createWebsocketServer({ port: 3000, routes, registry });
 * // on shutdown: await server.close(); await registry.close();
 */
export function redisRegistry(options: RedisRegistryOptions = {}): RedisRegistry {
  return new RedisRegistryNode(resolveOptions(options));
}

class RedisRegistryNode implements RedisRegistry, NodeCore {
  readonly kind = 'redis' as const;
  readonly mode: 'single' | 'cluster';
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly keys: KeyLayout;
  readonly faults: FaultReporter;
  readonly subscriptions: Subscriptions;
  readonly channels = new Map<string, ChannelOwner>();
  private readonly views = new Map<string, RedisNamespace>();
  private readonly inflight: InFlight;
  private readonly link: RedisLink;
  private readonly lease: LeaseKeeper;
  private readonly inbox: Set<string>;
  private state: RedisRegistryStatus = 'connecting';
  private fatalError: OrreryError | undefined;
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private closing: Promise<void> | undefined;
  /** Presence, when attached (`redisPresence`): hears unknown channels, re-assertions, close. */
  private extension: RegistryExtension | undefined;

  constructor(private readonly options: ResolvedRedisOptions) {
    this.mode = options.mode;
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.heartbeatMs = options.heartbeatMs;
    this.keys = new KeyLayout(options.prefix, options.buckets);
    this.faults = new FaultReporter(options.logger, options.nodeId);
    this.inflight = new InFlight(options.maxInFlight, options.commandTimeoutMs);
    this.inbox = new Set(Array.from({ length: options.buckets }, (_, b) => this.keys.inboxChannel(b, this.nodeId)));
    const events = {
      message: (channel: string, payload: string) => this.onMessage(channel, payload),
      ready: () => this.onReady(),
      subscriberReady: () => { if (this.closing === undefined) void this.lease.beat(); },
      lost: (where: string) => this.onLost(where),
      fault: (where: string, error: Error) => this.onFault(where, error),
    };
    this.link = options.mode === 'single' ? connectSingle(options, events) : connectCluster(options, events);
    this.subscriptions = new Subscriptions(this.link, this.inflight);
    this.lease = new LeaseKeeper({
      keys: this.keys,
      leaseMs: this.leaseMs,
      heartbeatMs: this.heartbeatMs,
      faults: this.faults,
      namespaces: () => this.views.values(),
      call: (op, script, bucket, keys, args) =>
        this.call(op, script, [this.keys.nodesKey(bucket), ...keys], [this.keys.tag(bucket), this.nodeId, ...args], '', false),
      callRaw: (op, script, keys, args) => this.call(op, script, keys, args, '', false),
      ensureInbox: () => this.ensureInbox(),
      health: (ok, error) => this.health(ok, error),
      fatal: (error) => this.fail(error),
    });
    this.lease.start();
    exposePresenceHost(this, {
      nodeId: this.nodeId, keys: this.keys, leaseMs: this.leaseMs, heartbeatMs: this.heartbeatMs, faults: this.faults,
      call: (op, script, keys, args, bounded) => this.call(op, script, keys, args, '', bounded),
      subscribe: (channel) => this.subscriptions.ensure(channel),
      unsubscribe: (channel) => this.subscriptions.release(channel),
      isClosed: () => this.isClosed(),
      isReady: () => this.state === 'ready',
      attach: (extension) => { this.extension = extension; },
    });
  }

  get status(): RedisRegistryStatus {
    return this.state;
  }

  namespace(name: string): RegistryNamespace {
    let view = this.views.get(name);
    if (view === undefined) {
      view = new RedisNamespace(name, this);
      this.views.set(name, view);
    }
    return view;
  }

  ready(timeoutMs = 10_000): Promise<void> {
    if (this.state === 'ready' || this.state === 'unavailable') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(closedError());
    if (this.fatalError !== undefined) return Promise.reject(this.fatalError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(unavailable('ready', new Error(`not connected within ${timeoutMs} ms`)));
      }, timeoutMs);
      const waiter = {
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (err: Error) => { clearTimeout(timer); reject(err); },
      };
      this.readyWaiters.push(waiter);
    });
  }

  isClosed(): boolean {
    return this.closing !== undefined;
  }

  exec(op: string, script: Script, bucket: number, keys: readonly string[], args: readonly (string | number)[], options: ExecOptions = {}): Promise<number> {
    const { detail = '', bounded = true } = options;
    const allKeys = [this.keys.nodesKey(bucket), ...keys];
    const argv = [this.keys.tag(bucket), this.nodeId, ...args];
    return this.call(op, script, allKeys, argv, detail, bounded).then(async (answer) => {
      if (answer !== -1) return Number(answer);
      await this.lease.requestSync(bucket).catch((err: unknown) => { throw this.wrap(op, err, detail); });
      if (script.afterSync === 'synced') return 1;
      const again = await this.call(op, script, allKeys, argv, detail, bounded);
      if (again === -1) throw this.wrap(op, new Error('this node could not renew its lease'), detail);
      return Number(again);
    });
  }

  markDirty(bucket: number): void {
    this.lease.markDirty(bucket);
  }

  deliver(member: RegistryMember, message: unknown): void {
    try {
      member.deliver(message);
    } catch (error) {
      this.faults.warn('deliver', 'registry member threw from deliver(); members must not throw', { member: member.id, error });
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** A guarded Redis call: bounded (unless housekeeping), timed out, failures wrapped and logged. */
  private call(op: string, script: Script, keys: readonly string[], args: readonly (string | number)[], detail = '', bounded = true): Promise<unknown> {
    if (this.fatalError !== undefined) return Promise.reject(this.fatalError);
    return this.inflight.run(() => this.link.run(script, keys, args), bounded).catch((err: unknown) => {
      throw this.wrap(op, err, detail);
    });
  }

  wrap(op: string, err: unknown, detail = ''): OrreryError {
    if (isOrreryError(err)) return err;
    if (this.closing !== undefined) return closedError();
    const error = unavailable(op, err, detail);
    this.faults.warn(`call:${op}`, `registry ${op} failed`, { error: error.message });
    return error;
  }

  /** Keep every inbox channel subscribed, and make sure the subscriber connection is live. */
  private async ensureInbox(): Promise<void> {
    try {
      await Promise.all([...this.inbox].map((ch) => this.subscriptions.ensure(ch, false)));
      await this.inflight.run(() => this.link.subscriberSettled(), false);
    } catch (err) {
      throw this.wrap('subscribe', err, '');
    }
  }

  private onMessage(channel: string, payload: string): void {
    if (this.closing !== undefined) return;
    const owner = this.channels.get(channel);
    const isInbox = owner === undefined && this.inbox.has(channel);
    if (owner === undefined && !isInbox) {
      if (this.extension?.onMessage(channel, payload) !== true) this.subscriptions.stray(channel);
      return;
    }
    const decoded = decodePayload(payload);
    if (decoded === undefined || (decoded.kind === 'g') !== (owner !== undefined)) {
      this.faults.warn('decode', 'registry dropped a payload it cannot decode (not written by Orrery?)', {
        channel, bytes: Buffer.byteLength(payload), start: payload.slice(0, 64),
      });
      return;
    }
    if (decoded.kind === 'g') {
      if (decoded.origin !== this.nodeId) owner!.ns.deliverGroup(owner!.group, decoded.message);
    } else {
      this.views.get(decoded.ns)?.deliverDirect(decoded.name, decoded.message);
    }
  }

  private onReady(): void {
    if (this.closing !== undefined || this.fatalError !== undefined) return;
    this.lease.reassertAll().then(
      () => { this.health(true); this.extension?.onReasserted(); },
      (err: unknown) => this.health(false, err),
    );
  }

  private onFault(where: string, error: Error): void {
    if (this.closing !== undefined) return;
    this.faults.warn(`link:${where}`, `Redis ${where} fault; local delivery continues, cluster calls fail until it is back`, { error: error.message });
    if (this.state === 'ready') this.state = 'unavailable';
  }

  private onLost(where: string): void {
    if (this.closing !== undefined || this.state !== 'ready') return;
    this.state = 'unavailable';
    this.faults.warn(`lost:${where}`, `Redis ${where} lost; reconnecting (local delivery continues, cluster calls fail meanwhile)`);
  }

  private health(ok: boolean, error?: unknown): void {
    if (this.closing !== undefined || this.fatalError !== undefined) return;
    if (!ok) {
      if (this.state === 'ready') this.state = 'unavailable';
      this.faults.warn('health', 'registry cannot reach Redis', { error: error instanceof Error ? error.message : String(error) });
      return;
    }
    const previous = this.state;
    this.state = 'ready';
    if (previous === 'unavailable') {
      const suppressed = this.faults.reset();
      this.faults.info('registry reconnected to Redis and re-asserted its names and groups', { suppressedWarnings: suppressed });
    }
    for (const w of this.readyWaiters.splice(0)) w.resolve();
  }

  private fail(error: OrreryError): void {
    this.fatalError = error;
    this.state = 'failed';
    this.lease.stop();
    this.faults.error(error.message);
    for (const w of this.readyWaiters.splice(0)) w.reject(error);
  }

  private async shutdown(): Promise<void> {
    // Presence first: it removes this node's rows while the connections are still up.
    await this.extension?.close().catch(() => undefined);
    this.lease.stop();
    for (const view of this.views.values()) view.clear();
    if (this.fatalError === undefined) {
      // Let calls already sent land first, so that none re-creates a name after the retire.
      await this.inflight.idle();
      // Free this node's names and counts now rather than at lease expiry (best effort).
      await Promise.allSettled(Array.from({ length: this.keys.buckets }, (_, b) =>
        this.inflight.run(() => this.link.run(RETIRE, [this.keys.nodesKey(b)], [this.keys.tag(b), this.nodeId]))));
    }
    this.state = 'closed';
    this.inflight.abandonAll('the registry is closed');
    for (const w of this.readyWaiters.splice(0)) w.reject(closedError());
    await this.link.close();
  }
}
