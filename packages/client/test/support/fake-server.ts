/**
 * A scripted server for the client's resume tests: a plain `ws` server that accepts
 * `orrery.v1` and hands each connection to the test, which speaks docs/protocol.md §6 by hand
 * (welcome with a session, sequenced `msg`, `ack`, replay after a resume request).
 */
import * as wsLib from 'ws';
import { onCleanup, until } from '../fixtures/helpers.js';

/** A client frame as received, parsed. */
export type ClientFrame = { t: string; n?: string; d?: unknown; cs?: number; a?: number; seq?: number; id?: number };

/** One accepted connection. */
export interface FakeConnection {
  /** The subprotocols the client offered, in order. */
  readonly offered: readonly string[];
  /** The resume request, when the client offered one. */
  readonly resume: { readonly token: string; readonly lastSeq: number } | undefined;
  /** Every frame the client sent, parsed, in order. */
  readonly frames: ClientFrame[];
  /** Send a frame (an object is JSON-encoded). */
  send(frame: object | string): void;
  /** Drop the TCP connection without a close frame. */
  drop(): void;
  /** Close with a close frame. */
  close(code: number, reason: string): void;
  /** Resolves with the close code the server saw (1006: dropped without a close frame). */
  readonly closed: Promise<number>;
  /** Wait until `count` frames of kind `t` (all kinds when omitted) have arrived. */
  waitFrames(count: number, t?: string): Promise<ClientFrame[]>;
}

/** A running fake server. */
export interface FakeServer {
  readonly url: string;
  readonly connections: FakeConnection[];
  /** The `n`-th connection (0-based), when it arrives. */
  connection(n: number): Promise<FakeConnection>;
}

const RESUME = /^orrery\.resume\.([A-Za-z0-9_-]+)\.(\d+)$/;

/** Start a fake server on a free port; closed after the test. */
export async function startFakeServer(): Promise<FakeServer> {
  const wss = new wsLib.WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (protocols) => (protocols.has('orrery.v1') ? 'orrery.v1' : false) });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  onCleanup(() => {
    for (const client of wss.clients) client.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const connections: FakeConnection[] = [];
  wss.on('connection', (ws, request) => {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
    connections.push(fakeConnection(ws, offered));
  });
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/chat`,
    connections,
    async connection(n) {
      await until(() => connections.length > n, `connection #${n}`);
      return connections[n]!;
    },
  };
}

function fakeConnection(ws: wsLib.WebSocket, offered: string[]): FakeConnection {
  const frames: ClientFrame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as ClientFrame));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const match = offered.map((p) => RESUME.exec(p)).find((m) => m !== null);
  return {
    offered,
    resume: match ? { token: match[1]!, lastSeq: Number(match[2]) } : undefined,
    frames,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    drop: () => ws.terminate(),
    close: (code, reason) => ws.close(code, reason),
    closed,
    async waitFrames(count, t) {
      const of = (): ClientFrame[] => (t === undefined ? frames : frames.filter((f) => f.t === t));
      await until(() => of().length >= count, `${count} "${t ?? 'any'}" frame(s); got ${JSON.stringify(frames)}`);
      return of();
    },
  };
}
