/**
 * `createWebsocketServer`: routes, the upgrade pipeline, connection accounting and drain.
 *
 * Upgrade pipeline, in order (each step answers and stops on failure):
 * 1. route lookup — 404 `NoRouteFound` (on an attached server with other upgrade listeners,
 *    unknown paths are left to them);
 * 2. server draining — 503 `ServerShuttingDown`;
 * 3. the upgrade request itself — 400/405 as ws would answer;
 * 4. origin allow-list — 403 `ForbiddenOrigin`;
 * 5. route connection limit — 503 `TooManyWebsocketConnections` (the slot is taken here and
 *    released when the connection closes or the handshake fails);
 * 6. `connect` (bounded by `connectTimeoutMs`) — its rejection, or 503 `ConnectTimeout`;
 * 7. the 101, with the headers `connect` set; then the actor runs `init`.
 * Rejections after step 3 reach an `orrery.v1` client as close `4000 + status`.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { MAX_CLOSE_REASON_BYTES, ORRERY_SUBPROTOCOL, OrreryError, rejectionCloseCode } from '@orrery/protocol';
import { Conn, connLifecycle, type ConnSite } from './conn.js';
import { HeartbeatWheel } from './heartbeat.js';
import { consoleLogger, createRouteStats, safeLogger, type Logger, type RouteStats, type ServerStats } from './observability.js';
import { invalid, positive, resolveLimits, type ConnectionLimits, type ResolvedLimits } from './options.js';
import { memoryRegistry } from './registry/memory.js';
import type { RegistryBackend } from './registry/types.js';
import { createRegistryView, type Registry } from './registry/view.js';
import type { AnyRoute, RouteDefinition } from './route.js';
import { compilePath, type PathPattern } from './router.js';
import { WsConnection, type WsRouteRuntime } from './ws-connection.js';
import { isRejection, type WebsocketHandler } from './types.js';
import { checkUpgradeRequest, compileOriginPolicy, respondOnSocket, type OriginPolicy } from './upgrade.js';
import { connectWithTimeout, type ConnectOutcome } from './handshake.js';

/** Options of {@link createWebsocketServer}. */
export interface WebsocketServerOptions {
  /** The routes, matched in order. */
  routes: readonly AnyRoute[];
  /** Attach to this HTTP(S) server's `upgrade` event. Exclusive with `port`. */
  server?: HttpServer | HttpsServer;
  /** Listen on this port with a server of our own (0 = any free port). Exclusive with `server`. */
  port?: number;
  /** Interface to listen on (with `port`). @default Node's default: all interfaces */
  host?: string;
  /** The registry backend. @default an in-memory registry, closed with the server */
  registry?: RegistryBackend;
  /** Limits for every route (a route's own override these). */
  limits?: ConnectionLimits;
  /** Browser origins allowed on every route (cross-site websocket hijacking). @default any */
  allowedOrigins?: OriginPolicy;
  /** Structured logger. @default {@link consoleLogger}('warn') */
  logger?: Logger;
  /**
   * On `close()`, spread the 1001 closes over this window so clients do not reconnect in one storm.
   * @default 2_000
   */
  drainWindowMs?: number;
}

/** A running websocket server. */
export interface WebsocketServer {
  /** The HTTP server (attached, or our own). */
  readonly httpServer: HttpServer | HttpsServer;
  /** The registry backend. */
  readonly registryBackend: RegistryBackend;
  /** Resolves once listening (at once when attached). */
  readonly ready: Promise<void>;
  /** The bound port (after `ready`). */
  readonly port: number;
  /** A route's registry namespace, by definition (typed) or by name. */
  registry<M>(route: RouteDefinition<never, M, never> | RouteDefinition<unknown, M, object>): Registry<M>;
  registry(name: string): Registry<unknown>;
  /** Handle an upgrade yourself (e.g. from your own `upgrade` listener). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answer a plain HTTP request on a websocket path with 426; returns false for other paths. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Open connections, on one route or all. */
  connectionCount(routeName?: string): number;
  /** Counters per route, and registry sizes. */
  stats(): ServerStats;
  /**
   * Drain and stop: refuse new upgrades, close every connection with 1001 "server shutting
   * down; please reconnect" spread over `drainWindowMs`, wait for `terminate` callbacks,
   * then close our own HTTP server and registry. Idempotent.
   */
  close(options?: { drainWindowMs?: number }): Promise<void>;
}

