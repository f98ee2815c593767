/**
 * One server process of the presence load test: `createWebsocketServer` + `redisPresence`
 * on a typed route `/room?user=<key>&sub=1`, whose `init` tracks the connection in the group
 * `room` (metadata `{ n }`) and, with `sub=1`, subscribes it (state, then diffs). Presence
 * messages reach the client through the typed layer's default forward (one encoding per
 * message object).
 *
 * Environment: REDIS_URL, DIFF_MS (diffIntervalMs), MAX_MEMBERS. Prints one JSON line
 * `{ "port", "statsPort", "nodeId" }` when ready. `GET http://127.0.0.1:<statsPort>/` answers
 * this process's CPU time, memory, frames and bytes sent, connections and presence sizes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineProtocol, presenceMessages } from '@orrery/protocol';
import { consoleLogger, createWebsocketServer, defineTypedHandler, route } from '@orrery/server';
import { redisPresence, redisRegistry } from '@orrery/redis';

export const roomProtocol = defineProtocol({ server: { ...presenceMessages() } });

const env = process.env;
const logger = consoleLogger('warn');
const registry = redisRegistry({ redis: env.REDIS_URL, logger, maxInFlight: 50_000 });
const presence = redisPresence(registry, {
  diffIntervalMs: Number(env.DIFF_MS ?? 500),
  maxMembers: Number(env.MAX_MEMBERS ?? 20_000),
});

const room = route('/room', defineTypedHandler(roomProtocol, {
  init: async (conn) => {
    const user = conn.query.get('user') ?? 'anon';
    await presence.track(conn, 'room', user, { n: Number(conn.query.get('n') ?? 0) });
    if (conn.query.get('sub') === '1') await presence.subscribe(conn, 'room');
    return [null, []];
  },
}), { name: 'room', idleTimeoutMs: 600_000, pingIntervalMs: 300_000, maxBufferedBytes: 64 * 1024 * 1024 });

await registry.ready();
const server = createWebsocketServer({ port: 0, host: '127.0.0.1', routes: [room], registry: presence.registry, logger, drainWindowMs: 0 });
await server.ready;

const stats = createServer((_req, res) => {
  const r = server.stats().routes.find((s) => s.route === 'room');
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    cpuMicros: cpu.user + cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    framesOut: r?.framesOut ?? 0,
    bytesOut: r?.bytesOut ?? 0,
    connections: server.connectionCount('room'),
    presence: presence.of(room).localSize(),
  }));
});
await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: server.port, statsPort: (stats.address() as AddressInfo).port, nodeId: registry.nodeId })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    stats.close();
    await server.close({ drainWindowMs: 0 });
    await presence.registry.close();
    process.exit(0);
  })();
});
