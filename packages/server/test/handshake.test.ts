import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createWebsocketServer, reject, route, type WebsocketHandler } from '@orrery/server';
import { connectTestClient, HandshakeRejected } from '@orrery/server/testing';
import { echoHandler, MemoryLogger, sleep, startEcho, startServer, waitFor } from './support.js';

/** Send raw request bytes and collect the whole response. */
async function rawRequest(port: number, text: string): Promise<string> {
  const socket = netConnect(port, '127.0.0.1');
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => { data += chunk; });
  socket.write(text);
  await new Promise((resolve) => socket.on('close', resolve));
  return data;
}

function get(port: number, path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject).end();
  });
}

const upgradeHead = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('the handshake', () => {
  it('rejections are HTTP statuses for plain clients and close 4000+status for orrery.v1 clients', async () => {
    const handler: WebsocketHandler<null> = { ...echoHandler, connect: (conn) => (conn.query.get('token') === 'ok' ? conn : reject(401, 'invalid token')) };
    const server = await startServer(route('/auth', handler));
    await expect(connectTestClient(server.url('/auth'))).rejects.toMatchObject({ status: 401, body: 'invalid token' });
    const orrery = await connectTestClient(server.url('/auth'), { protocols: ['orrery.v1'] });
    expect(await orrery.closed).toEqual({ code: 4401, reason: 'invalid token' });
    const fine = await connectTestClient(server.url('/auth?token=ok'), { protocols: ['orrery.v1'] });
    fine.send('hi');
    expect(await fine.nextText()).toBe('hi');
    expect(server.stats().routes[0]!.rejections).toEqual({ 401: 2 });
  });

  it('a rejection body longer than a close reason is cut to 123 bytes for orrery.v1 clients', async () => {
    const server = await startServer(route('/r', { ...echoHandler, connect: () => reject(403, 'ü'.repeat(100)) }));
    const client = await connectTestClient(server.url('/r'), { protocols: ['orrery.v1'] });
    const closed = await client.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toBe(`${'ü'.repeat(60)}…`); // 123 bytes, marked as cut
  });

  it('a connect that throws is a 500 (4500) and is logged', async () => {
    const logger = new MemoryLogger();
    const server = await startServer(route('/c', { ...echoHandler, connect: () => { throw new Error('db down'); } }), { logger });
    await expect(connectTestClient(server.url('/c'))).rejects.toMatchObject({ status: 500 });
    const c = await connectTestClient(server.url('/c'), { protocols: ['orrery.v1'] });
    expect((await c.closed).code).toBe(4500);
    expect(logger.find('websocket connect failed')).toHaveLength(2);
  });

  it('a connect slower than connectTimeoutMs is 503 ConnectTimeout', async () => {
    const server = await startServer(route('/slow', { ...echoHandler, connect: (conn) => sleep(1_000).then(() => conn) }, { connectTimeoutMs: 50 }));
    await expect(connectTestClient(server.url('/slow'))).rejects.toMatchObject({ status: 503, body: 'ConnectTimeout' });
  });

  it('connect must return the conn it got or a rejection', async () => {
    const server = await startServer(route('/weird', { ...echoHandler, connect: () => ({ nope: true }) as never }));
    await expect(connectTestClient(server.url('/weird'))).rejects.toMatchObject({ status: 500 });
  });

  it('unknown paths get 404; plain GETs on a websocket path get 426', async () => {
    const server = await startEcho();
    await expect(connectTestClient(server.url('/nope'))).rejects.toMatchObject({ status: 404, body: 'NoRouteFound' });
    const plain = await get(server.port, '/echo');
    expect(plain.status).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    expect((await get(server.port, '/other')).status).toBe(404);
  });

  it('malformed upgrade requests get 400/405 before connect runs', async () => {
    let connects = 0;
    const server = await startServer(route('/echo', { ...echoHandler, connect: (conn) => { connects++; return conn; } }));
    const noKey = await rawRequest(server.port, `GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    expect(noKey).toMatch(/^HTTP\/1.1 400 /);
    const badVersion = await rawRequest(server.port, upgradeHead('/echo').replace('Version: 13', 'Version: 99'));
    expect(badVersion).toMatch(/^HTTP\/1.1 400 /);
    expect(badVersion).toMatch(/Sec-WebSocket-Version: 13, 8/);
    const post = await rawRequest(server.port, upgradeHead('/echo').replace('GET', 'POST'));
    expect(post).toMatch(/^HTTP\/1.1 405 /);
    const badProtocol = await rawRequest(server.port, upgradeHead('/echo', 'Sec-WebSocket-Protocol: a b\r\n'));
    expect(badProtocol).toMatch(/^HTTP\/1.1 400 /);
    const badPath = await rawRequest(server.port, upgradeHead('/echo%'));
    expect(badPath).toMatch(/^HTTP\/1.1 404 /);
    expect(connects).toBe(0);
  });

  it('a path parameter with bad percent-encoding is 400', async () => {
    const server = await startServer(route('/rooms/:room', echoHandler));
    const response = await rawRequest(server.port, upgradeHead('/rooms/%E0%A4%A'));
    expect(response).toMatch(/^HTTP\/1.1 400 /);
  });

  it('an origin allow-list refuses foreign browser origins with 403 (4403) and allows listed or absent ones', async () => {
    const server = await startServer(route('/echo', echoHandler), { allowedOrigins: ['https://app.example.com'] });
    await expect(connectTestClient(server.url('/echo'), { origin: 'https://evil.example.com' })).rejects.toMatchObject({ status: 403, body: 'ForbiddenOrigin' });
    const orrery = await connectTestClient(server.url('/echo'), { origin: 'https://evil.example.com', protocols: ['orrery.v1'] });
    expect(await orrery.closed).toEqual({ code: 4403, reason: 'ForbiddenOrigin' });
    const ok = await connectTestClient(server.url('/echo'), { origin: 'https://APP.example.com' });
    ok.send('x');
    expect(await ok.nextText()).toBe('x');
    const noOrigin = await connectTestClient(server.url('/echo'));
    noOrigin.send('y');
    expect(await noOrigin.nextText()).toBe('y');
  });

  it('a route origin policy may be a function', async () => {
    const server = await startServer(route('/echo', echoHandler, { allowedOrigins: (origin) => origin?.endsWith('.trusted.test') === true }));
    await expect(connectTestClient(server.url('/echo'))).rejects.toBeInstanceOf(HandshakeRejected);
    const ok = await connectTestClient(server.url('/echo'), { origin: 'http://a.trusted.test' });
    expect(ok.protocol).toBe('');
  });

  it('over maxConnections: 503 TooManyWebsocketConnections (4503); the slot is released after close', async () => {
    const logger = new MemoryLogger();
    const server = await startServer(route('/echo', echoHandler, { maxConnections: 2 }), { logger });
    const a = await connectTestClient(server.url('/echo'));
    const b = await connectTestClient(server.url('/echo'));
    await expect(connectTestClient(server.url('/echo'))).rejects.toMatchObject({ status: 503, body: 'TooManyWebsocketConnections' });
    const c = await connectTestClient(server.url('/echo'), { protocols: ['orrery.v1'] });
    expect(await c.closed).toEqual({ code: 4503, reason: 'TooManyWebsocketConnections' });
    expect(logger.find('Cannot establish new websocket connection: too many connections')).toHaveLength(2);
    a.close();
    await a.closed;
    await waitFor(() => server.connectionCount() === 1, 'the slot to be released');
    const d = await connectTestClient(server.url('/echo'));
    d.send('in');
    expect(await d.nextText()).toBe('in');
    b.terminate();
    await waitFor(() => server.connectionCount() === 1, 'the dropped slot to be released');
    await connectTestClient(server.url('/echo'));
  });

  it('invalid upgrade requests and plain GETs do not take connection slots', async () => {
    const server = await startServer(route('/echo', echoHandler, { maxConnections: 1 }));
    for (let i = 0; i < 5; i++) {
      expect((await get(server.port, '/echo')).status).toBe(426);
      await rawRequest(server.port, upgradeHead('/echo').replace('Version: 13', 'Version: 1'));
    }
    const ok = await connectTestClient(server.url('/echo'));
    ok.send('x');
    expect(await ok.nextText()).toBe('x');
  });

  it('a client that disconnects during connect releases its slot and never reaches init', async () => {
    let inits = 0;
    let connects = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const server = await startServer(route('/slow', {
      ...echoHandler,
      connect: (conn) => { connects++; return connects === 1 ? gate.then(() => conn) : conn; },
      init: () => { inits++; return [null, []]; },
    }, { maxConnections: 1 }));
    const socket = netConnect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(upgradeHead('/slow'));
    await waitFor(() => connects === 1, 'connect to start');
    socket.destroy();
    await new Promise((r) => socket.once('close', r));
    await sleep(20);
    release();
    await sleep(20);
    expect(inits).toBe(0);
    const ok = await connectTestClient(server.url('/slow'));
    expect(ok.protocol).toBe('');
    expect(inits).toBe(1);
  });

  it('attaches to an existing HTTP server, leaving other upgrade paths to other listeners', async () => {
    const http = createServer((_req, res) => res.end('app'));
    const ws = createWebsocketServer({ server: http, routes: [route('/echo', echoHandler)], drainWindowMs: 0 });
    let otherUpgrades = 0;
    http.on('upgrade', (req, socket) => {
      if (req.url === '/other') { otherUpgrades++; socket.end('HTTP/1.1 418 Teapot\r\nConnection: close\r\n\r\n'); }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    const client = await connectTestClient(`ws://127.0.0.1:${port}/echo`);
    client.send('attached');
    expect(await client.nextText()).toBe('attached');
    await expect(connectTestClient(`ws://127.0.0.1:${port}/other`)).rejects.toMatchObject({ status: 418 });
    expect(otherUpgrades).toBe(1);
    expect((await get(port, '/')).body).toBe('app');
    await ws.close();
    expect(http.listening).toBe(true);
    await new Promise((resolve) => http.close(resolve));
  });

  it('refuses conflicting or invalid options at construction', () => {
    const routes = [route('/echo', echoHandler)];
    const make = (o: object) => () => createWebsocketServer({ routes, port: 0, ...o } as never);
    expect(make({ server: createServer() })).toThrowError(/either server .* or port/);
    expect(() => createWebsocketServer({ routes: [] } as never)).toThrowError(/server .* or port/);
    expect(() => createWebsocketServer({ port: 0, routes: [] })).toThrowError(/routes must be a non-empty array/);
    expect(make({ routes: [route('/a', echoHandler), route('/a', echoHandler, { name: 'other' })] })).toThrowError(/defined twice/);
    expect(make({ routes: [route('no-slash', echoHandler)] })).toThrowError(/must start with/);
    expect(make({ limits: { idleTimeoutMs: 1000, pingIntervalMs: 2000 } })).toThrowError(/pingIntervalMs .* must be below idleTimeoutMs/);
    expect(make({ limits: { maxMessageBytes: -1 } })).toThrowError(/maxMessageBytes must be a positive number/);
    expect(make({ routes: [route('/x', { init: () => [null, []] } as never)] })).toThrowError(/must implement handleClientMessage/);
    for (const m of [make({ limits: { maxMailbox: 0 } })]) expect(m).toThrowError(expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }));
  });
});
