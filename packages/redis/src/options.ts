/**
 * Options of the Redis registry, their defaults, and the checks that reject bad combinations
 * at construction (`ORRERY_INVALID_OPTIONS`), before any connection is made.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterNode, ClusterOptions, RedisOptions } from 'ioredis';
import { OrreryError } from '@orrery/protocol';
import { consoleLogger, type Logger } from '@orrery/server';

/** Options of {@link redisRegistry}. Give `redis` (one Redis) or `cluster` (Redis Cluster), not both. */
export interface RedisRegistryOptions {
  /**
   * One Redis (or a Redis behind a proxy): a `redis://` / `rediss://` URL or ioredis options
   * (host, port, password, tls, …). The options the registry depends on are forced — see
   * `docs/operations.md` ("Connections").
   * @default 'redis://127.0.0.1:6379'
   */
  redis?: string | RedisOptions;
  /** Redis Cluster startup nodes (any few masters; the rest are discovered). */
  cluster?: ClusterNode[];
  /** Extra ioredis `Cluster` options (auth and TLS via `redisOptions`, `natMap`, …). */
  clusterOptions?: ClusterOptions;
  /**
   * This node's id: unique in the cluster, 1–64 characters of `A–Z a–z 0–9 . _ -`. A restarted
   * process should take a fresh id (the default), so that it never inherits a dead node's lease.
   * @default `node-` + 12 random hex digits
   */
  nodeId?: string;
  /**
   * Prefix of every Redis key and channel, 1–64 characters of `A–Z a–z 0–9 . _ - :`. Nodes
   * share a registry exactly when they share Redis and prefix.
   * @default 'orrery'
   */
  prefix?: string;
  /**
   * How long this node's names and group memberships outlive it: a node that stops
   * heartbeating (SIGKILL, crash, partition) loses them at most `leaseMs` after its last
   * heartbeat. Shorter frees names sooner after a crash; longer rides out longer stalls
   * of the event loop or the network.
   * @default 15_000
   */
  leaseMs?: number;
  /**
   * How often the lease is renewed (and dead nodes' leftovers are swept). At most
   * `leaseMs / 2`.
   * @default leaseMs / 3
   */
  heartbeatMs?: number;
  /**
   * A Redis call that has not answered after this long fails with
   * `ORRERY_REGISTRY_UNAVAILABLE`.
   * @default 2_000
   */
  commandTimeoutMs?: number;
  /**
   * Most application calls (`register`, `sendMessage`, `join`, `publish`) waiting for Redis at
   * once on this node; one more fails at once with `ORRERY_REGISTRY_UNAVAILABLE` instead of
   * queueing (no unbounded buffering). The node's own housekeeping and the writes that mirror
   * a `leave` / `unregister` / connection end are not counted: they are bounded by what the
   * node holds.
   * @default 10_000
   */
  maxInFlight?: number;
  /**
   * Number of key buckets (hash-tag slots) names and groups are spread over. Must be the same
   * on every node sharing a prefix (checked: a node with another value refuses to start).
   * Raise it for clusters of more than ~16 masters.
   * @default 64
   */
  buckets?: number;
  /**
   * Where connection faults, failed calls (also unawaited ones) and undecodable payloads are
   * reported. Repeated warnings are rate-limited.
   * @default consoleLogger('warn') from `@orrery/server`
   */
  logger?: Logger;
}

/** Options after defaults and checks. */
export interface ResolvedRedisOptions {
  readonly mode: 'single' | 'cluster';
  readonly redis: string | RedisOptions;
  readonly cluster: ClusterNode[];
  readonly clusterOptions: ClusterOptions;
  readonly nodeId: string;
  readonly prefix: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly commandTimeoutMs: number;
  readonly maxInFlight: number;
  readonly buckets: number;
  readonly logger: Logger;
}

/** Defaults of {@link RedisRegistryOptions}. */
export const redisRegistryDefaults = {
  redis: 'redis://127.0.0.1:6379',
  prefix: 'orrery',
  leaseMs: 15_000,
  commandTimeoutMs: 2_000,
  maxInFlight: 10_000,
  buckets: 64,
} as const;

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PREFIX = /^[A-Za-z0-9._:-]{1,64}$/;

function invalid(message: string): OrreryError {
  return new OrreryError('ORRERY_INVALID_OPTIONS', `redisRegistry: ${message}`);
}

function positiveInt(value: number | undefined, fallback: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return v;
}

/** Apply defaults and reject bad values and combinations. */
export function resolveOptions(options: RedisRegistryOptions): ResolvedRedisOptions {
  if (options.redis !== undefined && options.cluster !== undefined) {
    throw invalid('give `redis` (one Redis) or `cluster` (Redis Cluster startup nodes), not both');
  }
  if (options.cluster !== undefined && (!Array.isArray(options.cluster) || options.cluster.length === 0)) {
    throw invalid('`cluster` must list at least one startup node, e.g. [{ host: "10.0.0.1", port: 6379 }]');
  }
  const nodeId = options.nodeId ?? `node-${randomBytes(6).toString('hex')}`;
  if (!NODE_ID.test(nodeId)) throw invalid(`nodeId must be 1–64 characters of A–Z a–z 0–9 . _ -, got ${JSON.stringify(nodeId)}`);
  const prefix = options.prefix ?? redisRegistryDefaults.prefix;
  if (!PREFIX.test(prefix)) throw invalid(`prefix must be 1–64 characters of A–Z a–z 0–9 . _ - :, got ${JSON.stringify(prefix)}`);
  const leaseMs = positiveInt(options.leaseMs, redisRegistryDefaults.leaseMs, 'leaseMs', 100);
  const heartbeatMs = positiveInt(options.heartbeatMs, Math.floor(leaseMs / 3), 'heartbeatMs', 10);
  if (heartbeatMs > leaseMs / 2) {
    throw invalid(`heartbeatMs (${heartbeatMs}) must be at most leaseMs / 2 (${leaseMs / 2}), or one late heartbeat loses the lease`);
  }
  return {
    mode: options.cluster === undefined ? 'single' : 'cluster',
    redis: options.redis ?? redisRegistryDefaults.redis,
    cluster: options.cluster ?? [],
    clusterOptions: options.clusterOptions ?? {},
    nodeId,
    prefix,
    leaseMs,
    heartbeatMs,
    commandTimeoutMs: positiveInt(options.commandTimeoutMs, redisRegistryDefaults.commandTimeoutMs, 'commandTimeoutMs', 10),
    maxInFlight: positiveInt(options.maxInFlight, redisRegistryDefaults.maxInFlight, 'maxInFlight'),
    buckets: positiveInt(options.buckets, redisRegistryDefaults.buckets, 'buckets', 1, 16_384),
    logger: options.logger ?? consoleLogger('warn'),
  };
}
