/**
 * The demo's Node server: one HTTP server for the built pages, the tRPC router (`/trpc/`)
 * and two websocket routes — `/echo` (the seed's echo handler) and `/chat/:room` (the typed
 * chat handler) — on the in-memory registry and presence, or on Redis when `redisUrl` is
 * given (then every process with the same Redis shares rooms, who is online and history).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { consoleLogger, createWebsocketServer, memoryRegistry, route, type Logger, type RegistryBackend, type WebsocketServer } from '@orrery/server';
import { memoryPresence, type Presence } from '@orrery/server/presence';
import { redisPresence, redisRegistry } from '@orrery/redis';
import { chatHandler } from './chat-handler.js';
import { echoHandler } from './echo-handler.js';
import { memoryHistory, redisHistory, type HistoryStore } from './history.js';
import type { SendRate } from './rate-limit.js';
import { SECURITY_HEADERS, serveStatic } from './static.js';
import { createDemoRouter } from './trpc.js';

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** Port to listen on (0 = any free port). @default 3000 */
  port?: number;
  /** Interface to listen on. @default all interfaces */
  host?: string;
  /** Share rooms with other processes through this Redis (`redis://host:port`). @default in-memory */
  redisUrl?: string;
  /** Folder of the built pages (Vite's output). */
  staticDir: string;
  /** @default consoleLogger('warn') */
  logger?: Logger;
  /** How fast one connection may post. @default DEFAULT_SEND_RATE */
  sendRate?: SendRate;
  /** On close, spread the websocket closes over this window. @default 500 */
  drainWindowMs?: number;
}

/** A running demo server. */
export interface DemoServer {
  /** `http://localhost:<port>` */
  readonly url: string;
  readonly port: number;
  readonly http: Server;
  readonly websockets: WebsocketServer;
  /** Close every connection (1001), then the HTTP server, presence and the registry, and the history. */
  close(): Promise<void>;
}

/** The route of the chat (`/chat/:room?nick=…`). */
export const CHAT_PATH = '/chat/:room';
/** The route of the echo page's socket. */
export const ECHO_PATH = '/echo';

/**
 * Build presence (over its registry) and the history: in memory, or all in Redis. The server
 * gets `presence.registry`, so that a connection's end also ends its presence.
 */
async function backends(options: DemoServerOptions, logger: Logger): Promise<{ registry: RegistryBackend; presence: Presence<null>; history: HistoryStore }> {
  if (options.redisUrl === undefined) {
    const presence = memoryPresence<null>(memoryRegistry(), { logger });
    return { registry: presence.registry, presence, history: memoryHistory() };
  }
  const redis = redisRegistry({ redis: options.redisUrl, prefix: 'orrery-demo', logger });
  await redis.ready();
  const presence = redisPresence<null>(redis);
  return { registry: presence.registry, presence, history: redisHistory({ url: options.redisUrl }) };
}

/** Start the demo server; resolves once it listens. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const logger = options.logger ?? consoleLogger('warn');
  const { registry, presence, history } = await backends(options, logger);
  // The router reaches the chat route's registry lazily: the websocket server is built below.
  const router = createDemoRouter({ history, chatRegistry: () => websockets.registry(chatRoute) });
  const trpc = createHTTPHandler({ router, basePath: '/trpc/' });
  const http = createServer((req, res) => {
    if (isTrpc(req)) {
      trpc(req, res);
      return;
    }
    serveStatic(options.staticDir, req, res).catch((error: unknown) => {
      logger.error('demo: static file failed', { url: req.url, error });
      if (!res.headersSent) res.writeHead(500, SECURITY_HEADERS);
      res.end();
    });
  });
  // The handler answers fast senders with RATE_LIMITED; the route's limit closes (1008)
  // only a client that keeps hammering regardless.
  const chatRoute = route(CHAT_PATH, chatHandler({ history, logger, presence, sendRate: options.sendRate }), {
    name: 'chat',
    maxMessageBytes: 16 * 1024,
    rateLimit: { messages: 40, intervalMs: 1_000 },
    // A network blip loses nothing: a dropped page is parked for 2 minutes and resumes with
    // every message it missed, on whichever node it reaches (docs/server.md §6).
    resume: { windowMs: 120_000 },
  });
  const websockets = createWebsocketServer({
    server: http,
    registry,
    logger,
    drainWindowMs: options.drainWindowMs ?? 500,
    allowedOrigins: sameOrigin,
    routes: [route(ECHO_PATH, echoHandler, { maxMessageBytes: 64 * 1024 }), chatRoute],
  });
  await listen(http, options.port ?? 3000, options.host);
  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://localhost:${port}`,
    port,
    http,
    websockets,
    close: () =>
      (closing ??= (async () => {
        await websockets.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await registry.close();
        await history.close();
      })()),
  };
}

function isTrpc(req: IncomingMessage): boolean {
  return req.url === '/trpc' || (req.url?.startsWith('/trpc/') ?? false);
}

/** Browsers may open sockets from pages of this server only (cross-site websocket hijacking). */
function sameOrigin(origin: string | undefined, req: IncomingMessage): boolean {
  if (origin === undefined) return true; // not a browser page
  const host = req.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

function listen(http: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}
