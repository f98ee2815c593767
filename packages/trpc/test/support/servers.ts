/**
 * An in-process chat server for the single-process suites: the `/chat` websocket route on a
 * free port, on the given registry backend (in-memory by default), and an `orreryTrpc` of the
 * chat protocol over its registry.
 */
import { consoleLogger, createWebsocketServer, route, type RegistryBackend, type WebsocketServer } from '@orrery/server';
import { orreryTrpc, type OrreryTrpc, type SubscriptionSettings } from '@orrery/trpc';
import { chat, chatHandler, type Chat } from './chat.js';

/** A running chat server. */
export interface ChatServer {
  readonly server: WebsocketServer;
  readonly orrery: OrreryTrpc<Chat>;
  /** `ws://127.0.0.1:PORT/chat` */
  readonly chatUrl: string;
  /** Local group memberships of this process (connections and subscriptions). */
  memberships(): number;
  close(): Promise<void>;
}

/** The `/chat` route (registry namespace `/chat`). */
export const chatRoute = route('/chat', chatHandler);

/** Start a chat server on `registry` (default: in-memory), with subscription `settings`. */
export async function startChatServer(registry?: RegistryBackend, settings?: SubscriptionSettings): Promise<ChatServer> {
  const server = createWebsocketServer({ port: 0, host: '127.0.0.1', routes: [chatRoute], registry, logger: consoleLogger('error') });
  await server.ready;
  const orrery = orreryTrpc({ protocol: chat, registry: server.registry(chatRoute), subscriptions: settings });
  return {
    server,
    orrery,
    chatUrl: `ws://127.0.0.1:${server.port}/chat`,
    memberships: () => server.stats().registry.memberships,
    close: async () => {
      orrery.closeSubscriptions();
      await server.close({ drainWindowMs: 0 });
    },
  };
}
