/** Protocol, handler and helpers of the typed-handler tests. */
import { afterEach } from 'vitest';
import { z } from 'zod';
import { defineProtocol } from '@orrery/protocol';
import {
  createWebsocketServer,
  defineTypedHandler,
  fail,
  route,
  type AnyRoute,
  type Logger,
  type LogFields,
  type TerminateReason,
  type WebsocketServer,
} from '@orrery/server';
import { connectTestClient, type TestClient } from '@orrery/server/testing';

export const Message = z.object({ from: z.string(), text: z.string(), at: z.number() });

export const chat = defineProtocol({
  client: {
    say: z.object({ text: z.string().min(1).max(200) }),
    join: z.object({ room: z.string() }),
    slow: z.object({ n: z.number() }).refine(async () => true),
    bad: z.object({}),
  },
  server: {
    said: Message,
    joined: z.object({ room: z.string(), members: z.number() }),
  },
  requests: {
    history: { input: z.object({ room: z.string() }), output: z.array(Message), errors: ['NOT_FOUND'] },
    count: { input: z.undefined(), output: z.number() },
    boom: { input: z.undefined(), output: z.number() },
    undeclared: { input: z.undefined(), output: z.number() },
  },
});

export interface ChatState {
  readonly name: string;
  readonly said: number;
}

/** Everything the chat handler saw, for assertions. */
export const seen = { messages: [] as unknown[], terminated: [] as TerminateReason[] };

export const chatHandler = defineTypedHandler(chat, {
  init: async (conn) => {
    await conn.registry.group.join('lobby', conn);
    return [{ name: conn.query.get('name') ?? 'anon', said: 0 }, [{ name: 'joined', data: { room: 'lobby', members: 1 } }]];
  },
  messages: {
    say: async (state, conn, { text }) => {
      seen.messages.push(text);
      await conn.registry.group.publish('lobby', { name: 'said', data: { from: state.name, text, at: 1 } });
      return [{ ...state, said: state.said + 1 }, []];
    },
    join: (state, _conn, { room }) => [state, [{ name: 'joined', data: { room, members: 2 } }]],
    slow: (state, _conn, { n }) => [state, [{ name: 'joined', data: { room: `slow-${n}`, members: n } }]],
    // sends data that breaks its schema: a handler error (validateOutgoing)
    bad: (state) => [state, [{ name: 'joined', data: { room: 'x', members: 'two' as unknown as number } }]],
  },
  requests: {
    history: (state, _conn, { room }) =>
      room === 'lobby' ? [state, [{ from: 'ada', text: 'hi', at: 1 }]] : [state, fail('NOT_FOUND', `no room ${room}`)],
    count: (state) => [state, state.said, [{ name: 'joined', data: { room: 'count', members: state.said } }]],
    boom: () => {
      throw new Error('request exploded');
    },
    undeclared: (state) => [state, fail('NOPE' as never, 'not declared')],
  },
  terminate: (_state, _conn, reason) => {
    seen.terminated.push(reason);
  },
});

/** A logger that keeps error lines. */
export class ErrorLog implements Logger {
  readonly errors: { message: string; fields: LogFields }[] = [];
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(message: string, fields: LogFields): void {
    this.errors.push({ message, fields });
  }
}

const servers: WebsocketServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close({ drainWindowMs: 0 })));
  seen.messages.length = 0;
  seen.terminated.length = 0;
});

/** Start a server with `routes` on a free port (closed after each test). */
export async function start(routes: AnyRoute[], logger: Logger = new ErrorLog()): Promise<WebsocketServer> {
  const server = createWebsocketServer({ port: 0, host: '127.0.0.1', drainWindowMs: 0, routes, logger });
  servers.push(server);
  await server.ready;
  return server;
}

/** Connect a raw test client offering `orrery.v1` (terminated after each test). */
export async function connect(server: WebsocketServer, path: string, protocols = ['orrery.v1']): Promise<TestClient> {
  const client = await connectTestClient(`ws://127.0.0.1:${server.port}${path}`, { protocols });
  clients.push(client);
  return client;
}

export const chatRoute = route('/chat', chatHandler);

/** Connect to the chat route and read past its first two frames (welcome, joined). */
export async function joinChat(server: WebsocketServer, path = '/chat'): Promise<TestClient> {
  const client = await connect(server, path);
  await client.nextJson();
  await client.nextJson();
  return client;
}
