/**
 * The public shape of a websocket server: its options and the running server's API.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger, ServerStats } from './observability.js';
import type { ConnectionLimits } from './options.js';
import type { RegistryBackend } from './registry/types.js';
import type { Registry } from './registry/view.js';
import type { AnyRoute, RouteDefinition } from './route.js';
import type { OriginPolicy } from './upgrade.js';

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
