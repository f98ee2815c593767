/**
 * A route as the server runs it: the definition checked and compiled, with its limits,
 * registry namespace, counters, heartbeat wheel, ws server and (resumable routes) sessions.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type ServerOptions } from 'ws';
import type { ConnSite } from './conn.js';
import { HeartbeatWheel } from './heartbeat.js';
import { createRouteStats, type Logger, type RouteStats } from './observability.js';
import { invalid, positive, resolveLimits, type ConnectionLimits, type ResolvedLimits } from './options.js';
import type { RegistryBackend } from './registry/types.js';
import { createRegistryView, type Registry } from './registry/view.js';
import { resolveResume, type ResolvedResume } from './resume/options.js';
import { SessionHub, type RelayConnection } from './resume/relay.js';
import type { ResumableConnection, ResumeRouteRuntime } from './resume/session.js';
import { SessionTable } from './resume/table.js';
import type { AnyRoute } from './route.js';
import { compilePath, type PathPattern } from './router.js';
import type { WebsocketHandler } from './types.js';
import { compileOriginPolicy, selectProtocol, type OriginPolicy } from './upgrade.js';
import type { WsConnection, WsRouteRuntime } from './ws-connection.js';

/** One route at run time. */
export interface RouteState extends WsRouteRuntime {
  readonly pattern: PathPattern;
  readonly maxConnections: number;
  readonly originCheck: ((req: IncomingMessage) => boolean) | undefined;
  readonly handleProtocols: ((offered: ReadonlySet<string>, req: IncomingMessage) => string | false) | undefined;
  readonly registry: Registry<unknown>;
  readonly connections: Set<WsConnection>;
  readonly site: ConnSite;
  /** Resumable routes only. */
  readonly resume: ResolvedResume | undefined;
  readonly sessions: SessionTable<ResumableConnection> | undefined;
  readonly nodeId: string;
  socketOpened(connection: WsConnection): void;
  relayClosed(relay: RelayConnection): void;
  /** Resumable routes: cross-node resume (relays through the registry). */
  readonly hub: SessionHub | undefined;
  readonly wss: WebSocketServer;
  /** Slots taken: open connections plus handshakes in progress. */
  slots: number;
}

/** What building a route needs from its server. */
export interface RouteContext {
  readonly defaults: ConnectionLimits | undefined;
  readonly allowedOrigins: OriginPolicy | undefined;
  readonly backend: RegistryBackend;
  readonly logger: Logger;
  /** The headers `connect` set for the 101 being written now. */
  responseHeaders(): Readonly<Record<string, string>> | undefined;
}

/** Check and compile a route definition. Throws `ORRERY_INVALID_OPTIONS`. */
export function buildRouteState(def: AnyRoute, ctx: RouteContext): RouteState {
  const where = `route ${def.path}`;
  if (typeof def !== 'object' || def === null || typeof def.handler !== 'object' || def.handler === null) invalid(`${String(def?.path)}: a route needs a handler object; use route(path, handler)`);
  const handler = def.handler as WebsocketHandler<unknown, unknown, object>;
  for (const cb of ['init', 'handleClientMessage', 'handleServerMessage'] as const) {
    if (typeof handler[cb] !== 'function') invalid(`${where}: the handler must implement ${cb}`);
  }
  const pattern = compilePath(def.path);
  const name = def.options.name ?? def.path;
  const maxConnections = def.options.maxConnections ?? Infinity;
  positive(where, 'maxConnections', maxConnections);
  const limits: ResolvedLimits = resolveLimits(where, ctx.defaults, def.options);
  const resume = resolveResume(where, def.options.resume);
  if (resume !== undefined && !('protocol' in handler)) {
    invalid(`${where}: resume needs a typed handler (defineTypedHandler): sequence numbers travel in the orrery.v1 envelope`);
  }
  const namespace = ctx.backend.namespace(name);
  const stats: RouteStats = createRouteStats(name, def.path);
  const registry = createRegistryView<unknown>(namespace);
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: limits.maxMessageBytes,
    closeTimeout: limits.closeTimeoutMs,
    handleProtocols: (offered: Set<string>, req: IncomingMessage) => selectProtocol(offered, req, def.options.handleProtocols),
  } as ServerOptions & { closeTimeout: number });
  wss.on('headers', (headers: string[]) => {
    const extra = ctx.responseHeaders();
    if (extra !== undefined) for (const [header, value] of Object.entries(extra)) headers.push(`${header}: ${value}`);
  });
  const state: RouteState = {
    name,
    handler,
    limits,
    namespace,
    logger: ctx.logger,
    stats,
    pattern,
    maxConnections,
    originCheck: compileOriginPolicy(def.options.allowedOrigins ?? ctx.allowedOrigins),
    handleProtocols: def.options.handleProtocols,
    registry,
    connections: new Set(),
    site: { idPrefix: `${ctx.backend.nodeId}.`, route: name, registry },
    wss,
    wheel: new HeartbeatWheel(limits.pingIntervalMs, limits.idleTimeoutMs),
    slots: 0,
    resume,
    sessions: resume === undefined ? undefined : new SessionTable<ResumableConnection>(resume),
    nodeId: ctx.backend.nodeId,
    socketOpened: (connection) => {
      if (!state.connections.has(connection)) {
        state.connections.add(connection);
        stats.connections++;
      }
    },
    socketClosed: (connection) => {
      if (state.connections.delete(connection)) {
        state.slots--;
        stats.connections--;
      }
    },
    relayClosed: () => {
      state.slots--;
      stats.connections--;
    },
    hub: undefined,
  };
  if (resume !== undefined) {
    const hub = new SessionHub(state as ResumeRouteRuntime, ctx.backend, ctx.logger);
    (state as { hub: SessionHub | undefined }).hub = hub;
  }
  return state;
}
