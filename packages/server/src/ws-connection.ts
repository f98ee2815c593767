/**
 * A connection actor on a real websocket: ws parses inbound frames and runs the close
 * handshake; outbound data frames are built here and batched.
 *
 * Outbound batching: every frame a connection sends during one tick goes into its outbox;
 * one `process.nextTick` flushes every outbox with one socket write each. A burst of N
 * messages to a socket costs one syscall instead of N — per-write syscalls dominate fan-out.
 * Writes go straight to the TCP socket (ws's sender has nothing queued: compression is off),
 * so ws's own writes (pongs, the close frame) stay in order with ours once we flush.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { OrreryError } from '@orrery/protocol';
import { ConnectionActor, type RouteRuntime } from './actor.js';
import type { Conn } from './conn.js';
import { encodeDataFrame, encodeShared, PING_FRAME, ReceivedTextFrame } from './frames.js';
import type { HeartbeatEntry, HeartbeatWheel } from './heartbeat.js';
import type { DataFrame, TerminateReason } from './types.js';

const kConnection = Symbol('orrery.connection');
/** Outboxes larger than this are written chunk by chunk (corked) instead of concatenated. */
const CONCAT_LIMIT = 256 * 1024;

type WithConnection = { [kConnection]?: WsConnection };

let dirty: WsConnection[] = [];
let flushScheduled = false;

function flushAll(): void {
  const batch = dirty;
  dirty = [];
  flushScheduled = false;
  for (let i = 0; i < batch.length; i++) batch[i]!.flush();
}

/** What a websocket connection needs from its route. */
export interface WsRouteRuntime extends RouteRuntime {
  readonly wheel: HeartbeatWheel;
  /** The TCP connection is gone. */
  socketClosed(connection: WsConnection): void;
}

/** One accepted websocket connection: the actor plus its socket. */
export class WsConnection extends ConnectionActor<WsRouteRuntime> implements HeartbeatEntry {
  lastInbound = 0;
  nextPingAt = 0;
  slot = -1;
  private out: Buffer | Buffer[] | null = null;
  private outBytes = 0;
  protected ws: WebSocket;
  protected socket: Duplex;

  constructor(conn: Conn<object, unknown>, rt: WsRouteRuntime, ws: WebSocket, socket: Duplex) {
    super(conn, rt);
    this.ws = ws;
    this.socket = socket;
    this.bind(ws);
  }

  /** Route `ws`'s events to this connection (shared listener functions: no closure per socket). */
  protected bind(ws: WebSocket): void {
    (ws as WebSocket & WithConnection)[kConnection] = this;
    ws.on('message', onWsMessage);
    ws.on('ping', onWsTraffic);
    ws.on('pong', onWsTraffic);
    ws.on('error', onWsError);
    ws.on('close', onWsClose);
  }

  /** Stop routing `ws`'s events here (a resumed session moved to another socket). */
  protected unbind(ws: WebSocket): void {
    const tagged = ws as WebSocket & WithConnection;
    if (tagged[kConnection] === this) tagged[kConnection] = undefined;
  }

  /** Bytes waiting to be written (outbox + socket buffer). */
  get bufferedBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  /** ws's OPEN: nothing is sent once a close started (either side) or the socket failed. */
  protected get writable(): boolean {
    return this.ws.readyState === 1;
  }

  protected sendFrame(frame: DataFrame, shared: boolean): void {
    if (this.writable && this.roomFor()) this.writeBytes(shared ? encodeShared(frame) : encodeDataFrame(frame));
  }

  /** False (and the connection closing with 1013) when more than maxBufferedBytes wait already. */
  protected roomFor(): boolean {
    const buffered = this.outBytes + this.socket.writableLength;
    if (buffered <= this.rt.limits.maxBufferedBytes) return true;
    this.slowConsumer(buffered);
    return false;
  }

  /** Queue one complete wire frame for this tick's write. */
  protected writeBytes(bytes: Buffer): void {
    this.push(bytes);
    this.rt.stats.framesOut++;
    this.rt.stats.bytesOut += bytes.length;
  }

  protected closeTransport(code: number, reason: string): void {
    if (!this.writable) return;
    this.flush();
    this.rt.wheel.remove(this);
    this.ws.close(code, reason);
  }

  /** Destroy the TCP connection at once (shutdown grace exceeded). */
  abort(): void {
    this.out = null;
    this.ws.terminate();
  }

  heartbeatPing(): void {
    if (this.writable) this.push(PING_FRAME);
  }

