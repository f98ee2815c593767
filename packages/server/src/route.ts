/**
 * Routes: a handler on a path, with its own registry namespace, connection limit and limits.
 */
import type { IncomingMessage } from 'node:http';
import type { ConnectionLimits } from './options.js';
import type { WebsocketHandler } from './types.js';
import type { OriginPolicy } from './upgrade.js';
import type { ResumeOptions } from './resume/options.js';

/** Options of one route. Limits given here override the server's. */
export interface RouteOptions extends ConnectionLimits {
  /**
   * The route's name: its registry namespace and metrics label.
   * @default the path
   */
  name?: string;
  /**
   * Most open connections on this route in this process. One more gets HTTP 503
   * `TooManyWebsocketConnections` (close 4503 for `orrery.v1` clients). Counted after the
   * upgrade request is validated, released when the connection closes.
   * @default Infinity
   */
  maxConnections?: number;
  /** Browser origins allowed on this route. @default the server's `allowedOrigins` */
  allowedOrigins?: OriginPolicy;
  /**
   * Pick the subprotocol to answer with from those the client offered (`orrery.v1` is always
   * chosen when offered). Return `false` for none.
   * @default the first offered
   */
  handleProtocols?: (offered: ReadonlySet<string>, req: IncomingMessage) => string | false;
  /**
   * Make the route's sessions resumable (typed handlers only): a connection that drops
   * abnormally is parked for a window and its client resumes it with nothing lost or repeated
   * (docs/protocol.md §6). `true` takes every default.
   * @default undefined (not resumable)
   */
  resume?: ResumeOptions | boolean;
}

declare const routeTypes: unique symbol;

/** A route definition, typed by its handler (state `S`, registry messages `M`, assigns `A`). */
export interface RouteDefinition<S = unknown, M = unknown, A extends object = Record<string, unknown>> {
  readonly path: string;
  readonly handler: WebsocketHandler<S, M, A>;
  readonly options: RouteOptions;
  /** Phantom: carries the handler's types to `server.registry(route)`. */
  readonly [routeTypes]?: { state: S; message: M; assigns: A };
}

/**
 * Define a route.
 *
 * @example
 * const chat = route('/chat/:room', chatHandler, { maxConnections: 10_000 });
 * const server = createWebsocketServer({ port: 3000, routes: [chat] });
 * await server.registry(chat).group.publish('room:lobby', { text: 'hello' });
 */
export function route<S, M = unknown, A extends object = Record<string, unknown>>(
  path: string,
  handler: WebsocketHandler<S, M, A>,
  options: RouteOptions = {},
): RouteDefinition<S, M, A> {
  return { path, handler, options };
}

/** Any route definition, whatever its types. */
export type AnyRoute = RouteDefinition<never, never, never> | RouteDefinition<unknown, unknown, object>;
