/**
 * The raw `ws` baselines, written the way a careful (B0, B0c) or a plain (B1) user of ws
 * writes them. Compression is off and bufferutil is installed for all of them. Heartbeats
 * are ws's README `isAlive` pattern: one sweep over every client per ping interval.
 *
 * - B0: echo `ws.send(data)`; broadcast frames the message once (`WebSocket.Sender.frame`,
 *   header and payload in one buffer) and writes it to each socket (`_sender.sendFrame`) —
 *   one write per socket per message.
 * - B0c: B0, plus each socket is corked on its first write in a tick and uncorked on
 *   `process.nextTick`, so a burst becomes one write per socket.
 * - B1: echo decodes to a string and sends it; broadcast `JSON.stringify` + `ws.send` per socket.
 * - R1 (B0 only): node B is B0 fed by a raw ioredis subscriber, node A a raw ioredis publisher —
 *   the floor for a websocket delivery behind a Redis hop.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ServerConfig, ServerKind } from '../common/protocol.js';
import { packageVersion } from '../common/versions.js';
import { PATHS, type BenchServer } from './types.js';
import { frameOnce } from './ws-sender.js';
import { rawSubscriber, startHop } from './redis-hop.js';

interface Internal {
  _sender: { sendFrame(list: Buffer[], cb?: (error?: Error) => void): void };
  _socket: Duplex;
  isAlive?: boolean;
}

function internal(ws: WebSocket): Internal {
  return ws as unknown as Internal;
}

type Broadcast = (subscribers: Set<WebSocket>, data: Buffer) => void;

const broadcastB0: Broadcast = (subscribers, data) => {
  const frame = frameOnce(data);
  for (const ws of subscribers) if (ws.readyState === WebSocket.OPEN) internal(ws)._sender.sendFrame([frame]);
};

let corked: Duplex[] = [];
function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const socket of list) socket.uncork();
}

const broadcastB0c: Broadcast = (subscribers, data) => {
  const frame = frameOnce(data);
  for (const ws of subscribers) {
    if (ws.readyState !== WebSocket.OPEN) continue;
    const socket = internal(ws)._socket;
    if (socket.writableCorked === 0) {
      if (corked.length === 0) process.nextTick(uncorkAll);
      socket.cork();
      corked.push(socket);
    }
    internal(ws)._sender.sendFrame([frame]);
  }
};

const broadcastB1: Broadcast = (subscribers, data) => {
  const message = { m: data.toString() };
  for (const ws of subscribers) if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
};

function redisPortOf(config: ServerConfig): number {
  if (config.redisPort === undefined) throw new Error('the cross-node apps need redisPort');
  return config.redisPort;
}

function onConnection(kind: ServerKind, config: ServerConfig, subscribers: Set<WebSocket>, ws: WebSocket, req: IncomingMessage): void {
  const w = internal(ws);
  w.isAlive = true;
  ws.on('pong', () => { w.isAlive = true; });
  ws.on('error', () => ws.terminate());
  const path = req.url ?? '/';
  if (config.app === 'echo' && path === PATHS.echo) {
    if (kind === 'B1') ws.on('message', (data: Buffer) => ws.send(data.toString()));
    else ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  } else if ((config.app === 'fanout' || config.app === 'r1-sub') && path === PATHS.sub) {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  } else if (config.app === 'fanout' && path === PATHS.pub) {
    const broadcast = kind === 'B1' ? broadcastB1 : kind === 'B0c' ? broadcastB0c : broadcastB0;
    ws.on('message', (data: Buffer) => broadcast(subscribers, data));
  } else if (!(config.app === 'idle' && path === PATHS.idle)) {
    ws.close(1008, `no ${path} in app ${config.app}`);
  }
}

/** Start a raw ws server (B0, B0c or B1). */
export async function startRawWs(config: ServerConfig): Promise<BenchServer> {
  const kind = config.kind;
  if (kind !== 'B0' && kind !== 'B0c' && kind !== 'B1') throw new Error(`raw ws cannot run kind ${kind}`);
  if (config.app === 'r1-pub') return { ...(await startHop(config)), variant: `${kind}: raw ioredis publisher` };
  const http = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const subscribers = new Set<WebSocket>();
  wss.on('connection', (ws, req) => onConnection(kind, config, subscribers, ws, req));
  // R1 node B: a raw ioredis subscriber hands each message to the B0 broadcast.
  const bridge = config.app === 'r1-sub' ? await rawSubscriber(redisPortOf(config), (message) => broadcastB0(subscribers, message)) : undefined;
  const sweep = setInterval(() => {
    for (const ws of wss.clients) {
      const w = internal(ws);
      if (w.isAlive === false) {
        ws.terminate();
        continue;
      }
      w.isAlive = false;
      ws.ping();
    }
  }, config.pingIntervalMs);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    variant: `${kind}: ws ${packageVersion('ws')}`,
    connections: () => wss.clients.size,
    close: async () => {
      clearInterval(sweep);
      bridge?.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