const SHUTDOWN_REASON = 'server shutting down; please reconnect';

interface RouteState extends WsRouteRuntime {
  readonly pattern: PathPattern;
  readonly maxConnections: number;
  readonly originCheck: ((req: IncomingMessage) => boolean) | undefined;
  readonly handleProtocols: ((offered: ReadonlySet<string>, req: IncomingMessage) => string | false) | undefined;
  readonly registry: Registry<unknown>;
  readonly connections: Set<WsConnection>;
  readonly site: ConnSite;
  readonly wss: WebSocketServer;
  /** Slots taken: open connections plus handshakes in progress. */
  slots: number;
}

/**
 * Create a websocket server with routes.
 *
 * @example
 * const server = createWebsocketServer({
 *   port: 3000,
 *   routes: [route('/echo', {
 *     init: () => [null, []],
 *     handleClientMessage: (state, _conn, frame) => [state, [frame]],
 *     handleServerMessage: (state) => [state, []],
 *   })],
 * });
 * await server.ready;
 */
export function createWebsocketServer(options: WebsocketServerOptions): WebsocketServer {
  return new OrreryWebsocketServer(options);
}

let connCounter = 0;

class OrreryWebsocketServer implements WebsocketServer {
  readonly httpServer: HttpServer | HttpsServer;
  readonly registryBackend: RegistryBackend;
  readonly ready: Promise<void>;
  private readonly routes: RouteState[] = [];
  private readonly byName = new Map<string, RouteState>();
  private readonly logger: Logger;
  private readonly ownsServer: boolean;
  private readonly ownsRegistry: boolean;
  private readonly drainWindowMs: number;
  private readonly upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head);
  /** Headers for the 101 being written now (ws's `headers` hook runs synchronously in handleUpgrade). */
  private pendingHeaders: Readonly<Record<string, string>> | undefined;
  private closing: Promise<void> | undefined;
  private readonly handshakes = new Set<Duplex>();

  constructor(options: WebsocketServerOptions) {
    if (options.server !== undefined && options.port !== undefined) invalid('createWebsocketServer: give either server (attach) or port (listen), not both');
    if (options.server === undefined && options.port === undefined) invalid('createWebsocketServer: give server (to attach to) or port (to listen on; 0 for any)');
    if (!Array.isArray(options.routes) || options.routes.length === 0) invalid('createWebsocketServer: routes must be a non-empty array of route(...) definitions');
    this.drainWindowMs = options.drainWindowMs ?? 2_000;
    if (this.drainWindowMs !== 0) positive('createWebsocketServer', 'drainWindowMs', this.drainWindowMs);
    this.logger = safeLogger(options.logger ?? consoleLogger('warn'));
    this.ownsRegistry = options.registry === undefined;
    this.registryBackend = options.registry ?? memoryRegistry();
    for (const def of options.routes) this.addRoute(def, options);

    if (options.server !== undefined) {
      this.ownsServer = false;
      this.httpServer = options.server;
      this.ready = Promise.resolve();
    } else {
      this.ownsServer = true;
      this.httpServer = createServer((req, res) => {
        if (!this.handleRequest(req, res)) {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('NoRouteFound');
        }
      });
      this.ready = new Promise((resolve, reject) => {
        this.httpServer.once('error', reject);
        this.httpServer.listen(options.port, options.host, () => {
          this.httpServer.off('error', reject);
          resolve();
        });
      });
    }
    this.httpServer.on('upgrade', this.upgradeListener);
  }

  get port(): number {
    const address = this.httpServer.address() as AddressInfo | string | null;
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  private addRoute(def: AnyRoute, options: WebsocketServerOptions): void {
    const where = `route ${def.path}`;
    if (typeof def !== 'object' || def === null || typeof def.handler !== 'object' || def.handler === null) invalid(`${String(def?.path)}: a route needs a handler object; use route(path, handler)`);
    const handler = def.handler as WebsocketHandler<unknown, unknown, object>;
    for (const cb of ['init', 'handleClientMessage', 'handleServerMessage'] as const) {
      if (typeof handler[cb] !== 'function') invalid(`${where}: the handler must implement ${cb}`);
    }
    const pattern = compilePath(def.path);
    const name = def.options.name ?? def.path;
    if (this.byName.has(name)) invalid(`${where}: two routes are named ${JSON.stringify(name)}; give one a name`);
    if (this.routes.some((r) => r.pattern.source === def.path)) invalid(`${where}: the path is defined twice`);
    const maxConnections = def.options.maxConnections ?? Infinity;
    positive(where, 'maxConnections', maxConnections);
    const limits: ResolvedLimits = resolveLimits(where, options.limits, def.options);
    const namespace = this.registryBackend.namespace(name);
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
      const extra = this.pendingHeaders;
      if (extra !== undefined) for (const [header, value] of Object.entries(extra)) headers.push(`${header}: ${value}`);
    });
    const state: RouteState = {
      name,
      handler,
      limits,
      namespace,
      logger: this.logger,
      stats,
      pattern,
      maxConnections,
      originCheck: compileOriginPolicy(def.options.allowedOrigins ?? options.allowedOrigins),
      handleProtocols: def.options.handleProtocols,
      registry,
      connections: new Set(),
      site: { idPrefix: `${this.registryBackend.nodeId}.`, route: name, registry },
      wss,
      wheel: new HeartbeatWheel(limits.pingIntervalMs, limits.idleTimeoutMs),
      slots: 0,
      socketClosed: (connection) => {
        if (state.connections.delete(connection)) {
          state.slots--;
          stats.connections--;
        }
      },
    };
    this.routes.push(state);
    this.byName.set(name, state);
  }

  registry<M>(route: RouteDefinition<never, M, never> | RouteDefinition<unknown, M, object> | string): Registry<M> {
    const state = typeof route === 'string' ? this.byName.get(route) : this.routes.find((r) => r.handler === route.handler && r.pattern.source === route.path);
    if (state === undefined) {
      throw new OrreryError('ORRERY_INVALID_OPTIONS', `no route ${typeof route === 'string' ? JSON.stringify(route) : route.path} on this server`);
    }
    return state.registry as Registry<M>;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const { path } = splitUrl(req.url);
    if (this.match(path) === undefined) return false;
    res.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Content-Type': 'text/plain; charset=utf-8' }).end('UpgradeRequired');
    return true;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const { path, query } = splitUrl(req.url);
    const found = this.match(path);
    if (found === undefined) {
      if (!this.ownsServer && this.httpServer.listenerCount('upgrade') > 1) return;
      respondOnSocket(socket, 404, 'NoRouteFound');
      return;
    }
    if (found.params === 'bad-encoding') {
      this.refuse(found.route, socket, 400, 'Bad path encoding');
      return;
    }
    const r = found.route;
    if (this.closing !== undefined) {
      this.refuse(r, socket, 503, 'ServerShuttingDown', { 'Retry-After': '1' });
      return;
    }
    const offered = checkUpgradeRequest(req);
    if (!(offered instanceof Set)) {
      this.refuse(r, socket, offered.status, offered.body, offered.headers);
      return;
    }
    const asClose = offered.has(ORRERY_SUBPROTOCOL);
    if (r.originCheck !== undefined && !r.originCheck(req)) {
      this.reject(r, req, socket, head, asClose, { status: 403, body: 'ForbiddenOrigin' });
      return;
    }
    if (r.slots >= r.maxConnections) {
      this.logger.error('Cannot establish new websocket connection: too many connections', { route: r.name, max: r.maxConnections });
      this.reject(r, req, socket, head, asClose, { status: 503, body: 'TooManyWebsocketConnections' });
      return;
    }
    r.slots++;
    this.handshakes.add(socket);
    const conn = new Conn<object, unknown>({
      site: r.site,
      seq: ++connCounter,
      path,
      pathParams: found.params,
      rawQuery: query,
      headers: req.headers,
      remoteAddress: peerAddress(req.socket),
    });
    connectWithTimeout(r.handler, conn, r.limits.connectTimeoutMs).then(
      (outcome) => this.afterConnect(r, req, socket, head, asClose, conn, outcome),
      (error: unknown) => {
        this.logger.error('websocket connect failed', { route: r.name, conn: conn.id, error });
        this.afterConnect(r, req, socket, head, asClose, conn, { status: 500, body: 'Internal Server Error' });
      },
    );
  }

  private afterConnect(r: RouteState, req: IncomingMessage, socket: Duplex, head: Buffer, asClose: boolean, conn: Conn<object, unknown>, outcome: ConnectOutcome): void {
    this.handshakes.delete(socket);
    // The slot taken before connect is handed to the connection on success, released otherwise.
    if (socket.destroyed || !socket.writable) {
      r.slots--;
      return;
    }
    if (this.closing !== undefined) {
      r.slots--;
      this.refuse(r, socket, 503, 'ServerShuttingDown', { 'Retry-After': '1' });
      return;
    }
    if (!(outcome instanceof Conn) || outcome !== conn) {
      r.slots--;
      if (outcome instanceof Conn || !('status' in outcome)) {
        this.logger.error('websocket connect must return the conn it was given, or reject(...)', { route: r.name, conn: conn.id });
        this.reject(r, req, socket, head, asClose, { status: 500, body: 'Internal Server Error' });
      } else {
        this.reject(r, req, socket, head, asClose, isRejection(outcome) ? outcome : { status: outcome.status, body: outcome.body });
      }
      return;
    }
    let opened = false;
    this.pendingHeaders = connLifecycle.responseHeaders(conn);
    try {
      r.wss.handleUpgrade(req, socket, head, (ws) => {
        opened = true;
        this.open(r, conn, ws, socket);
      });
    } finally {
      this.pendingHeaders = undefined;
    }
    if (!opened) r.slots--;
  }

  private open(r: RouteState, conn: Conn<object, unknown>, ws: WebSocket, socket: Duplex): void {
    connLifecycle.upgraded(conn, ws.protocol);
    // ws has its own error handling on the socket from here on.
    socket.off('error', destroyOnError);
    const connection = new WsConnection(conn, r, ws, socket);
    r.connections.add(connection);
    r.stats.connections++;
    r.stats.connectionsTotal++;
    r.wheel.add(connection);
    connection.start();
  }

  /** Refuse with a plain HTTP response (the request is not a usable websocket upgrade). */
  private refuse(r: RouteState, socket: Duplex, status: number, body: string, headers?: Record<string, string>): void {
    r.stats.rejections[status] = (r.stats.rejections[status] ?? 0) + 1;
    respondOnSocket(socket, status, body, headers);
  }

  /** Refuse a valid upgrade: HTTP status, or accept-and-close 4000+status for `orrery.v1` clients. */
  private reject(r: RouteState, req: IncomingMessage, socket: Duplex, head: Buffer, asClose: boolean, rejection: { status: number; body: string; headers?: Readonly<Record<string, string>> }): void {
    if (!asClose) {
      this.refuse(r, socket, rejection.status, rejection.body, rejection.headers as Record<string, string> | undefined);
      return;
    }
    r.stats.rejections[rejection.status] = (r.stats.rejections[rejection.status] ?? 0) + 1;
    this.pendingHeaders = rejection.headers;
    try {
      r.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.close(rejectionCloseCode(rejection.status), truncateReason(rejection.body));
      });
    } finally {
      this.pendingHeaders = undefined;
    }
  }

  private match(path: string): { route: RouteState; params: Record<string, string> | 'bad-encoding' } | undefined {
    for (const r of this.routes) {
      const params = r.pattern.match(path);
      if (params !== undefined) return { route: r, params };
    }
    return undefined;
  }

  connectionCount(routeName?: string): number {
    let n = 0;
    for (const r of this.routes) if (routeName === undefined || r.name === routeName) n += r.connections.size;
    return n;
  }

  stats(): ServerStats {
    let names = 0;
    let groups = 0;
    let memberships = 0;
    for (const r of this.routes) {
      const size = r.namespace.localSize();
      names += size.names;
      groups += size.groups;
      memberships += size.memberships;
    }
    return {
      routes: this.routes.map((r) => ({ ...r.stats, rejections: { ...r.stats.rejections } })),
      registry: { kind: this.registryBackend.kind, nodeId: this.registryBackend.nodeId, names, groups, memberships },
    };
  }

  close(options: { drainWindowMs?: number } = {}): Promise<void> {
    this.closing ??= this.drain(options.drainWindowMs ?? this.drainWindowMs);
    return this.closing;
  }

  private async drain(windowMs: number): Promise<void> {
    if (this.ownsServer) this.httpServer.close();
    const connections = this.routes.flatMap((r) => [...r.connections]);
    const terminated = connections.map((c) => c.whenTerminated());
    await spread(connections.length, windowMs, (i) => {
      connections[i]!.beginClose(1001, SHUTDOWN_REASON, { type: 'stop' });
    });
    const graceMs = Math.max(...this.routes.map((r) => r.limits.closeTimeoutMs)) + 500;
    const allClosed = Promise.all(this.routes.map((r) => waitUntil(() => r.connections.size === 0)));
    const timedOut = await withTimeout(allClosed, graceMs);
    if (timedOut) for (const r of this.routes) for (const c of r.connections) c.abort();
    await Promise.all(terminated);
    for (const socket of this.handshakes) socket.destroy();
    for (const r of this.routes) r.wheel.stop();
    this.httpServer.off('upgrade', this.upgradeListener);
    for (const r of this.routes) r.wss.close();
    if (this.ownsServer) {
      (this.httpServer as HttpServer).closeAllConnections?.();
      await new Promise<void>((resolve) => {
        if (!this.httpServer.listening) resolve();
        else this.httpServer.close(() => resolve());
      });
    }
    if (this.ownsRegistry) await this.registryBackend.close();
  }
}

