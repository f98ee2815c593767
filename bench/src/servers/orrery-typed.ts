/**
 * Xt: Orrery's typed layer (`defineTypedHandler` over a zod protocol), the way an application
 * uses it: every client message is decoded from the `orrery.v1` envelope and validated, every
 * reply is encoded (and validated); a published message is one object, encoded once for all
 * recipients by the default `handleServerMessage`.
 *
 * Wire: the client sends `{"t":"msg","n":"say","d":{"text":"…"}}`, the server answers or
 * broadcasts `{"t":"msg","n":"said","d":{"text":"…"}}` (after a `{"t":"welcome"}` frame).
 */
import { defineProtocol } from '@orrery/protocol';
import { createWebsocketServer, defineTypedHandler, route, type WebsocketServer } from '@orrery/server';
import * as z from 'zod';
import type { ServerConfig } from '../common/protocol.js';
import { packageVersion } from '../common/versions.js';
import { GROUP, PATHS, idleTimeoutFor, type BenchServer } from './types.js';

/** The bench protocol: one message each way. */
export const benchProtocol = defineProtocol({
  client: { say: z.object({ text: z.string() }) },
  server: { said: z.object({ text: z.string() }) },
});

let failures = 0;
const countFailure = (): void => { failures++; };

const echo = defineTypedHandler(benchProtocol, {
  init: () => [null, []],
  messages: { say: (state, _conn, { text }) => [state, [{ name: 'said', data: { text } }]] },
});

const fanout = defineTypedHandler(benchProtocol, {
  init: (conn) => {
    if (conn.pathParams.role === 'sub') conn.registry.group.join(GROUP, conn).catch(countFailure);
    return [null, []];
  },
  messages: {
    say: (state, conn, { text }) => {
      if (conn.pathParams.role === 'pub') conn.registry.group.publish(GROUP, { name: 'said', data: { text } }).catch(countFailure);
      return [state, []];
    },
  },
});

/** Start a typed Orrery server (apps echo and fanout). */
export async function startOrreryTyped(config: ServerConfig): Promise<BenchServer> {
  if (config.app !== 'echo' && config.app !== 'fanout') throw new Error(`Xt runs echo and fanout, not ${config.app}`);
  const limits = { pingIntervalMs: config.pingIntervalMs, idleTimeoutMs: idleTimeoutFor(config.pingIntervalMs) };
  const routes = config.app === 'echo' ? [route(PATHS.echo, echo, limits)] : [route('/fan/:role', fanout, { ...limits, name: 'fan' })];
  const server: WebsocketServer = createWebsocketServer({ port: 0, host: '127.0.0.1', routes });
  await server.ready;
  return {
    port: server.port,
    variant: `Xt: @orrery/server typed handler, zod ${packageVersion('zod')}`,
    connections: () => server.connectionCount(),
    close: async () => {
      await server.close({ drainWindowMs: 0 });
      if (failures > 0) process.stderr.write(`Xt: ${failures} registry calls failed\n`);
    },
  };
}
