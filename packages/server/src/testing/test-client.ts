/**
 * A websocket test client (Node, over a real socket) that records every frame, ping and
 * close, like antikythera's `Test.WebsocketClient`.
 *
 * @example
 * const client = await connectTestClient(`ws://127.0.0.1:${server.port}/echo`);
 * client.send('hi');
 * expect(await client.nextText()).toBe('hi');
 * client.close(1000);
 * expect(await client.closed).toEqual({ code: 1000, reason: '' });
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import WebSocket from 'ws';

/** A frame as the test client received it. */
export type ReceivedFrame = { type: 'text'; data: string } | { type: 'binary'; data: Buffer };

/** How the connection ended, as the client saw it. */
export interface ClientClose {
  code: number;
  reason: string;
}

/** Options of {@link connectTestClient}. */
export interface TestClientOptions {
  /** Subprotocols to offer (e.g. `['orrery.v1']`). */
  protocols?: string[];
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** The Origin header. */
  origin?: string;
  /** Answer server pings. Turn off to play a dead peer. @default true */
  autoPong?: boolean;
  /** Handshake timeout. @default 5_000 */
  timeoutMs?: number;
}

/** An HTTP response that refused the upgrade. */
export class HandshakeRejected extends Error {
  constructor(readonly status: number, readonly body: string, readonly headers: IncomingHttpHeaders) {
    super(`websocket handshake rejected with HTTP ${status}: ${body}`);
    this.name = 'HandshakeRejected';
  }
}

/** A connected test client. */
export class TestClient {
  /** Every data frame received, in order. */
  readonly frames: ReceivedFrame[] = [];
  /** Server pings received. */
  pings = 0;
  /** Settles when the connection has closed. */
  readonly closed: Promise<ClientClose>;
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private closeInfo: ClientClose | undefined;

  constructor(readonly ws: WebSocket, readonly upgradeHeaders: IncomingHttpHeaders) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? { type: 'binary', data } : { type: 'text', data: data.toString('utf8') });
      this.wake();
    });
    ws.on('ping', () => { this.pings++; });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        this.wake();
        resolve(this.closeInfo);
      });
    });
  }

  /** The subprotocol the server selected. */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** The next frame not yet taken by `nextFrame`; rejects on close or timeout. */
  async nextFrame(timeoutMs = 5_000): Promise<ReceivedFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.frames.length) {
      if (this.closeInfo !== undefined) throw new Error(`connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) before another frame arrived`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.frames[this.cursor++]!;
  }

  /** The next frame, which must be text. */
  async nextText(timeoutMs?: number): Promise<string> {
    const frame = await this.nextFrame(timeoutMs);
    if (frame.type !== 'text') throw new Error('expected a text frame, got binary');
    return frame.data;
  }

  /** The next text frame, parsed as JSON. */
  async nextJson<T = unknown>(timeoutMs?: number): Promise<T> {
    return JSON.parse(await this.nextText(timeoutMs)) as T;
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Start a clean close. */
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  /** Drop the TCP connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Connect; rejects with {@link HandshakeRejected} when the server answers with an HTTP error. */
export function connectTestClient(url: string, options: TestClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], {
      headers: options.headers,
      origin: options.origin,
      autoPong: options.autoPong ?? true,
      handshakeTimeout: options.timeoutMs ?? 5_000,
    });
    let upgradeHeaders: IncomingHttpHeaders = {};
    let client: TestClient | undefined;
    ws.on('upgrade', (res: IncomingMessage) => {
      upgradeHeaders = res.headers;
      // Attach listeners before 'open' so frames sent right after the 101 are not missed.
      client = new TestClient(ws, upgradeHeaders);
    });
    ws.once('open', () => resolve(client ?? new TestClient(ws, upgradeHeaders)));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => reject(new HandshakeRejected(res.statusCode ?? 0, body, res.headers)));
      res.on('error', reject);
    });
    ws.once('error', (err) => { if (client === undefined) reject(err); });
  });
}