/**
 * The peer address, without keeping Node's per-socket `_peername` cache ({address, family,
 * port}, ~100 bytes per idle connection) alive: Node recomputes it if anything asks again.
 */
function peerAddress(socket: IncomingMessage['socket']): string {
  const address = socket.remoteAddress ?? '';
  const cached = socket as unknown as { _peername?: unknown };
  if (cached._peername !== undefined) cached._peername = undefined;
  return address;
}

function selectProtocol(offered: Set<string>, req: IncomingMessage, choose: RouteState['handleProtocols']): string | false {
  if (offered.has(ORRERY_SUBPROTOCOL)) return ORRERY_SUBPROTOCOL;
  if (choose !== undefined) return choose(offered, req);
  return offered.values().next().value ?? false;
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function splitUrl(url: string | undefined): { path: string; query: string } {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}

function truncateReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_CLOSE_REASON_BYTES);
  while (Buffer.byteLength(cut) > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}

/** Call `fn(i)` for i in 0..n-1, spread evenly over `windowMs` (one timer at a time). */
async function spread(n: number, windowMs: number, fn: (i: number) => void): Promise<void> {
  if (n === 0) return;
  if (windowMs <= 0) {
    for (let i = 0; i < n; i++) fn(i);
    return;
  }
  const start = Date.now();
  let next = 0;
  while (next < n) {
    const due = Math.min(n, Math.floor(((Date.now() - start) / windowMs) * n) + 1);
    while (next < due) fn(next++);
    if (next < n) await sleep(Math.max(1, Math.min(50, windowMs / n)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(10);
}

/** Resolves true when `promise` did not settle within `ms`. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), ms); });
  const result = await Promise.race([promise.then(() => false), timeout]);
  clearTimeout(timer);
  return result;
}
