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
import type { WebSocket } from 'ws';
import { MAX_CLOSE_REASON_BYTES, ORRERY_SUBPROTOCOL, OrreryError, rejectionCloseCode, truncateUtf8 } from '@orrery/protocol';
import { Conn, connLifecycle } from './conn.js';
import { connectWithTimeout, type ConnectOutcome } from './handshake.js';
import { consoleLogger, safeLogger, type Logger, type ServerStats } from './observability.js';
import { invalid, positive } from './options.js';
import { memoryRegistry } from './registry/memory.js';
import type { RegistryBackend } from './registry/types.js';
import type { Registry } from './registry/view.js';
import { countRefusal, resumeOrRefuse, type ResumeRouteState } from './resume/attach.js';
import { ResumableConnection } from './resume/session.js';
import { findResumeRequest, type ResumeRequest } from './resume/token.js';
import type { AnyRoute, RouteDefinition } from './route.js';
import { buildRouteState, type RouteState } from './route-state.js';
import { closeEveryConnection } from './shutdown.js';
import { isRejection } from './types.js';
import { checkUpgradeRequest, destroyOnError, peerAddress, respondOnSocket, splitUrl } from './upgrade.js';
import { WsConnection } from './ws-connection.js';
import type { WebsocketServer, WebsocketServerOptions } from './server-api.js';

export type { WebsocketServer, WebsocketServerOptions } from './server-api.js';

const SHUTDOWN_REASON = 'server shutting down; please reconnect';

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
    const hubs = Promise.all(this.routes.map((r) => r.hub?.start()));

    if (options.server !== undefined) {
      this.ownsServer = false;
      this.httpServer = options.server;
      this.ready = hubs.then(() => undefined);
    } else {
      this.ownsServer = true;
      this.httpServer = createServer((req, res) => {
        if (!this.handleRequest(req, res)) {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('NoRouteFound');
        }
      });
      this.ready = new Promise<void>((resolve, reject) => {
        this.httpServer.once('error', reject);
        this.httpServer.listen(options.port, options.host, () => {
          this.httpServer.off('error', reject);
          resolve();
        });
      }).then(() => hubs).then(() => undefined);
    }
    this.httpServer.on('upgrade', this.upgradeListener);
  }

  get port(): number {
    const address = this.httpServer.address() as AddressInfo | string | null;
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  private addRoute(def: AnyRoute, options: WebsocketServerOptions): void {
    const state = buildRouteState(def, {
      defaults: options.limits,
      allowedOrigins: options.allowedOrigins,
      backend: this.registryBackend,
      logger: this.logger,
      responseHeaders: () => this.pendingHeaders,
    });
    if (this.byName.has(state.name)) invalid(`route ${def.path}: two routes are named ${JSON.stringify(state.name)}; give one a name`);
    if (this.routes.some((r) => r.pattern.source === def.path)) invalid(`route ${def.path}: the path is defined twice`);
    this.routes.push(state);
    this.byName.set(state.name, state);
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
    const resume = r.sessions === undefined ? undefined : findResumeRequest(offered);
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
    const h: Handshake = { r, req, socket, head, asClose, conn, resume };
    connectWithTimeout(r.handler, conn, r.limits.connectTimeoutMs).then(
      (outcome) => this.afterConnect(h, outcome),
      (error: unknown) => {
        this.logger.error('websocket connect failed', { route: r.name, conn: conn.id, error });
        this.afterConnect(h, { status: 500, body: 'Internal Server Error' });
      },
    );
  }

  private afterConnect(h: Handshake, outcome: ConnectOutcome): void {
    const { r, req, socket, head, asClose, conn } = h;
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
        this.open(h, ws);
      });
    } finally {
      this.pendingHeaders = undefined;
    }
    if (!opened) r.slots--;
  }

  private open(h: Handshake, ws: WebSocket): void {
    const { r, conn, socket } = h;
    connLifecycle.upgraded(conn, ws.protocol);
    // ws has its own error handling on the socket from here on.
    socket.off('error', destroyOnError);
    if (r.sessions === undefined) {
      this.start(r, new WsConnection(conn, r, ws, socket));
      return;
    }
    const rr = r as RouteState & ResumeRouteState;
    const outcome = resumeOrRefuse(rr, conn, ws, socket, h.resume, this.logger);
    if (outcome === 'resumed') return;
    if ('remote' in outcome) {
      // The session lives on another node: relay to it, or open a fresh one if it refuses.
      r.stats.connections++;
      r.hub!.relay(ws, socket, outcome.remote, outcome.identity, (reason) => {
        r.stats.connections--;
        countRefusal(rr, reason);
        this.start(r, new ResumableConnection(conn, rr, ws, socket, outcome.identity, reason));
      });
      return;
    }
    this.start(r, new ResumableConnection(conn, rr, ws, socket, outcome.identity, outcome.refusal));
  }

  private start(r: RouteState, connection: WsConnection): void {
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
        ws.close(rejectionCloseCode(rejection.status), truncateUtf8(rejection.body, MAX_CLOSE_REASON_BYTES));
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
    for (const r of this.routes) if (routeName === undefined || r.name === routeName) n += r.connections.size + (r.hub?.relayCount ?? 0);
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
      routes: this.routes.map((r) => ({
        ...r.stats,
        rejections: { ...r.stats.rejections },
        resumeRefusals: { ...r.stats.resumeRefusals },
        sessionsParked: r.sessions?.parkedCount ?? 0,
      })),
      registry: { kind: this.registryBackend.kind, nodeId: this.registryBackend.nodeId, names, groups, memberships },
    };
  }

  close(options: { drainWindowMs?: number } = {}): Promise<void> {
    this.closing ??= this.drain(options.drainWindowMs ?? this.drainWindowMs);
    return this.closing;
  }

  private async drain(windowMs: number): Promise<void> {
    if (this.ownsServer) this.httpServer.close();
    await closeEveryConnection(this.routes, windowMs, SHUTDOWN_REASON);
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

/** One handshake in progress. */
interface Handshake {
  readonly r: RouteState;
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  /** The client offered orrery.v1: rejections become close 4000+status. */
  readonly asClose: boolean;
  readonly conn: Conn<object, unknown>;
  /** Resumable routes: the client's resume request, if any. */
  readonly resume: ResumeRequest | 'malformed' | undefined;
}
