/**
 * The node's Redis connections, for one Redis or a Redis Cluster, behind one small interface.
 *
 * A constant number of connections per node, however many members and groups it has:
 * - one Redis: a command connection (`orrery:<nodeId>:cmd`, auto-pipelined) and a subscriber
 *   connection (`orrery:<nodeId>:sub`) — 2 in all;
 * - Redis Cluster: ioredis keeps one command connection per master (`orrery:<nodeId>`) and,
 *   with `shardedSubscribers`, one sharded subscriber per master
 *   (`ioredis-cluster(ssubscriber):orrery:<nodeId>`) — 2 per master in all. Without
 *   `shardedSubscribers`, ioredis 5.9.3 sends SSUBSCRIBE to one arbitrary node, gets MOVED
 *   and never settles the promise (ioredis #1759, verified against a live cluster), so it is
 *   always on; and SSUBSCRIBE must bypass auto-pipelining (see below).
 *
 * Options the registry relies on are forced: no offline queue (a call while disconnected fails
 * at once, nothing piles up), no resending of unanswered commands after a reconnect (a late
 * duplicate publish is worse than a failed one), auto-pipelining on.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ResolvedRedisOptions } from './options.js';
import { PRESENCE_SCRIPTS } from './presence-scripts.js';
import { ALL_SCRIPTS, type Script } from './scripts.js';

/** What the registry needs from its connections. */
export interface RedisLink {
  /** Run a script: `keys.length` must equal `script.keys`. */
  run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  /**
   * Resolves once every subscription sent so far on the subscriber connection is confirmed
   * (a PING answered after them), rejects while it is down. On a cluster, ioredis re-subscribes
   * each shard's subscriber itself and this resolves at once.
   */
  subscriberSettled(): Promise<unknown>;
  /** Close every connection (QUIT, then disconnect). */
  close(): Promise<void>;
}

/** Callbacks from the connections to the registry. */
export interface LinkEvents {
  /** A shard-channel message. */
  message(channel: string, payload: string): void;
  /** Commands can flow again (first connect or reconnect): time to re-assert. */
  ready(): void;
  /** The subscriber connection is back (its subscriptions are being re-sent). */
  subscriberReady(): void;
  /** A connection closed (it reconnects by itself). */
  lost(where: string): void;
  /** A connection-level fault (logged, rate-limited). */
  fault(where: string, error: Error): void;
}

function backoff(times: number): number {
  return Math.min(2_000, 50 * 2 ** Math.min(times, 6)) * (0.5 + Math.random() / 2);
}

type Commander = Redis | Cluster;
type ScriptArg = string | number | (string | number)[];
type ScriptCommand = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Define every script on `client` with its fixed key count, so that auto-pipelining groups
 * script calls by their first key's slot (a raw EVALSHA would be grouped by the SHA's slot).
 * ioredis sends a script as EVAL the first time on each socket, so a Redis restart that lost
 * the script cache never produces NOSCRIPT retries (which could reorder calls).
 */
function defineScripts(client: Commander): (script: Script, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown> {
  const commands = new Map<string, ScriptCommand>();
  for (const s of [...ALL_SCRIPTS, ...PRESENCE_SCRIPTS]) {
    client.defineCommand(s.name, { lua: s.lua, numberOfKeys: s.keys });
    const fn = (client as unknown as Record<string, ScriptCommand>)[s.name]!;
    commands.set(s.name, fn.bind(client));
  }
  // Arguments travel as one array (ioredis flattens it): no spread of a long sync list.
  return (script, keys, args) => commands.get(script.name)!(...keys, [...args]);
}

function forcedRedisOptions(options: ResolvedRedisOptions, role: string): RedisOptions {
  return {
    connectionName: `orrery:${options.nodeId}:${role}`,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
    commandTimeout: options.commandTimeoutMs,
  };
}

/** Connect to one Redis. */
export function connectSingle(options: ResolvedRedisOptions, events: LinkEvents): RedisLink {
  const base: RedisOptions = typeof options.redis === 'string' ? {} : options.redis;
  const make = (role: string, extra: RedisOptions): Redis => {
    const all: RedisOptions = { retryStrategy: backoff, ...base, ...forcedRedisOptions(options, role), ...extra };
    return typeof options.redis === 'string' ? new Redis(options.redis, all) : new Redis(all);
  };
  const cmd = make('cmd', { enableAutoPipelining: true });
  const sub = make('sub', { autoResubscribe: true });
  cmd.on('error', (err: Error) => events.fault('command connection', err));
  sub.on('error', (err: Error) => events.fault('subscriber connection', err));
  cmd.on('ready', () => events.ready());
  sub.on('ready', () => events.subscriberReady());
  cmd.on('close', () => events.lost('command connection'));
  sub.on('close', () => events.lost('subscriber connection'));
  sub.on('smessage', (channel: string, payload: string) => events.message(channel, payload));
  return {
    run: defineScripts(cmd),
    ssubscribe: (channel) => sub.ssubscribe(channel),
    sunsubscribe: (channel) => sub.sunsubscribe(channel),
    subscriberSettled: () => sub.ping(),
    close: async () => { await Promise.all([quit(cmd), quit(sub)]); },
  };
}

/** Connect to a Redis Cluster (sharded pub/sub). */
export function connectCluster(options: ResolvedRedisOptions, events: LinkEvents): RedisLink {
  const user = options.clusterOptions;
  const cluster = new Cluster(options.cluster, {
    ...user,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    // ioredis auto-pipelines SSUBSCRIBE like any command, onto a *command* connection, which
    // then refuses everything else ("Connection in subscriber mode"): keep them out.
    autoPipeliningIgnoredCommands: [...(user.autoPipeliningIgnoredCommands ?? []), 'ssubscribe', 'sunsubscribe'],
    shardedSubscribers: true,
    redisOptions: {
      ...user.redisOptions,
      connectionName: `orrery:${options.nodeId}`,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
    },
  });
  cluster.on('error', (err: Error) => events.fault('cluster', err));
  cluster.on('node error', (err: Error) => events.fault('cluster node', err));
  cluster.on('ready', () => events.ready());
  cluster.on('subscribersReady', () => events.subscriberReady());
  cluster.on('close', () => events.lost('cluster'));
  cluster.on('smessage', (channel: string, payload: string) => events.message(channel, payload));
  return {
    run: defineScripts(cluster),
    ssubscribe: (channel) => cluster.ssubscribe(channel),
    sunsubscribe: (channel) => cluster.sunsubscribe(channel),
    subscriberSettled: () => Promise.resolve(),
    close: () => quit(cluster),
  };
}

async function quit(client: Commander): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => { timer = setTimeout(resolve, 1_000); })]);
  } catch {
    // Already disconnected: nothing to say goodbye to.
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
