/**
 * One load-generator connection: a websocket client over a raw `net` socket, optionally
 * speaking Socket.IO's Engine.IO v4 framing on top. It answers pings (websocket pings with
 * pongs; Engine.IO `2` with `3`), answers a close, and hands every data frame to the
 * scenario as a byte range — nothing is decoded.
 */
import { connect, type Socket } from 'node:net';
import { FrameError, FrameParser, MaskSource, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, clientFrame } from '../wire/frames.js';
import { newKey, readUpgradeResponse, upgradeRequest } from '../wire/handshake.js';

/**
 * `ws`: plain websocket frames. `sio`: Socket.IO v4 over a websocket (`42["m", …]` events).
 * `orrery`: plain frames carrying Orrery's `orrery.v1` JSON envelope.
 */
export type WireProtocol = 'ws' | 'sio' | 'orrery';

/** Where and how to connect. */
export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  /** Path with query. For `sio`, the Engine.IO query is appended. */
  readonly path: string;
  readonly protocol: WireProtocol;
}

/** What a scenario does with a connection's events. */
export interface ClientEvents {
  /** A data frame's payload `buf[start, end)` (for `sio`: the whole `42[…]` packet). */
  message(client: LoadClient, buf: Buffer, start: number, end: number): void;
  /** The connection failed or closed. */
  closed(client: LoadClient, error: Error | undefined): void;
}

const CONNECTING = 0;
const HANDSHAKE = 1;
const SIO_OPENING = 2;
const OPEN = 3;
const CLOSED = 4;

const SIO_CONNECT = Buffer.from('40');
const SIO_PONG = Buffer.from('3');

/** One client connection. `ready` settles when it can send (after Socket.IO's `40` for `sio`). */
export class LoadClient {
  readonly socket: Socket;
  readonly ready: Promise<void>;
  /** Free for the scenario: a per-connection counter. */
  count = 0;
  /** Free for the scenario: pings answered. */
  pings = 0;
  private state = CONNECTING;
  private head: Buffer | undefined;
  private readonly key = newKey();
  private readonly parser: FrameParser;
  private settleReady!: (error?: Error) => void;
  private notified = false;

  constructor(
    readonly index: number,
    private readonly target: ClientTarget,
    readonly localAddress: string | undefined,
    private readonly masks: MaskSource,
    private readonly events: ClientEvents,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.ready.catch(() => {}); // callers that care await it; nobody else sees the rejection
    this.parser = new FrameParser((opcode, buf, start, end) => this.onFrame(opcode, buf, start, end));
    const path = target.protocol === 'sio' ? `${target.path}${target.path.includes('?') ? '&' : '?'}EIO=4&transport=websocket` : target.path;
    this.socket = connect({ host: target.host, port: target.port, localAddress, noDelay: true });
    this.socket.on('connect', () => {
      this.state = HANDSHAKE;
      this.socket.write(upgradeRequest(path, target.host, target.port, this.key));
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (error) => this.end(error));
    this.socket.on('close', () => this.end(undefined));
  }

  /** True once `ready` resolved and until closed. */
  get open(): boolean {
    return this.state === OPEN;
  }

  /** Write bytes already framed (and masked) by the scenario. */
  write(frame: Buffer): void {
    if (this.state === OPEN) this.socket.write(frame);
  }

  /**
   * Send a close frame (1000); the server then closes the TCP connection (RFC 6455 §7.1.1), so
   * the TIME_WAIT state stays on the server's side instead of holding this source address's
   * ports (which would slow down `bind` for the next thousands of connections).
   */
  close(): void {
    if (this.state === OPEN) {
      this.socket.write(clientFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]), this.masks));
    } else {
      this.socket.destroy();
    }
    this.state = CLOSED;
  }

  private onData(chunk: Buffer): void {
    if (this.state === HANDSHAKE) {
      const buf = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
      const result = readUpgradeResponse(buf, this.key);
      if (result.kind === 'incomplete') {
        this.head = buf;
        return;
      }
      this.head = undefined;
      if (result.kind === 'refused') {
        this.fail(new Error(`upgrade refused: ${result.status}`));
        return;
      }
      if (this.target.protocol === 'sio') {
        this.state = SIO_OPENING;
      } else {
        this.state = OPEN;
        this.settleReady();
      }
      if (result.bodyStart < buf.length) this.feed(buf.subarray(result.bodyStart));
      return;
    }
    if (this.state !== CLOSED) this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.fail(error instanceof FrameError ? error : new Error(String(error)));
    }
  }

  private onFrame(opcode: number, buf: Buffer, start: number, end: number): void {
    if (opcode === OP_TEXT || opcode === OP_BINARY) {
      if (this.target.protocol === 'sio') this.onSioPacket(buf, start, end);
      else this.events.message(this, buf, start, end);
    } else if (opcode === OP_PING) {
      this.pings++;
      this.socket.write(clientFrame(OP_PONG, buf.subarray(start, end), this.masks));
    } else if (opcode === OP_CLOSE) {
      // Answer the close; the server ends the TCP connection.
      if (this.state !== CLOSED) {
        const payload = end - start >= 2 ? buf.subarray(start, start + 2) : Buffer.alloc(0);
        this.socket.write(clientFrame(OP_CLOSE, payload, this.masks));
      }
      this.state = CLOSED;
    }
  }

  /** Engine.IO packet types: 0 open, 2 ping, 4 message (Socket.IO: 40 connect, 42 event, 41 disconnect). */
  private onSioPacket(buf: Buffer, start: number, end: number): void {
    const type = buf[start];
    if (type === 0x34 /* '4' */) {
      const sub = buf[start + 1];
      if (sub === 0x32 /* '2' event */) {
        this.events.message(this, buf, start, end);
      } else if (sub === 0x30 /* '0' connected */ && this.state === SIO_OPENING) {
        this.state = OPEN;
        this.settleReady();
      }
    } else if (type === 0x32 /* '2' ping */) {
      this.pings++;
      this.socket.write(clientFrame(OP_TEXT, SIO_PONG, this.masks));
    } else if (type === 0x30 /* '0' open */ && this.state === SIO_OPENING) {
      this.socket.write(clientFrame(OP_TEXT, SIO_CONNECT, this.masks));
    }
  }

  private fail(error: Error): void {
    this.socket.destroy();
    this.end(error);
  }

  private end(error: Error | undefined): void {
    this.state = CLOSED;
    this.settleReady(error ?? new Error('connection closed before it opened'));
    if (this.notified) return;
    this.notified = true;
    this.events.closed(this, error);
  }
}
