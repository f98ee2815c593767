/**
 * X: Orrery (`@orrery/server`), raw handlers, written as the README shows them. Defaults
 * everywhere except the common heartbeat interval (and the idle timeout that must exceed it).
 *
 * - echo: `handleClientMessage: (state, _conn, frame) => [state, [frame]]`.
 * - fanout: subscribers join a group in `init`; the publisher's messages are published to
 *   the group as a text frame object, and `handleServerMessage` returns that same object,
 *   so the transport encodes it once for every recipient.
 * - r1-pub / r1-sub: the same group across two nodes through `@orrery/redis` (see `crossNodeRegistry`).
 */
import {
  createWebsocketServer,
  route,
  type Frame,
  type RegistryBackend,
  type TextFrame,
  type WebsocketHandler,
  type WebsocketServer,
} from '@orrery/server';
import type { ServerConfig } from '../common/protocol.js';
import { crossNodeRegistry } from './orrery-redis.js';
import { GROUP, PATHS, idleTimeoutFor, type BenchServer } from './types.js';

type Message = TextFrame;

let publishErrors = 0;
const countError = (): void => { publishErrors++; };

const echo: WebsocketHandler<null, Message> = {
  init: () => [null, []],
  handleClientMessage: (state, _conn, frame) => [state, [frame]],
  handleServerMessage: (state) => [state, []],
};

const idle: WebsocketHandler<null, Message> = {
  init: () => [null, []],
  handleClientMessage: (state) => [state, []],
  handleServerMessage: (state) => [state, []],
};

/** `/fan/sub` joins the group; `/fan/pub` publishes every text message to it. */
const fanout: WebsocketHandler<null, Message> = {
  init: (conn) => {
    if (conn.pathParams.role === 'sub') conn.registry.group.join(GROUP, conn).catch(countError);
    return [null, []];
  },
  handleClientMessage: (state, conn, frame) => {
    if (conn.pathParams.role === 'pub' && frame.type === 'text') {
      conn.registry.group.publish(GROUP, { type: 'text', data: frame.data }).catch(countError);
    }
    return [state, []];
  },
  handleServerMessage: (state, _conn, message): [null, Frame[]] => [state, [message]],
};

/** Start an Orrery server with an app. */
export async function startOrrery(config: ServerConfig): Promise<BenchServer> {
  const limits = { pingIntervalMs: config.pingIntervalMs, idleTimeoutMs: idleTimeoutFor(config.pingIntervalMs) };
  const cross = config.app === 'r1-pub' || config.app === 'r1-sub' ? await crossNodeRegistry(config) : undefined;
  const routes =
    config.app === 'echo' ? [route(PATHS.echo, echo, limits)]
    : config.app === 'idle' ? [route(PATHS.idle, idle, limits)]
    : [route('/fan/:role', fanout, { ...limits, name: 'fan' })];
  const registry: RegistryBackend | undefined = cross?.registry;
  const server: WebsocketServer = createWebsocketServer({
    port: 0,
    host: '127.0.0.1',
    routes,
    ...(registry === undefined ? {} : { registry }),
  });
  await server.ready;
  cross?.attach(server);
  const base: BenchServer = {
    port: server.port,
    variant: `X: @orrery/server${cross === undefined ? '' : ` (${cross.variant})`}`,
    connections: () => server.connectionCount(),
    close: async () => {
      await server.close({ drainWindowMs: 0 });
      await cross?.close();
      if (publishErrors > 0) process.stderr.write(`X: ${publishErrors} registry calls failed\n`);
    },
  };
  if (config.app === 'r1-pub' && cross !== undefined) return { ...base, publish: cross.publish };
  return base;
}
