/**
 * The server of the resume integration and chaos tests: a resumable typed route `/stream`
 * whose connections all join group `all`, plus a tiny HTTP side door so a test can drive and
 * inspect it the same way in-process and in a child process (stream-node.ts):
 *
 * - `POST /publish?from=A&to=B` publishes `tick {n}` for n = A … B to group `all`, one after
 *   the other (FIFO per publisher), and answers with the recipient count of the last one;
 * - `GET /log` answers {@link StreamLog}: every `say` this node's handlers processed, by
 *   sender, in processing order, and the `init` / `terminate` counts.
 *
 * Each processed `say {from, n}` is answered with `heard {n}` to its sender (a sequenced
 * message too).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { defineProtocol } from '@orrery/protocol';
import { createWebsocketServer, defineTypedHandler, route, type RegistryBackend, type TerminateReason, type WebsocketServer } from '@orrery/server';

/** The protocol of the stream tests. */
export const streamProtocol = defineProtocol({
  client: { say: z.object({ from: z.string(), n: z.number() }) },
  server: { tick: z.object({ n: z.number() }), heard: z.object({ n: z.number() }) },
});

/** What one node processed. */
export interface StreamLog {
  /** Sender → the `n` of each `say` processed, in order. */
  said: Record<string, number[]>;
  /** `init` runs, by user. */
  inits: Record<string, number>;
  /** `terminate` reasons (`type`), by user. */
  terminated: Record<string, string[]>;
}

/** Resume options of the route (see @orrery/server's ResumeOptions). */
export type StreamResume = { windowMs?: number; maxMessages?: number; maxBytes?: number; ackDelayMs?: number; maxParked?: number; maxParkedBytes?: number };

/** A running stream server. */
export interface StreamServer {
  readonly server: WebsocketServer;
  readonly port: number;
  readonly log: StreamLog;
  close(): Promise<void>;
}

function streamHandler(log: StreamLog) {
  return defineTypedHandler<typeof streamProtocol, { user: string }, import('@orrery/protocol').ServerMessage<typeof streamProtocol>, { user: string }>(streamProtocol, {
    connect: (conn) => conn.assign({ user: conn.query.get('user') ?? 'anon' }),
    init: async (conn) => {
      const user = conn.assigns.user;
      log.inits[user] = (log.inits[user] ?? 0) + 1;
      await conn.registry.group.join('all', conn);
      return [{ user }, []];
    },
    messages: {
      say: (state, _conn, { from, n }) => {
        (log.said[from] ??= []).push(n);
        return [state, [{ name: 'heard', data: { n } }]];
      },
    },
    terminate: (state, _conn, reason: TerminateReason) => {
      (log.terminated[state.user] ??= []).push(reason.type);
    },
  });
}

/** Start the stream server on `port` (0: any free port) with `registry` (default: in memory). */
export async function startStreamServer(options: { port?: number; resume?: StreamResume; registry?: RegistryBackend } = {}): Promise<StreamServer> {
  const log: StreamLog = { said: {}, inits: {}, terminated: {} };
  const stream = route('/stream', streamHandler(log), { resume: { windowMs: 10_000, ackDelayMs: 20, ...options.resume } });
  const http = createServer((req, res) => void answer(req, res));
  const server = createWebsocketServer({ server: http, routes: [stream], drainWindowMs: 0, logger: { debug() {}, info() {}, warn() {}, error() {} }, ...(options.registry ? { registry: options.registry } : {}) });
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    if (req.method === 'POST' && url.pathname === '/publish') {
      let recipients = 0;
      for (let n = Number(url.searchParams.get('from')); n <= Number(url.searchParams.get('to')); n++) {
        recipients = await server.registry(stream).group.publish('all', { name: 'tick', data: { n } });
      }
      body = { recipients };
    } else if (url.pathname === '/log') {
      body = log;
    } else if (url.pathname === '/stats') {
      body = server.stats();
    }
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? null));
  };
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  await server.ready;
  return {
    server,
    port: (http.address() as AddressInfo).port,
    log,
    close: async () => {
      await server.close({ drainWindowMs: 0 });
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Call a stream server's side door. */
export async function streamCall<T>(port: number, path: string, method: 'GET' | 'POST' = 'GET'): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  if (!res.ok) throw new Error(`${method} ${path} on ${port}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
