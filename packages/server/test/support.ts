/** Shared helpers of the server test suites. */
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import * as wsModule from 'ws';
import {
  createWebsocketServer,
  route,
  type AnyRoute,
  type WebsocketHandler,
  type WebsocketServer,
  type WebsocketServerOptions,
} from '@orrery/server';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` holds; throws with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The seed's echo handler. */
export const echoHandler: WebsocketHandler<null> = {
  init: () => [null, []],
  handleClientMessage: (state, _conn, frame) => [state, [frame]],
  handleServerMessage: (state) => [state, []],
};

import { MemoryLogger } from '@orrery/server/testing';

export { MemoryLogger };

const running: WebsocketServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close({ drainWindowMs: 0 })));
});

/** Start a server on port 0 (closed after each test). */
export async function startServer(
  routes: AnyRoute[] | AnyRoute,
  options: Partial<WebsocketServerOptions> = {},
): Promise<WebsocketServer & { url(path: string): string }> {
  const server = createWebsocketServer({
    port: 0,
    host: '127.0.0.1',
    drainWindowMs: 0,
    logger: options.logger ?? new MemoryLogger(),
    ...options,
    routes: Array.isArray(routes) ? routes : [routes],
  });
  running.push(server);
  await server.ready;
  return Object.assign(server, { url: (path: string) => `ws://127.0.0.1:${server.port}${path}` });
}

/** Start an echo server on `/echo`. */
export function startEcho(options: Partial<WebsocketServerOptions> = {}): ReturnType<typeof startServer> {
  return startServer(route('/echo', echoHandler), options);
}

/** A raw TCP connection that completed a websocket handshake (for malformed frames). */
export async function rawWebsocket(port: number, path: string): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = netConnect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  const key = randomBytes(16).toString('base64');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => { buffer = Buffer.concat([buffer, chunk]); });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await waitFor(() => buffer.includes('\r\n\r\n'), 'the 101 response');
  const head = buffer.indexOf('\r\n\r\n') + 4;
  if (!buffer.subarray(0, head).toString().startsWith('HTTP/1.1 101')) throw new Error(`no 101: ${buffer.toString()}`);
  buffer = buffer.subarray(head);
  return { socket, received: () => buffer, closed };
}

// ws's ESM entry exports Sender (its static frame builder); @types/ws does not declare it.
type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/** A client frame: masked unless told otherwise. */
export function clientFrame(opcode: number, payload: Buffer, options: { mask?: boolean; fin?: boolean } = {}): Buffer {
  const parts = Sender.frame(payload, {
    fin: options.fin ?? true,
    opcode,
    mask: options.mask ?? true,
    readOnly: false,
    rsv1: false,
  });
  return Buffer.concat(parts);
}

/** Parse the close code out of the first server close frame in `bytes`. */
export function closeCodeIn(bytes: Buffer): number | undefined {
  let i = 0;
  while (i + 2 <= bytes.length) {
    const opcode = bytes[i]! & 0x0f;
    let len = bytes[i + 1]! & 0x7f;
    let offset = i + 2;
    if (len === 126) { len = bytes.readUInt16BE(offset); offset += 2; }
    else if (len === 127) { len = Number(bytes.readBigUInt64BE(offset)); offset += 8; }
    if (opcode === 0x8) return len >= 2 ? bytes.readUInt16BE(offset) : 1005;
    i = offset + len;
  }
  return undefined;
}
