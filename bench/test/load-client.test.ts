import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { LoadClient, type ClientEvents, type WireProtocol } from '../src/load/client.js';
import { Envelope } from '../src/load/envelope.js';
import { MaskSource } from '../src/wire/frames.js';
import { findPrefix, readSeq, readTs } from '../src/wire/payload.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port)));
}

/** A client whose received payloads are collected as strings. */
function client(port: number, path: string, protocol: WireProtocol): { c: LoadClient; got: string[]; closed: Promise<Error | undefined> } {
  const got: string[] = [];
  let onClosed!: (e: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => { onClosed = resolve; });
  const events: ClientEvents = {
    message: (_c, buf, start, end) => got.push(buf.toString('utf8', start, end)),
    closed: (_c, error) => onClosed(error),
  };
  const c = new LoadClient(0, { host: '127.0.0.1', port, path, protocol }, undefined, new MaskSource(), events);
  return { c, got, closed };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LoadClient over ws', () => {
  it('answers a server ping with a pong carrying the same payload, and reads a burst in order', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    const port = await listen(http);
    cleanups.push(() => new Promise((resolve) => { wss.close(); http.close(() => resolve()); }));
    const pong = new Promise<string>((resolve) => {
      wss.on('connection', (ws) => {
        ws.on('pong', (data) => resolve(data.toString()));
        ws.ping('are you there');
        for (let i = 0; i < 20; i++) ws.send(`m${i}`);
      });
    });
    const { c, got } = client(port, '/', 'ws');
    await c.ready;
    expect(await pong).toBe('are you there');
    await until(() => got.length === 20, '20 messages');
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(c.pings).toBe(1);
    c.close();
  });

  it('reports a refused upgrade as the reason ready rejects', async () => {
    const http = createServer((_req, res) => res.writeHead(404).end());
    http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const port = await listen(http);
    cleanups.push(() => new Promise((resolve) => http.close(() => resolve())));
    const { c, closed } = client(port, '/', 'ws');
    await expect(c.ready).rejects.toThrow('upgrade refused: HTTP/1.1 403 Forbidden');
    expect((await closed)?.message).toBe('upgrade refused: HTTP/1.1 403 Forbidden');
  });
});

describe('LoadClient over Socket.IO', () => {
  it('joins the namespace, sends an event the server decodes, receives the echo, answers Engine.IO pings', async () => {
    const http = createServer();
    const io = new SocketIoServer(http, { transports: ['websocket'], pingInterval: 200, pingTimeout: 1_000 });
    const port = await listen(http);
    cleanups.push(() => new Promise((resolve) => io.close(() => resolve())));
    const received = new Promise<unknown>((resolve) => {
      io.on('connection', (socket) => socket.on('m', (data: unknown) => { resolve(data); socket.emit('m', data); }));
    });
    const { c, got } = client(port, '/socket.io/?role=echo', 'sio');
    await c.ready;
    const envelope = new Envelope('sio', 48, new MaskSource());
    c.write(envelope.frame(7, 123_456));
    const data = await received;
    expect(typeof data).toBe('string');
    expect((data as string).length).toBe(48);
    await until(() => got.length === 1, 'the echo');
    const packet = Buffer.from(got[0]!);
    expect(got[0]!.startsWith('42["m","~')).toBe(true);
    const at = findPrefix(packet, 0, packet.length);
    expect([readSeq(packet, at), readTs(packet, at)]).toEqual([7, 123_456]);
    await until(() => c.pings >= 2, 'two Engine.IO pings');
    // Still connected after several ping intervals: the pongs were accepted.
    expect(io.engine.clientsCount).toBe(1);
    c.close();
  });
});