  heartbeatIdle(): void {
    this.slot = -1;
    this.beginClose(1001, 'idle timeout', { type: 'timeout' });
  }

  /** Write the outbox: one write for the whole tick. */
  flush(): void {
    const out = this.out;
    if (out === null) return;
    const bytes = this.outBytes;
    this.out = null;
    this.outBytes = 0;
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    if (!Array.isArray(out)) {
      socket.write(out);
    } else if (bytes <= CONCAT_LIMIT) {
      socket.write(Buffer.concat(out, bytes));
    } else {
      socket.cork();
      for (const chunk of out) socket.write(chunk);
      socket.uncork();
    }
  }

  /** @internal the wheel's clock, for ping/pong traffic. */
  trafficClock(): number {
    return this.rt.wheel.now;
  }

  private push(bytes: Buffer): void {
    const out = this.out;
    if (out === null) {
      this.out = bytes;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushAll);
      }
    } else if (Array.isArray(out)) {
      out.push(bytes);
    } else {
      this.out = [out, bytes];
    }
    this.outBytes += bytes.length;
  }

  private slowConsumer(buffered: number): void {
    // What is still in the outbox cannot reach a consumer this slow; the close frame goes next.
    this.out = null;
    this.outBytes = 0;
    const limit = this.rt.limits.maxBufferedBytes;
    this.beginClose(1013, 'slow consumer', {
      type: 'error',
      error: new OrreryError('ORRERY_SLOW_CONSUMER', `${buffered} bytes were waiting for the client (limit ${limit})`, { closeCode: 1013 }),
    });
  }

  /** @internal ws events */
  onMessage(data: Buffer, isBinary: boolean): void {
    this.lastInbound = this.rt.wheel.now;
    this.rt.stats.framesIn++;
    this.rt.stats.bytesIn += data.length;
    this.clientFrame(isBinary ? { type: 'binary', data } : new ReceivedTextFrame(data));
  }

  /** @internal */
  onError(error: Error): void {
    this.out = null;
    this.rt.wheel.remove(this);
    // Ends the actor now: the close event that follows finds it closing and changes nothing.
    this.transportEnded({ type: 'error', error: mapWsError(error, this.rt.limits.maxMessageBytes) });
  }

  /** @internal */
  onClose(code: number, reason: Buffer): void {
    this.out = null;
    this.rt.wheel.remove(this);
    this.transportEnded(this.closeReasonOf(code, reason));
    this.rt.socketClosed(this);
  }

  private closeReasonOf(code: number, reason: Buffer): TerminateReason {
    if (code === 1006) {
      return { type: 'error', error: new OrreryError('ORRERY_CONNECTION_LOST', 'the TCP connection dropped without a close frame') };
    }
    if (code === 1005) return { type: 'remote' };
    return { type: 'remote', code, reason: reason.toString('utf8') };
  }
}

// Shared listeners (`this` is the ws socket): no closure per connection.
function onWsMessage(this: WebSocket & WithConnection, data: Buffer, isBinary: boolean): void {
  this[kConnection]?.onMessage(data, isBinary);
}
function onWsTraffic(this: WebSocket & WithConnection): void {
  const c = this[kConnection];
  if (c !== undefined) c.lastInbound = c.trafficClock();
}
function onWsError(this: WebSocket & WithConnection, error: Error): void {
  this[kConnection]?.onError(error);
}
function onWsClose(this: WebSocket & WithConnection, code: number, reason: Buffer): void {
  this[kConnection]?.onClose(code, reason);
}

/** ws's receiver errors → Orrery errors with the close code ws sends. */
export function mapWsError(error: Error, maxMessageBytes: number): OrreryError {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH':
      return new OrreryError('ORRERY_MESSAGE_TOO_BIG', `an inbound message exceeded maxMessageBytes (${maxMessageBytes})`, { cause: error, closeCode: 1009 });
    case 'WS_ERR_INVALID_UTF8':
      return new OrreryError('ORRERY_INVALID_UTF8', 'a text message was not valid UTF-8', { cause: error, closeCode: 1007 });
    default:
      return new OrreryError('ORRERY_PROTOCOL_ERROR', `websocket protocol error: ${error.message}`, { cause: error, closeCode: statusOf(error) ?? 1002 });
  }
}

function statusOf(error: Error): number | undefined {
  for (const sym of Object.getOwnPropertySymbols(error)) {
    if (sym.description === 'status-code') {
      const value = (error as unknown as Record<symbol, unknown>)[sym];
      return typeof value === 'number' ? value : undefined;
    }
  }
  return undefined;
}
