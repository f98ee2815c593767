/**
 * S: Socket.IO 4, websocket transport only (no polling, no upgrade), compression off, its
 * own heartbeat (per-socket timers) at the common ping interval. Broadcasts use a room, which
 * Socket.IO encodes once (`wsPreEncodedFrame`); across nodes, @socket.io/redis-adapter.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import type { ServerConfig } from '../common/protocol.js';
import { packageVersion } from '../common/versions.js';
import { GROUP, type BenchServer } from './types.js';

function role(socket: Socket): string {
  const r = socket.handshake.query.role;
  return typeof r === 'string' ? r : '';
}

/** Start a Socket.IO server with an app. */
export async function startSocketIo(config: ServerConfig): Promise<BenchServer> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(http, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    pingInterval: config.pingIntervalMs,
    pingTimeout: 20_000,
  });
  const cross = config.app === 'r1-pub' || config.app === 'r1-sub';
  let redis: Redis[] = [];
  if (cross) {
    if (config.redisPort === undefined) throw new Error('the cross-node apps need redisPort');
    const pub = new Redis({ host: '127.0.0.1', port: config.redisPort });
    const sub = pub.duplicate();
    redis = [pub, sub];
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => {
    const r = role(socket);
    if (config.app === 'echo') {
      socket.on('m', (data: unknown) => socket.emit('m', data));
    } else if ((config.app === 'fanout' || config.app === 'r1-sub') && r === 'sub') {
      void socket.join(GROUP);
    } else if (config.app === 'fanout' && r === 'pub') {
      socket.on('m', (data: unknown) => io.to(GROUP).emit('m', data));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const server: BenchServer = {
    port: (http.address() as AddressInfo).port,
    variant: `S: socket.io ${packageVersion('socket.io')}${cross ? ` + @socket.io/redis-adapter ${packageVersion('@socket.io/redis-adapter')}` : ''}`,
    connections: () => io.engine.clientsCount,
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      for (const r of redis) r.disconnect();
    },
  };
  if (config.app === 'r1-pub') {
    return { ...server, publish: (payload) => { io.to(GROUP).emit('m', payload.toString('latin1')); } };
  }
  return server;
}
